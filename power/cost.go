package power

import (
	"fmt"
	"math"
)

// SecondsPerYear is a 365-day year.
const SecondsPerYear = 365 * 24 * 3600

// Cost prices a workload that produces tokens (or operations) at a steady
// rate: energy at PricePerKWh on facility energy, and capital as each
// accelerator's all-in share of the system price (CapexPerAccel, USD)
// written off straight-line over AmortizationYears of continuous service.
type Cost struct {
	PricePerKWh       float64
	CapexPerAccel     float64
	AmortizationYears float64
}

// Validate checks the figures.
func (c Cost) Validate() error {
	for _, v := range []struct {
		name string
		x    float64
	}{{"price per kWh", c.PricePerKWh}, {"capex per accelerator", c.CapexPerAccel}, {"amortization years", c.AmortizationYears}} {
		if v.x < 0 || math.IsNaN(v.x) || math.IsInf(v.x, 0) {
			return fmt.Errorf("%s %g: want 0 or more", v.name, v.x)
		}
	}
	if c.CapexPerAccel > 0 && c.AmortizationYears == 0 {
		return fmt.Errorf("capex per accelerator needs amortization years above 0")
	}
	return nil
}

// PerMillion returns the energy and capital cost, in USD, of one million
// tokens produced at tokensPerS by accels accelerators drawing facilityW.
func (c Cost) PerMillion(tokensPerS, facilityW float64, accels int) (energy, capital float64) {
	if tokensPerS <= 0 {
		return 0, 0
	}
	seconds := 1e6 / tokensPerS
	energy = facilityW * seconds / 3.6e6 * c.PricePerKWh
	if c.AmortizationYears > 0 {
		capital = c.CapexPerAccel * float64(accels) / (c.AmortizationYears * SecondsPerYear) * seconds
	}
	return energy, capital
}
