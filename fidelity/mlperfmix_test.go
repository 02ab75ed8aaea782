package fidelity

import (
	"math"
	"testing"
)

// TestMLPerfMixes: the strata keep the data sets' means (mlperfmix.go's
// sources), and the draws are deterministic and follow the rate.
func TestMLPerfMixes(t *testing.T) {
	for _, c := range []struct {
		name    string
		mix     []mlperfPair
		in, out float64
	}{
		{"llama3.1-405b", llama405Mix, 9428.6, 684.68},
		{"deepseek-r1", deepseekR1Mix, 803.8, 3886.2},
	} {
		if len(c.mix) != 50 {
			t.Errorf("%s: %d strata, want 50", c.name, len(c.mix))
		}
		var in, out float64
		for _, p := range c.mix {
			in += float64(p.input)
			out += float64(p.output)
		}
		in /= float64(len(c.mix))
		out /= float64(len(c.mix))
		if math.Abs(in-c.in) > 2 || math.Abs(out-c.out) > 1 {
			t.Errorf("%s: strata means %.1f in, %.1f out; want the data set's %.1f and %.2f", c.name, in, out, c.in, c.out)
		}
	}
	a, err := mlperfMixRequests(llama405Mix, 2, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := mlperfMixRequests(llama405Mix, 2, 1000, 1)
	if len(a) != len(b) || a[len(a)-1] != b[len(b)-1] {
		t.Error("two draws of one seed differ")
	}
	if n := len(a); n < 1800 || n > 2200 {
		t.Errorf("%d arrivals in 1000 s at 2/s", n)
	}
}
