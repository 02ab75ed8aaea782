package serve

import (
	"math"
	"math/bits"

	"github.com/cardsea/cardsea/infer"
)

// cost is a step's time, the energy its instance draws in it (the
// serving accelerators' share of the system's IT and facility energy),
// and its collectives' time on the fabric, hidden or exposed.
type cost struct{ s, j, fj, comm float64 }

// pricer prices steps of one instance: infer's step for the step's real
// composition (infer.Mix), memoised on a grid and interpolated.
//
// The grid's axes are the decoding sequences D and the prompt tokens P
// (0, 1, 2, 3, then two points an octave: 4, 6, 8, 12, ...), the decode
// KV length and the prompt tokens' keys (powers of two), and with data
// parallelism the busiest replica's prompt tokens (a count axis; its
// decoding sequences are an even share, as the router balances them). A
// step is the multilinear interpolation of the 16 (32) grid points
// around it, each run once. Attention is bilinear in a count and a length (D sequences over K
// keys), which multilinear interpolation reproduces exactly; the error
// comes from the roofline's kinks inside a cell (TestPricerError bounds
// it against direct runs). Cost: one engine run per grid point visited
// (a few hundred in a long run), then O(16) per step.
type pricer struct {
	e      *infer.Engine
	base   infer.Config
	direct bool
	acc    int // the instance's accelerators
	dp     int // its data-parallel replicas
	grid   map[infer.Mix]cost
	// runs counts engine runs. The grid prices a step's prompt tokens
	// as one sequence's (the output head's one row each is a sliver).
	runs int
	// resolved is the instance's configuration as the engine resolved
	// it (the defaults of TP, PP, EP filled in), from its first run.
	resolved infer.Config
}

func newPricer(e *infer.Engine, base infer.Config) *pricer {
	base.Phase = infer.Serve
	base.Batch, base.InputLen, base.OutputLen, base.Context = 0, 0, 0, 0
	return &pricer{e: e, base: base, grid: map[infer.Mix]cost{}}
}

// run is one engine run of m, memoised.
func (p *pricer) run(m infer.Mix) (cost, error) {
	if m.Decode == 0 {
		m.DecodeContext = 0
	}
	if m.Prefill == 0 {
		m.PrefillSeqs, m.PrefillContext, m.RankPrefill = 0, 0, 0
	} else {
		m.PrefillSeqs = 1
		m.RankPrefill = min(m.RankPrefill, m.Prefill)
	}
	m.RankDecode = 0
	if p.dp > 1 {
		// The router spreads decoding sequences evenly over the replicas.
		m.RankDecode = (m.Decode + p.dp - 1) / p.dp
	} else {
		m.RankPrefill = 0
	}
	if c, ok := p.grid[m]; ok {
		return c, nil
	}
	c := p.base
	c.Mix = m
	r, err := p.e.Run(c)
	if err != nil {
		return cost{}, err
	}
	if p.runs == 0 {
		p.resolved = r.Config
		p.resolved.Mix = infer.Mix{}
	}
	p.runs++
	v := cost{r.StepS, r.Energy.ITJ * r.ServingShare, r.Energy.FacilityJ * r.ServingShare, r.CommS}
	p.grid[m] = v
	return v, nil
}

// countAxis is the grid points around n on a count axis: every count to
// 4, then two an octave (4, 6, 8, 12, 16, ...).
func countAxis(n int) (lo, hi int) {
	if n <= 4 {
		return n, n
	}
	p := 1 << (63 - bits.LeadingZeros64(uint64(n))) // the power of two at or below n
	if n == p {
		return n, n
	}
	if mid := p + p/2; n < mid {
		return p, mid
	} else if n == mid {
		return n, n
	} else {
		return mid, 2 * p
	}
}

// lengthAxis is the powers of two around n.
func lengthAxis(n int) (lo, hi int) {
	if n <= 1 {
		return max(n, 1), max(n, 1)
	}
	p := 1 << (63 - bits.LeadingZeros64(uint64(n)))
	if n == p {
		return n, n
	}
	return p, 2 * p
}

// shareAxis is the grid points around a share of the prompt tokens:
// 1/DP (an even share), then the powers of two above it, to 1.
func (p *pricer) shareAxis(x float64) (lo, hi float64) {
	even := 1 / float64(max(p.dp, 1))
	if x <= even || p.dp <= 1 {
		return even, even
	}
	if x >= 1 {
		return 1, 1
	}
	hi = math.Exp2(math.Ceil(math.Log2(x)))
	lo = math.Max(hi/2, even)
	if hi == x {
		lo = x
	}
	return lo, hi
}

// weight is x's place between lo and hi.
func weight(x, lo, hi int) float64 {
	if hi == lo {
		return 0
	}
	return float64(x-lo) / float64(hi-lo)
}

// step prices a step: d decoding sequences over dctx keys of KV on
// average, and p prompt tokens attending to pctx keys on average, rp of
// them on the busiest data-parallel replica.
func (p *pricer) step(d, dctx, pt, pctx, rp int) (cost, error) {
	m := infer.Mix{Decode: d, DecodeContext: dctx, Prefill: pt, PrefillSeqs: min(pt, 1), PrefillContext: pctx, RankPrefill: rp}
	if p.direct {
		return p.run(m)
	}
	if d == 0 {
		dctx = 1
	}
	if pt == 0 {
		pctx = 1
	}
	if p.dp <= 1 || pt == 0 {
		rp = 0
	}
	d0, d1 := countAxis(d)
	p0, p1 := countAxis(pt)
	k0, k1 := lengthAxis(dctx)
	q0, q1 := lengthAxis(pctx)
	// The busiest replica's share of the prompt tokens, from an even share
	// (1/DP) through the powers of two to all of them: the prefill cost is
	// multilinear in (P, share, keys), which the grid reproduces.
	share := 0.0
	if pt > 0 {
		share = float64(rp) / float64(pt)
	}
	r0, r1 := p.shareAxis(share)
	wd, wp, wk, wq := weight(d, d0, d1), weight(pt, p0, p1), weight(dctx, k0, k1), weight(pctx, q0, q1)
	wr := 0.0
	if r1 > r0 {
		wr = (share - r0) / (r1 - r0)
	}
	var out cost
	for i := range 32 {
		dd, w := d0, 1-wd
		if i&1 != 0 {
			dd, w = d1, wd
		}
		pp, wv := p0, 1-wp
		if i&2 != 0 {
			pp, wv = p1, wp
		}
		w *= wv
		kk, wv := k0, 1-wk
		if i&4 != 0 {
			kk, wv = k1, wk
		}
		w *= wv
		qq, wv := q0, 1-wq
		if i&8 != 0 {
			qq, wv = q1, wq
		}
		w *= wv
		sh, wv := r0, 1-wr
		if i&16 != 0 {
			sh, wv = r1, wr
		}
		w *= wv
		if w == 0 || dd+pp == 0 {
			continue
		}
		rr := int(math.Round(sh * float64(pp)))
		c, err := p.run(infer.Mix{Decode: dd, DecodeContext: kk, Prefill: pp, PrefillSeqs: min(pp, 1), PrefillContext: qq, RankPrefill: rr})
		if err != nil {
			return cost{}, err
		}
		out.s += w * c.s
		out.j += w * c.j
		out.fj += w * c.fj
		out.comm += w * c.comm
	}
	return out, nil
}
