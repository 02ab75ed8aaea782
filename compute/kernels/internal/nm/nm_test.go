package nm

import (
	"math"
	"testing"
)

func TestRosenbrock(t *testing.T) {
	f := func(x []float64) float64 {
		return 100*math.Pow(x[1]-x[0]*x[0], 2) + math.Pow(1-x[0], 2)
	}
	x, fx := Minimize(f, []float64{-1.2, 1}, []float64{0.5, 0.5}, 2000, 2)
	if fx > 1e-8 || math.Abs(x[0]-1) > 1e-3 || math.Abs(x[1]-1) > 1e-3 {
		t.Fatalf("Rosenbrock minimum at %v (f %g), want (1, 1)", x, fx)
	}
	y, _ := Minimize(f, []float64{-1.2, 1}, []float64{0.5, 0.5}, 2000, 2)
	if x[0] != y[0] || x[1] != y[1] {
		t.Fatalf("not deterministic: %v then %v", x, y)
	}
}
