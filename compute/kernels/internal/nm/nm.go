// Package nm is a deterministic Nelder-Mead simplex minimiser, the fitting
// engine of package kernels' coefficient tables. It has no randomness: the
// same function and start give the same answer, bit for bit.
package nm

import (
	"math"
	"sort"
)

// Minimize minimises f from x0 with an initial simplex of steps step (one
// per coordinate), for at most iters iterations, restarting the simplex
// around the best point restarts times (restarts guard against the
// simplex collapsing early). It returns the best point and its value.
// Coefficients are the standard ones (reflection 1, expansion 2,
// contraction 0.5, shrink 0.5).
func Minimize(f func([]float64) float64, x0, step []float64, iters, restarts int) ([]float64, float64) {
	best := append([]float64(nil), x0...)
	fbest := f(best)
	for r := 0; r <= restarts; r++ {
		x, fx := run(f, best, step, iters)
		if fx < fbest {
			best, fbest = x, fx
		}
	}
	return best, fbest
}

func run(f func([]float64) float64, x0, step []float64, iters int) ([]float64, float64) {
	d := len(x0)
	pts := make([][]float64, d+1)
	val := make([]float64, d+1)
	for i := range pts {
		p := append([]float64(nil), x0...)
		if i > 0 {
			p[i-1] += step[i-1]
		}
		pts[i], val[i] = p, f(p)
	}
	idx := make([]int, d+1)
	cen := make([]float64, d)
	at := func(c []float64, t float64, w []float64) []float64 {
		p := make([]float64, d)
		for j := range p {
			p[j] = c[j] + t*(w[j]-c[j])
		}
		return p
	}
	for it := 0; it < iters; it++ {
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return val[idx[a]] < val[idx[b]] })
		lo, hi, nh := idx[0], idx[d], idx[d-1]
		if math.Abs(val[hi]-val[lo]) <= 1e-12*(math.Abs(val[lo])+1e-30) {
			break
		}
		for j := range cen {
			cen[j] = 0
			for _, i := range idx[:d] {
				cen[j] += pts[i][j]
			}
			cen[j] /= float64(d)
		}
		xr := at(cen, -1, pts[hi])
		fr := f(xr)
		switch {
		case fr < val[lo]:
			xe := at(cen, -2, pts[hi])
			if fe := f(xe); fe < fr {
				pts[hi], val[hi] = xe, fe
			} else {
				pts[hi], val[hi] = xr, fr
			}
		case fr < val[nh]:
			pts[hi], val[hi] = xr, fr
		default:
			var xc []float64
			if fr < val[hi] {
				xc = at(cen, -0.5, pts[hi]) // outside contraction
			} else {
				xc = at(cen, 0.5, pts[hi]) // inside contraction
			}
			if fc := f(xc); fc < math.Min(fr, val[hi]) {
				pts[hi], val[hi] = xc, fc
				continue
			}
			for _, i := range idx[1:] { // shrink towards the best
				pts[i] = at(pts[lo], 0.5, pts[i])
				val[i] = f(pts[i])
			}
		}
	}
	b := 0
	for i := range val {
		if val[i] < val[b] {
			b = i
		}
	}
	return pts[b], val[b]
}
