package sim

import (
	"math"
	"testing"
)

func TestTimeString(t *testing.T) {
	tests := []struct {
		in   Time
		want string
	}{
		{0, "0s"},
		{1, "1ps"},
		{999, "999ps"},
		{Nanosecond, "1ns"},
		{1500 * Picosecond, "1.5ns"},
		{1500 * Nanosecond, "1.5us"},
		{Microsecond + 1, "1.000001us"},
		{20 * Millisecond, "20ms"},
		{Second, "1s"},
		{90 * Second, "90s"},
		{Second + 250*Millisecond, "1.25s"},
		{Second + 1, "1.000000000001s"},
		{-3 * Nanosecond, "-3ns"},
		{-1500 * Nanosecond, "-1.5us"},
		{MaxTime, "9223372.036854775807s"},
		{math.MinInt64, "-9223372.036854775808s"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Time(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestTimeSeconds(t *testing.T) {
	tests := []struct {
		in   Time
		want float64
	}{
		{0, 0},
		{Second, 1},
		{1500 * Millisecond, 1.5},
		{Picosecond, 1e-12},
		{-2 * Second, -2},
	}
	for _, tt := range tests {
		if got := tt.in.Seconds(); got != tt.want {
			t.Errorf("Time(%d).Seconds() = %v, want %v", int64(tt.in), got, tt.want)
		}
	}
}

func TestFromSeconds(t *testing.T) {
	tests := []struct {
		in   float64
		want Time
	}{
		{0, 0},
		{math.Copysign(0, -1), 0},
		{1e-12, 1},
		{1.5e-12, 2},
		{1.0001e-12, 2},
		{0.4e-12, 1},
		{1e-300, 1},
		{math.SmallestNonzeroFloat64, 1},
		{3e-9, 3 * Nanosecond},
		{1e-6, Microsecond},
		{0.1, 100 * Millisecond},
		{1, Second},
		{1.5, 1500 * Millisecond},
		{20e-3, 20 * Millisecond},
		{1e-9 + 1e-12, 1001},
		{8192.0 / 400e9, 20480 * Picosecond},   // 8 KiB at 400 GB/s: exact
		{1000.0 / 3e9 / 8, 41667 * Picosecond}, // 41666.67 ps rounds up
		{math.Inf(1), MaxTime},
		{1e300, MaxTime},
		{float64(MaxTime) / 1e12, MaxTime},
		{math.Inf(-1), 0},
		{-1, 0},
		{-1e-12, 0},
		{math.NaN(), 0},
	}
	for _, tt := range tests {
		if got := FromSeconds(tt.in); got != tt.want {
			t.Errorf("FromSeconds(%v) = %d, want %d", tt.in, int64(got), int64(tt.want))
		}
	}
}

// TestFromSecondsNeverEarly checks the rounding contract on many values: the
// result is never more than a picosecond late and never earlier than the
// input, allowing only for float64 representation error.
func TestFromSecondsNeverEarly(t *testing.T) {
	for ps := int64(0); ps < 200_000; ps += 7 {
		for _, frac := range []float64{0, 0.001, 0.25, 0.5, 0.999} {
			s := (float64(ps) + frac) / 1e12
			got := FromSeconds(s)
			x := s * 1e12
			if float64(got) < x*(1-1e-15) || float64(got) >= x+1 {
				t.Fatalf("FromSeconds(%v) = %d, exact value %v ps", s, int64(got), x)
			}
			if frac == 0 && got != Time(ps) {
				t.Fatalf("FromSeconds(%v) = %d, want %d", s, int64(got), ps)
			}
		}
	}
}

func TestTimeRoundTrip(t *testing.T) {
	for _, v := range []Time{0, 1, 999, Nanosecond, 12345678, Second, 3600 * Second} {
		if got := FromSeconds(v.Seconds()); got != v {
			t.Errorf("FromSeconds(%v.Seconds()) = %v", v, got)
		}
	}
}
