package serve

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cardsea/cardsea/infer"
)

// TestPricerError bounds the step grid's interpolation error against
// direct engine runs of the same compositions, drawn at random over the
// ranges a run visits: median |error| under 1% and the worst under 5%.
func TestPricerError(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(testing.TB) (*infer.Engine, infer.Config)
		maxD int
		dp   int
	}{
		{"llama-3.1-70b TP8 on hgx-h100", func(t testing.TB) (*infer.Engine, infer.Config) {
			c := llama70(t)
			return c.Engine, c.Instance
		}, 1024, 1},
		{"deepseek-r1 EP72 on gb200-nvl72", func(t testing.TB) (*infer.Engine, infer.Config) {
			return engine(t, "gb200-nvl72", 0), infer.Config{Model: model(t, "deepseek-r1"), Accelerators: 72, Precision: fp8, MicroBatches: 1, MTPDraft: 1, MTPAccept: 0.7}
		}, 8192, 72},
	} {
		e, c := tc.cfg(t)
		grid, direct := newPricer(e, c), newPricer(e, c)
		direct.direct = true
		grid.dp, direct.dp = tc.dp, tc.dp
		rng := rand.New(rand.NewPCG(7, 7))
		var errs []float64
		for range 300 {
			d := rng.IntN(tc.maxD + 1)
			p := 0
			if rng.IntN(2) == 0 {
				p = 1 + rng.IntN(8192)
			}
			if d+p == 0 {
				d = 1
			}
			dctx, pctx := 64+rng.IntN(8000), 1+rng.IntN(8000)
			rp := 0
			if p > 0 {
				rp = max(p/72, rng.IntN(p)+1)
			}
			a, err := grid.step(d, dctx, p, pctx, rp)
			if err != nil {
				t.Fatal(err)
			}
			b, err := direct.step(d, dctx, p, pctx, rp)
			if err != nil {
				t.Fatal(err)
			}
			e := math.Abs(a.s/b.s - 1)
			errs = append(errs, e)
			if e > 0.05 {
				t.Errorf("%s: D %d over %d, P %d over %d: grid %.4f ms, direct %.4f ms (%.1f%%)", tc.name, d, dctx, p, pctx, a.s*1e3, b.s*1e3, 100*e)
			}
			if ej := math.Abs(a.j/b.j - 1); ej > 0.05 {
				t.Errorf("%s: D %d P %d: energy %.4g J on the grid, %.4g J direct", tc.name, d, p, a.j, b.j)
			}
		}
		slices.Sort(errs)
		med, p90, worst := errs[len(errs)/2], errs[len(errs)*9/10], errs[len(errs)-1]
		t.Logf("%s: |error| median %.2f%%, p90 %.2f%%, worst %.2f%% over %d steps (%d grid runs)", tc.name, 100*med, 100*p90, 100*worst, len(errs), grid.runs)
		if med > 0.01 {
			t.Errorf("%s: median |error| %.2f%%, want under 1%%", tc.name, 100*med)
		}
	}
}
