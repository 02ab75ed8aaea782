package study

import (
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/power"
)

// Defaults of the power and cost settings.
const (
	DefaultPricePerKWh       = 0.08 // USD; a typical US industrial tariff
	DefaultAmortizationYears = 4
)

// PowerSpec is the energy accounting and the prices, as a scenario file's
// `power:` and the commands' --power-mode, --price-per-kwh,
// --capex-per-accel and --amortization-years state them.
type PowerSpec struct {
	// Mode: activity (default) or provisioned.
	Mode string `yaml:"mode"`
	// PricePerKWh is the electricity price in USD (default 0.08).
	PricePerKWh *float64 `yaml:"price_per_kwh"`
	// CapexPerAccel is the all-in system price per accelerator in USD
	// (default 0: energy cost only).
	CapexPerAccel float64 `yaml:"capex_per_accel"`
	// AmortizationYears writes capex off straight-line (default 4).
	AmortizationYears float64 `yaml:"amortization_years"`
}

// Compile checks the settings and returns the accounting mode and the
// prices, defaults applied.
func (p PowerSpec) Compile() (power.Mode, power.Cost, error) {
	mode, err := power.ParseMode(or(p.Mode, string(power.Activity)))
	if err != nil {
		return "", power.Cost{}, field.Wrap("mode", err)
	}
	c := power.Cost{PricePerKWh: DefaultPricePerKWh, CapexPerAccel: p.CapexPerAccel, AmortizationYears: or(p.AmortizationYears, DefaultAmortizationYears)}
	if p.PricePerKWh != nil {
		c.PricePerKWh = *p.PricePerKWh
	}
	if err := c.Validate(); err != nil {
		return "", power.Cost{}, field.Wrap("price_per_kwh", err)
	}
	return mode, c, nil
}
