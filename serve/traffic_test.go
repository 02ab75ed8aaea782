package serve

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestArrivalProcesses: Poisson's inter-arrival CV is 1, Gamma's the CV
// asked, bursts keep the mean rate; each at the rate asked, and the same
// seed draws the same stream.
func TestArrivalProcesses(t *testing.T) {
	for _, tc := range []struct {
		tr     Traffic
		wantCV float64
	}{
		{Traffic{Rate: 10, Requests: 50000}, 1},
		{Traffic{Rate: 10, Requests: 50000, Arrival: "gamma", CV: 3}, 3},
		{Traffic{Rate: 10, Requests: 50000, Arrival: "gamma", CV: 0.5}, 0.5},
		{Traffic{Rate: 10, Requests: 50000, Arrival: "onoff", OnS: 2, OnShare: 0.25}, -1},
	} {
		tc.tr.Input, tc.tr.Output = Lengths{Mean: 100}, Lengths{Mean: 10}
		rs, err := tc.tr.Generate()
		if err != nil {
			t.Fatal(err)
		}
		var sum, sq float64
		for i := 1; i < len(rs); i++ {
			g := rs[i].ArrivalS - rs[i-1].ArrivalS
			sum += g
			sq += g * g
		}
		n := float64(len(rs) - 1)
		mean := sum / n
		cv := math.Sqrt(sq/n-mean*mean) / mean
		if math.Abs(1/mean/tc.tr.Rate-1) > 0.05 {
			t.Errorf("%s: rate %.2f/s, want %g", tc.tr.Arrival, 1/mean, tc.tr.Rate)
		}
		if tc.wantCV > 0 && math.Abs(cv/tc.wantCV-1) > 0.08 {
			t.Errorf("%s: CV %.2f, want %g", tc.tr.Arrival, cv, tc.wantCV)
		}
		if tc.wantCV < 0 && cv < 1.2 {
			t.Errorf("on/off bursts: CV %.2f, want burstier than Poisson", cv)
		}
		again, _ := tc.tr.Generate()
		if again[len(again)-1] != rs[len(rs)-1] {
			t.Errorf("%s: the same seed drew another stream", tc.tr.Arrival)
		}
	}
}

// TestLengthDistributions: means and spreads as asked, at least 1 token,
// capped at Max.
func TestLengthDistributions(t *testing.T) {
	for _, l := range []Lengths{{Dist: "normal", Mean: 500, SD: 100}, {Dist: "lognormal", Mean: 500, SD: 400, Max: 4000}} {
		tr := Traffic{Rate: 1, Requests: 40000, Input: l, Output: Lengths{Mean: 1}, Seed: 3}
		rs, err := tr.Generate()
		if err != nil {
			t.Fatal(err)
		}
		var sum, sq float64
		for _, r := range rs {
			if r.Input < 1 || (l.Max > 0 && r.Input > l.Max) {
				t.Fatalf("%s: a length of %d", l.Dist, r.Input)
			}
			sum += float64(r.Input)
			sq += float64(r.Input) * float64(r.Input)
		}
		n := float64(len(rs))
		mean, sd := sum/n, math.Sqrt(sq/n-sum*sum/n/n)
		if math.Abs(mean/l.Mean-1) > 0.03 || math.Abs(sd/l.SD-1) > 0.1 {
			t.Errorf("%s: mean %.0f sd %.0f, want %g and %g", l.Dist, mean, sd, l.Mean, l.SD)
		}
	}
}

// TestAzureTrace: the shipped traces load whole, from arrival 0, with the
// README's request counts and the lengths' means.
func TestAzureTrace(t *testing.T) {
	for name, want := range map[string]int{"azure-conv": 19366, "azure-code": 8819} {
		rs, err := LoadTrace(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != want || rs[0].ArrivalS != 0 {
			t.Errorf("%s: %d requests from %g s, want %d from 0", name, len(rs), rs[0].ArrivalS, want)
		}
		if last := rs[len(rs)-1].ArrivalS; last < 3000 || last > 3600 {
			t.Errorf("%s: the last request at %.0f s, want within the hour", name, last)
		}
	}
	rs, _ := LoadTrace("azure-conv")
	half := Scale(rs, 2, 100)
	if len(half) != 100 || half[99].ArrivalS != rs[99].ArrivalS/2 {
		t.Errorf("Scale: %d requests, the last at %g s", len(half), half[len(half)-1].ArrivalS)
	}
}

// TestTraceErrors: a bad trace is refused with its file, line and column
// and what to do.
func TestTraceErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, body, want string }{
		{"nocol.csv", "arrival_s,input_tokens\n0,10\n", "nocol.csv:1: no output column"},
		{"neg.csv", "arrival_s,input_tokens,output_tokens\n0,10,5\n1,-3,5\n", "neg.csv:3: input \"-3\": want a whole number of tokens, at least 1"},
		{"zero.csv", "arrival_s,input_tokens,output_tokens\n0,10,0\n", "zero.csv:2: output \"0\""},
		{"unsorted.csv", "arrival_s,input_tokens,output_tokens\n5,10,5\n1,10,5\n", "unsorted.csv:3: arrival 1 is before the previous request's: sort the trace"},
		{"badtime.csv", "timestamp,ContextTokens,GeneratedTokens\nyesterday,10,5\n", "badtime.csv:2: arrival \"yesterday\""},
		{"missing.csv", "arrival_s,input_tokens,output_tokens\n0,,5\n", "missing.csv:2: input is missing"},
		{"ragged.csv", "arrival_s,input_tokens,output_tokens\n0,1\n", "ragged.csv"},
		{"empty.csv", "arrival_s,input_tokens,output_tokens\n", "empty.csv: no requests"},
		{"bad.jsonl", "{\"arrival_s\": 0, \"input_tokens\": 5, \"output_tokens\": 2}\n{oops\n", "bad.jsonl:2:"},
		{"frac.jsonl", "{\"arrival_s\": 0, \"input_tokens\": 5.5, \"output_tokens\": 2}\n", "frac.jsonl:1: input \"5.5\""},
	} {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadTrace(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadTrace("no-such-trace"); err == nil || !strings.Contains(err.Error(), "azure-code, azure-conv") {
		t.Errorf("unknown trace: %v", err)
	}
}

// TestTrafficErrors: impossible traffic is refused by field.
func TestTrafficErrors(t *testing.T) {
	ok := Traffic{Rate: 1, Requests: 10, Input: Lengths{Mean: 10}, Output: Lengths{Mean: 10}}
	for _, tc := range []struct {
		mod  func(*Traffic)
		want string
	}{
		{func(t *Traffic) { t.Rate = 0 }, "rate 0: want a positive"},
		{func(t *Traffic) { t.Rate = math.NaN() }, "rate NaN"},
		{func(t *Traffic) { t.Arrival = "gamma" }, "cv 0"},
		{func(t *Traffic) { t.Arrival = "weibull" }, "arrival \"weibull\""},
		{func(t *Traffic) { t.Requests = 0 }, "requests say how long"},
		{func(t *Traffic) { t.Requests, t.DurationS, t.Rate = 0, 1e9, 1e3 }, "more than the 2000000"},
		{func(t *Traffic) { t.Input.Mean = 0 }, "input_len 0"},
		{func(t *Traffic) { t.Output.Dist = "zipf" }, "output_len_dist \"zipf\""},
	} {
		tr := ok
		tc.mod(&tr)
		_, err := tr.Generate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want %q", err, tc.want)
		}
	}
}
