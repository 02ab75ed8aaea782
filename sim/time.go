package sim

import (
	"math"
	"strconv"
)

// Time is a point in, or a span of, simulated time, counted in picoseconds.
type Time int64

// Units of simulated time.
const (
	Picosecond  Time = 1
	Nanosecond       = 1000 * Picosecond
	Microsecond      = 1000 * Nanosecond
	Millisecond      = 1000 * Microsecond
	Second           = 1000 * Millisecond
)

// MaxTime is the largest representable Time (about 106 days).
const MaxTime Time = math.MaxInt64

// Seconds returns t as a floating-point number of seconds.
func (t Time) Seconds() float64 {
	return float64(t) / float64(Second)
}

// ulpTolerance is the relative slack FromSeconds allows above a whole
// picosecond before rounding up. It is a few float64 ULPs (2^-50 ≈ 8.9e-16),
// enough to absorb the representation error of decimal inputs such as 1e-12
// or 3e-9 and the rounding of the multiplication by 1e12, and far below the
// 1 ps resolution for every value that fits in a Time.
const ulpTolerance = 0x1p-50

// FromSeconds converts a duration in seconds to a Time, rounding up to the
// next whole picosecond so that a finish time computed from it never comes
// early. A value that is within a few float64 ULPs above a whole number of
// picoseconds is treated as that whole number, so that decimal literals map
// as expected (FromSeconds(1e-12) == 1, FromSeconds(3e-9) == 3000) rather
// than gaining a spurious picosecond from binary representation error.
//
// Out-of-range inputs do not panic: values at or above MaxTime seconds
// (including +Inf) saturate to MaxTime, and NaN, negative values and -Inf
// return 0. Callers that can produce such values should check for them.
func FromSeconds(s float64) Time {
	if !(s > 0) { // NaN, zero, negative, -Inf
		return 0
	}
	x := s * float64(Second)
	if x >= float64(MaxTime) { // float64(MaxTime) is exactly 2^63
		return MaxTime
	}
	c := math.Ceil(x)
	if c > x && x-(c-1) <= x*ulpTolerance {
		c-- // x is a whole picosecond plus float noise
	}
	return Time(c)
}

// String formats t in the largest unit (s, ms, us, ns, ps) not exceeding
// |t|, with an exact decimal fraction and no trailing zeros: "0s", "750ps",
// "1.5us", "20ms", "-3ns". The result is exact and deterministic.
func (t Time) String() string {
	if t == 0 {
		return "0s"
	}
	var buf [32]byte
	b := buf[:0]
	u := uint64(t)
	if t < 0 {
		b = append(b, '-')
		u = -u // two's complement; correct for math.MinInt64 as well
	}
	var unit uint64
	var suffix string
	switch {
	case u >= uint64(Second):
		unit, suffix = uint64(Second), "s"
	case u >= uint64(Millisecond):
		unit, suffix = uint64(Millisecond), "ms"
	case u >= uint64(Microsecond):
		unit, suffix = uint64(Microsecond), "us"
	case u >= uint64(Nanosecond):
		unit, suffix = uint64(Nanosecond), "ns"
	default:
		unit, suffix = 1, "ps"
	}
	b = strconv.AppendUint(b, u/unit, 10)
	if frac := u % unit; frac != 0 {
		b = append(b, '.')
		for div := unit / 10; frac != 0; div /= 10 {
			b = append(b, byte('0'+frac/div))
			frac %= div
		}
	}
	b = append(b, suffix...)
	return string(b)
}
