package kernels

import (
	"math"
	"sort"
)

// ErrStats summarises |relative error| = |predicted/measured - 1| over a
// set of rows.
type ErrStats struct {
	N           int
	Median, P90 float64
	Max         float64
	Bias        float64 // median of predicted/measured - 1 (signed)
}

// Summarise returns the statistics of predicted against measured times.
func Summarise(pred, meas []float64) ErrStats {
	if len(pred) == 0 {
		return ErrStats{}
	}
	abs := make([]float64, len(pred))
	sig := make([]float64, len(pred))
	for i := range pred {
		sig[i] = pred[i]/meas[i] - 1
		abs[i] = math.Abs(sig[i])
	}
	sort.Float64s(abs)
	sort.Float64s(sig)
	return ErrStats{N: len(pred), Median: quantile(abs, 0.5), P90: quantile(abs, 0.9), Max: abs[len(abs)-1], Bias: quantile(sig, 0.5)}
}

// quantile of sorted xs by linear interpolation between order statistics.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	p := q * float64(len(xs)-1)
	i := int(p)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	f := p - float64(i)
	return xs[i]*(1-f) + xs[i+1]*f
}
