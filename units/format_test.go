package units

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{FormatBytes(49.2e12), "49.2 TB"},
		{FormatBytes(49.24e12), "49.2 TB"},
		{FormatBytes(0), "0 B"},
		{FormatBytes(512), "512 B"},
		{FormatBytes(1000), "1 kB"},
		{FormatBytes(999.96), "1 kB"},
		{FormatBytes(0.5), "0.5 B"},
		{FormatBytes(1e30), "1e+30 B"},
		{FormatBytes(-2e9), "-2 GB"},
		{FormatBytes(math.NaN()), "NaN B"},
		{FormatBytes(math.Inf(1)), "Inf B"},
		{FormatBytesBinary(64 * GiB), "64 GiB"},
		{FormatBytesBinary(1024), "1 KiB"},
		{FormatBytesBinary(8589934592), "8 GiB"},
		{FormatBytesBinary(1.5 * MiB), "1.5 MiB"},
		{FormatBytesBinary(1023), "1023 B"},
		{FormatBytesBinary(1023.99), "1 KiB"},
		{FormatBytesBinary(0), "0 B"},
		{FormatBytesBinary(80e9), "74.5 GiB"},
		{FormatBytesBinary(3 * EiB), "3 EiB"},
		{FormatBandwidth(900e9), "900 GB/s"},
		{FormatBandwidth(1.8e12), "1.8 TB/s"},
		{FormatBandwidth(0), "0 B/s"},
		{FormatFLOPS(2.5e15), "2.5 PFLOP/s"},
		{FormatFLOPS(989.4e12), "989 TFLOP/s"},
		{FormatFLOPS(1e18), "1 EFLOP/s"},
		{FormatFLOPS(0), "0 FLOP/s"},
		{FormatPower(145e3), "145 kW"},
		{FormatPower(700), "700 W"},
		{FormatPower(0.005), "5 mW"},
		{FormatPower(1.5e6), "1.5 MW"},
		{FormatPower(0), "0 W"},
		{FormatDuration(1.2e-6), "1.2 us"},
		{FormatDuration(49.4e-3), "49.4 ms"},
		{FormatDuration(3.1), "3.1 s"},
		{FormatDuration(200e-9), "200 ns"},
		{FormatDuration(1.5e-12), "1.5 ps"},
		{FormatDuration(1e-15), "0.001 ps"},
		{FormatDuration(150), "2.5 min"},
		{FormatDuration(59.99), "1 min"},
		{FormatDuration(7200), "2 h"},
		{FormatDuration(1.5 * 86400), "1.5 d"},
		{FormatDuration(0), "0 s"},
		{FormatEnergy(3200), "3.2 kJ"},
		{FormatEnergy(3.6e6), "3.6 MJ"},
		{FormatEnergy(0), "0 J"},
		{FormatSI(1500, "", 3), "1.5k"},
		{FormatSI(0, "", 3), "0"},
		{FormatSI(123456, "B", 6), "123.456 kB"},
		{FormatSI(123456, "B", 2), "120 kB"},
		{FormatSI(123456, "B", 0), "100 kB"},
		{FormatSI(1.23e-14, "J", 3), "12.3 fJ"},
		{FormatSI(1e-30, "J", 3), "1e-30 J"},
		{FormatSI(2e21, "W", 3), "2000 EW"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

// Format then Parse gives back the value within formatting precision.
func TestRoundTrip(t *testing.T) {
	values := []float64{0, 1e-14, 3.3e-9, 1.234e-6, 0.5, 1, 7, 59.99, 64, 999.96, 1023, 1024, 1500,
		12345, 3.6e6, 65536, 49.2e12, 1.8e12, 7.77e17, 2.5e20, 1e30}
	const tol = 5e-3 // half a unit in the third significant digit
	type pair struct {
		name   string
		format func(float64) string
		parse  func(string) (float64, error)
	}
	pairs := []pair{
		{"Bytes", FormatBytes, ParseBytes},
		{"BytesBinary", FormatBytesBinary, ParseBytes},
		{"Bandwidth", FormatBandwidth, func(s string) (float64, error) {
			b, err := ParseBandwidth(s)
			return b.BytesPerS, err
		}},
		{"FLOPS", FormatFLOPS, ParseFLOPS},
		{"Power", FormatPower, ParsePower},
		{"Duration", FormatDuration, ParseDuration},
		{"Energy", FormatEnergy, ParseEnergy},
	}
	for _, p := range pairs {
		for _, v := range values {
			s := p.format(v)
			got, err := p.parse(s)
			if err != nil {
				t.Errorf("%s: %v -> %q -> error %v", p.name, v, s, err)
				continue
			}
			if !approx(got, v, tol) {
				t.Errorf("%s: %v -> %q -> %v", p.name, v, s, got)
			}
		}
	}
	for _, b := range []Bandwidth{{1.8e12, Bidirectional}, {900e9, PerDirection}, {50e9, DirUnspecified}} {
		got, err := ParseBandwidth(b.String())
		if err != nil || got != b {
			t.Errorf("Bandwidth %+v -> %q -> %+v, %v", b, b.String(), got, err)
		}
	}
}
