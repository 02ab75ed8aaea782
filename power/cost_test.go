package power

import (
	"math"
	"testing"
)

func TestCostPerMillion(t *testing.T) {
	// 1,000 tokens/s at 100 kW: a million tokens take 1,000 s = 27.8 kWh.
	c := Cost{PricePerKWh: 0.10, CapexPerAccel: 31536, AmortizationYears: 1}
	e, k := c.PerMillion(1000, 100e3, 10)
	if math.Abs(e-100e3*1000/3.6e6*0.10) > 1e-9 {
		t.Errorf("energy %g", e)
	}
	// 10 accelerators at 31,536 USD over a year: 0.01 USD/s; 1,000 s: 10 USD.
	if math.Abs(k-10) > 1e-9 {
		t.Errorf("capital %g, want 10", k)
	}
	if err := (Cost{PricePerKWh: -1}).Validate(); err == nil {
		t.Error("negative price accepted")
	}
	if err := (Cost{CapexPerAccel: 1}).Validate(); err == nil {
		t.Error("capex without years accepted")
	}
}
