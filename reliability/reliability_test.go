package reliability

import (
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

func load(t *testing.T, name string, domains int) *topology.Topology {
	t.Helper()
	top, err := topology.Load(name, domains)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// TestLlama3 reproduces the Llama 3 snapshot (hardware.md §8): 16,384 H100s
// (hgx-h100 at 2,048 domains) for 54 days at the preset's rates meet about
// 419 unexpected interruptions, 196 of them GPU, 72 HBM3 and 35 network.
func TestLlama3(t *testing.T) {
	top := load(t, "hgx-h100", 2048)
	rates := Rates(top)
	days := 54.0
	got := FailuresPerDay(rates) * days
	if math.Abs(got-419) > 0.02*419 {
		t.Errorf("%.1f interruptions in 54 days, want 419 within 2%%", got)
	}
	by := map[string]float64{}
	for _, p := range rates {
		by[p.Kind] = p.PerDay * days
	}
	for kind, want := range map[string]float64{Accelerator: 196, HBM: 72, NIC: 7, CPU: 2, Server: 44, Software: 63} {
		if math.Abs(by[kind]-want) > 0.03*want+0.1 {
			t.Errorf("%s: %.1f in 54 days, want %.0f", kind, by[kind], want)
		}
	}
	if net := by[SwitchChip] + by[OpticalModule] + by[Cable]; math.Abs(net-35) > 1.5 {
		t.Errorf("switches and cables: %.1f in 54 days, want 35", net)
	}
	// About one every three hours.
	if h := MTBI(top) / 3600; h < 2.9 || h > 3.3 {
		t.Errorf("MTBI %.2f h, want about 3.1", h)
	}
}

func TestRatesCM384(t *testing.T) {
	rates := Rates(load(t, "cm384", 0))
	for _, p := range rates {
		switch p.Kind {
		case OpticalModule:
			if p.Count != 6912 {
				t.Errorf("optical modules %g, want 6,912", p.Count)
			}
			if p.Share < 0.1 {
				t.Errorf("optics share %.3f; 6,912 modules should be a visible part of CM384's failures", p.Share)
			}
		case Accelerator:
			if p.Count != 384 {
				t.Errorf("accelerators %g", p.Count)
			}
		case SwitchChip:
			if p.Count != 448 {
				t.Errorf("switch chips %g", p.Count)
			}
		}
	}
}

func TestParseFailureRate(t *testing.T) {
	for in, want := range map[string]float64{
		"6.1%/yr": 0.061 / 8760, "0.061/yr": 0.061 / 8760, "700 FIT": 700e-9, "700fit": 700e-9, "3 %/year": 0.03 / 8760, "0 FIT": 0,
	} {
		got, err := topology.ParseFailureRate(in)
		if err != nil || math.Abs(got-want) > 1e-12*want {
			t.Errorf("%q: %g, %v; want %g", in, got, err, want)
		}
	}
	for _, in := range []string{"6.1%", "700", "-1 FIT", "x/yr", "5% FIT", ""} {
		if _, err := topology.ParseFailureRate(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestGoodputLoss(t *testing.T) {
	m, c, r := 10*3600.0, 60.0, 300.0
	tau := OptimalInterval(m, c)
	if want := math.Sqrt(2 * 60 * 36000); tau != want {
		t.Fatalf("interval %g, want %g", tau, want)
	}
	loss := GoodputLoss(m, tau, c, r)
	if want := c/tau + (tau/2+r)/m; math.Abs(loss-want) > 1e-15 {
		t.Errorf("loss %g, want %g", loss, want)
	}
	// Young's interval minimises the loss.
	for _, f := range []float64{0.5, 0.8, 1.25, 2} {
		if GoodputLoss(m, tau*f, c, r) < loss {
			t.Errorf("interval x %g loses less than the optimum", f)
		}
	}
	if GoodputLoss(math.Inf(1), math.Inf(1), c, r) != 0 {
		t.Error("nothing fails, checkpoint never: want no loss")
	}
	if GoodputLoss(60, 3600, c, r) != 1 {
		t.Error("loss not capped at 1")
	}
}

// TestMonteCarloConverges checks the Monte Carlo mean against the
// first-order analytic goodput where the model holds (tau, R << MTBI).
func TestMonteCarloConverges(t *testing.T) {
	for _, name := range []string{"cm384", "gb200-nvl72"} {
		t.Run(name, func(t *testing.T) {
			top := load(t, name, 0)
			m := MTBI(top)
			opts := Options{Days: 30, Seed: 7, CheckpointCost: 60, RestartCost: 300, Runs: 4000}
			opts.Interval = OptimalInterval(m, opts.CheckpointCost)
			res, err := MonteCarlo(top, opts)
			if err != nil {
				t.Fatal(err)
			}
			want := 1 - GoodputLoss(m, opts.Interval, opts.CheckpointCost, opts.RestartCost)
			if d := math.Abs(res.Goodput.Mean - want); d > 0.02*want {
				t.Errorf("Monte Carlo goodput %.4f, analytic %.4f", res.Goodput.Mean, want)
			}
			if d := res.Goodput.Mean - want; math.Abs(d) > 0.003 {
				t.Errorf("Monte Carlo goodput %.4f differs from analytic %.4f by %.4f", res.Goodput.Mean, want, d)
			}
			wantIntr := 30 * FailuresPerDay(Rates(top))
			if math.Abs(res.Interruptions.Mean-wantIntr) > 0.03*wantIntr {
				t.Errorf("mean interruptions %.2f, want %.2f", res.Interruptions.Mean, wantIntr)
			}
			if !(res.Goodput.P5 <= res.Goodput.P50 && res.Goodput.P50 <= res.Goodput.P95) {
				t.Errorf("percentiles out of order: %+v", res.Goodput)
			}
		})
	}
}

func TestMonteCarloDeterministic(t *testing.T) {
	top := load(t, "cm384", 0)
	opts := Options{Days: 30, Seed: 1, CheckpointCost: 60, RestartCost: 300, Interval: 1800, Runs: 200}
	a, err := MonteCarlo(top, opts)
	if err != nil {
		t.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	b, _ := MonteCarlo(top, opts)
	runtime.GOMAXPROCS(prev)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
	opts.Seed = 2
	c, _ := MonteCarlo(top, opts)
	if reflect.DeepEqual(a.Goodput, c.Goodput) {
		t.Error("another seed gave the same goodput")
	}
}

func TestMonteCarloErrors(t *testing.T) {
	top := load(t, "cm384", 0)
	for _, o := range []Options{
		{Days: 0, Runs: 1}, {Days: 30, Runs: 0}, {Days: 30, Runs: 1, CheckpointCost: 60},
		{Days: 30, Runs: 1, RestartCost: -1, Interval: 60},
	} {
		if _, err := MonteCarlo(top, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
