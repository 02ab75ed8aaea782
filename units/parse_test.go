package units

import (
	"errors"
	"math"
	"strings"
	"testing"
)

type parseCase struct {
	in   string
	want float64
}

// checkParse runs good inputs (exact or within 1e-12 relative) and bad inputs
// (must fail with a *Error quoting the input).
func checkParse(t *testing.T, name string, parse func(string) (float64, error), good []parseCase, bad []string) {
	t.Helper()
	for _, c := range good {
		got, err := parse(c.in)
		if err != nil {
			t.Errorf("%s(%q): unexpected error: %v", name, c.in, err)
			continue
		}
		if !approx(got, c.want, 1e-12) {
			t.Errorf("%s(%q) = %v, want %v", name, c.in, got, c.want)
		}
	}
	for _, in := range bad {
		got, err := parse(in)
		if err == nil {
			t.Errorf("%s(%q) = %v, want error", name, in, got)
			continue
		}
		checkError(t, in, err)
	}
}

func checkError(t *testing.T, in string, err error) {
	t.Helper()
	var ue *Error
	if !errors.As(err, &ue) {
		t.Errorf("%q: error %T is not *units.Error", in, err)
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "units: ") || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("%q: bad message %q", in, msg)
	}
	if !strings.Contains(msg, quotedPrefix(in)) {
		t.Errorf("%q: message %q does not quote the input", in, msg)
	}
}

func approx(got, want, rel float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= rel*math.Abs(want)
}

func TestParseBytes(t *testing.T) {
	good := []parseCase{
		{"64GiB", 64 * GiB},
		{"128 GB", 128e9},
		{"1.5TB", 1.5e12},
		{"4096", 4096},
		{"8KiB", 8192},
		{"512B", 512},
		{"1e9B", 1e9},
		{"1E9 B", 1e9},
		{"1e+3kB", 1e6},
		{"2.5e-3MB", 2500},
		{"64Gb", 8e9},
		{"64gb", 8e9},
		{"64gB", 64e9},
		{"64 GIB", 64 * GiB},
		{"8 kib", 1024},
		{"1kB", 1000},
		{"1KB", 1000},
		{"1 PB", 1e15},
		{"1 PiB", PiB},
		{"2 TiB", 2 * TiB},
		{"3 MiB", 3 * MiB},
		{"1 EB", 1e18},
		{"1 bytes", 1},
		{"4 kilobytes", 4000},
		{"8 bits", 1},
		{"1 Gbit", 1.25e8},
		{"1 Kibit", 128},
		{".5KB", 500},
		{"5.KB", 5000},
		{"+5KB", 5000},
		{"  7 B  ", 7},
		{"1.2\u00a0GB", 1.2e9},
		{"0", 0},
		{"0 B", 0},
		{"1e-400", 0},
	}
	bad := []string{
		"", "   ", "-5GB", "-0", "NaN", "Inf", "+Inf GB", "GB", "1.5XB", "5 GB extra",
		"1,024", "1e400", "1e308 EB", "5 mb/s", "1.2.3GB", "5e", "5 e3", "0x10", "5 GiBB", "5\u212aB",
		"1e99999999999999999999999", "5 B/s",
	}
	checkParse(t, "ParseBytes", ParseBytes, good, bad)
}

func TestParseSize(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"4096", 4096},
		{"64KiB", 65536},
		{"1MB", 1000000},
		{"1.1kB", 1100},
		{"1.5e-3MB", 1500},
		{"1.5KiB", 1536},
		{"8G", 8 << 30}, // nccl-tests' bare multipliers are binary
		{"128M", 128 << 20},
		{"1k", 1024},
		{"1.5G", 3 << 29},
		{"9223372036854774784", 9223372036854774784}, // largest float64 below 2^63
	}
	for _, c := range good {
		got, err := ParseSize(c.in)
		if err != nil {
			t.Errorf("ParseSize(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseSize(%q) = %d, want %d", c.in, got, c.want)
		}
	}
	for _, in := range []string{"8Gb", "1gib", "1gb", "2 kbit", "8388608T", "1.5B", "0.1KiB", "1b", "9.3e18", "8EiB", "9223372036854775807", "-1", "", "1 GB/s", "abc"} {
		got, err := ParseSize(in)
		if err == nil {
			t.Errorf("ParseSize(%q) = %d, want error", in, got)
			continue
		}
		checkError(t, in, err)
	}
	_, err := ParseSize("1.5B")
	want := `units: "1.5B" is not a whole-byte size: 1.5 bytes is not a whole number of bytes (want e.g. 4096, 64KiB, 1MB)`
	if err == nil || err.Error() != want {
		t.Errorf("ParseSize(1.5B) error = %v\nwant %s", err, want)
	}
	if got, err := ParseSize("4EiB"); err != nil || got != 4<<60 {
		t.Errorf("ParseSize(4EiB) = %d, %v", got, err)
	}
}

func TestParseBandwidth(t *testing.T) {
	good := []struct {
		in   string
		want float64
		dir  Direction
	}{
		{"900GB/s", 900e9, DirUnspecified},
		{"900 GB/s", 900e9, DirUnspecified},
		{"400Gb/s", 50e9, DirUnspecified},
		{"400Gbps", 50e9, DirUnspecified},
		{"400 Gbit/s", 50e9, DirUnspecified},
		{"400 Gbits/s", 50e9, DirUnspecified},
		{"1.8TB/s bidir", 1.8e12, Bidirectional},
		{"1.8 TB/s bidirectional", 1.8e12, Bidirectional},
		{"1.8 TB/s Bidirectional", 1.8e12, Bidirectional},
		{"1.8 TB/s (bidirectional)", 1.8e12, Bidirectional},
		{"1.8 TB/s bi-directional", 1.8e12, Bidirectional},
		{"50GB/s/dir", 50e9, PerDirection},
		{"50 GB/s /dir", 50e9, PerDirection},
		{"50 GB/s per direction", 50e9, PerDirection},
		{"50 GB/s per dir", 50e9, PerDirection},
		{"50 GB/s/direction", 50e9, PerDirection},
		{"28 GB/s uni", 28e9, PerDirection},
		{"196GB/s unidirectional", 196e9, PerDirection},
		{"200 GiB/s", 200 * GiB, DirUnspecified},
		{"100 MB/sec", 100e6, DirUnspecified},
		{"100 MBps", 100e6, DirUnspecified},
		{"800 gbps", 100e9, DirUnspecified},
		{"1 bps", 0.125, DirUnspecified},
		{"3.2 Tbps bidir", 0.4e12, Bidirectional},
		{"0", 0, DirUnspecified},
		{"900 GB/s per direction", 900e9, PerDirection},
	}
	for _, c := range good {
		got, err := ParseBandwidth(c.in)
		if err != nil {
			t.Errorf("ParseBandwidth(%q): %v", c.in, err)
			continue
		}
		if !approx(got.BytesPerS, c.want, 1e-12) || got.Dir != c.dir {
			t.Errorf("ParseBandwidth(%q) = %+v, want {%v %v}", c.in, got, c.want, c.dir)
		}
	}
	for _, in := range []string{
		"", "1.8XB/s", "900", "900GB", "5 bidir", "5 dir", "900 GB/s sideways", "900 GB/sdir",
		"900 GB/s (sideways)", "-900GB/s", "900 /s", "900 ps", "1e308 EB/s", "NaN GB/s", "900 GB/s/dir bidir",
	} {
		got, err := ParseBandwidth(in)
		if err == nil {
			t.Errorf("ParseBandwidth(%q) = %+v, want error", in, got)
			continue
		}
		checkError(t, in, err)
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		in   string
		err  func(string) error
		want string
	}{
		{"1.8XB/s", bw, `units: "1.8XB/s" is not a bandwidth: unknown unit "XB/s" (want e.g. 900GB/s, 400Gb/s, 1.8TB/s bidir)`},
		{"900GB", bw, `units: "900GB" is not a bandwidth: unknown unit "GB"; that is a size, not a rate; did you mean "GB/s"? (want e.g. 900GB/s, 400Gb/s, 1.8TB/s bidir)`},
		{"-5GB", by, `units: "-5GB" is not a byte size: negative values are not allowed (want e.g. 64GiB, 128GB, 1.5TB, 4096)`},
		{"", by, `units: "" is not a byte size: empty input (want e.g. 64GiB, 128GB, 1.5TB, 4096)`},
		{"NaN", by, `units: "NaN" is not a byte size: not a finite number (want e.g. 64GiB, 128GB, 1.5TB, 4096)`},
		{"5 GB extra", by, `units: "5 GB extra" is not a byte size: unknown unit "GB extra" (want e.g. 64GiB, 128GB, 1.5TB, 4096)`},
		{"1e400", by, `units: "1e400" is not a byte size: value out of range (want e.g. 64GiB, 128GB, 1.5TB, 4096)`},
		{"700", pw, `units: "700" is not a power: missing unit (want e.g. 700W, 1.2kW, 1.5MW)`},
		{"5m", du, `units: "5m" is not a duration: unknown unit "m"; use "min" for minutes or "ms" for milliseconds (want e.g. 200ns, 1.2us, 50ms, 2s, 3min)`},
		{"752 TFLOP", fl, `units: "752 TFLOP" is not a compute rate: unknown unit "TFLOP"; that is an amount, not a rate; did you mean "TFLOP/s"? (want e.g. 2.5PFLOP/s, 752TFLOPS, 1500TOPS, 989e12)`},
		{"1 kW", en, `units: "1 kW" is not an energy: unknown unit "kW"; that is a power, not an energy; did you mean "kWh"? (want e.g. 5J, 3.2kJ, 1kWh)`},
		{
			"12345678901234567890123456789012345678901234567890 XB", by,
			`units: "1234567890123456789012345678901234567890..." is not a byte size: unknown unit "XB" (want e.g. 64GiB, 128GB, 1.5TB, 4096)`,
		},
	}
	for _, tt := range tests {
		err := tt.err(tt.in)
		if err == nil {
			t.Errorf("%q: no error", tt.in)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func bw(s string) error { _, err := ParseBandwidth(s); return err }
func by(s string) error { _, err := ParseBytes(s); return err }
func pw(s string) error { _, err := ParsePower(s); return err }
func du(s string) error { _, err := ParseDuration(s); return err }
func fl(s string) error { _, err := ParseFLOPS(s); return err }
func en(s string) error { _, err := ParseEnergy(s); return err }

func TestPerDirBytesPerS(t *testing.T) {
	tests := []struct {
		b    Bandwidth
		def  Direction
		want float64
	}{
		{Bandwidth{1.8e12, Bidirectional}, DirUnspecified, 900e9},
		{Bandwidth{1.8e12, Bidirectional}, PerDirection, 900e9},
		{Bandwidth{900e9, PerDirection}, Bidirectional, 900e9},
		{Bandwidth{900e9, DirUnspecified}, PerDirection, 900e9},
		{Bandwidth{1.8e12, DirUnspecified}, Bidirectional, 900e9},
	}
	for _, tt := range tests {
		got, err := tt.b.PerDirBytesPerS(tt.def)
		if err != nil || got != tt.want {
			t.Errorf("%+v.PerDirBytesPerS(%v) = %v, %v; want %v", tt.b, tt.def, got, err, tt.want)
		}
	}
	_, err := Bandwidth{BytesPerS: 900e9}.PerDirBytesPerS(DirUnspecified)
	want := `units: "900 GB/s" is not a directional bandwidth: direction unspecified; say "/dir" (per direction) or "bidir" (bidirectional) explicitly (want e.g. 450GB/s/dir, 900GB/s bidir)`
	if err == nil || err.Error() != want {
		t.Errorf("unspecified direction: got %v\nwant %s", err, want)
	}
	var ue *Error
	if !errors.As(err, &ue) {
		t.Errorf("error %T is not *Error", err)
	}
	if _, err := (Bandwidth{1, Direction(7)}).PerDirBytesPerS(PerDirection); err == nil {
		t.Error("invalid direction accepted")
	}
	if _, err := (Bandwidth{1, DirUnspecified}).PerDirBytesPerS(Direction(9)); err == nil {
		t.Error("invalid default direction accepted")
	}
}

func TestDirectionString(t *testing.T) {
	for d, want := range map[Direction]string{
		DirUnspecified: "", PerDirection: "per direction", Bidirectional: "bidirectional", 7: "Direction(7)",
	} {
		if got := d.String(); got != want {
			t.Errorf("Direction(%d).String() = %q, want %q", uint8(d), got, want)
		}
	}
	if got := (Bandwidth{1.8e12, Bidirectional}).String(); got != "1.8 TB/s bidirectional" {
		t.Errorf("Bandwidth.String() = %q", got)
	}
}

func TestParseFLOPS(t *testing.T) {
	good := []parseCase{
		{"2.5 PFLOP/s", 2.5e15},
		{"752 TFLOPS", 752e12},
		{"752TFLOP/s", 752e12},
		{"752 tflops", 752e12},
		{"1500 TOPS", 1500e12},
		{"1.5 POP/s", 1.5e15},
		{"989e12", 989e12},
		{"1 EFLOP/s", 1e18},
		{"20 GFLOP/sec", 20e9},
		{"3 kFLOPS", 3000},
		{"5 FLOP/s", 5},
		{"0", 0},
	}
	bad := []string{"", "752 TFLOP", "752 TB/s", "1.5 PiFLOP/s", "-1 TFLOPS", "inf", "5 TFLOPS extra", "5 XFLOPS"}
	checkParse(t, "ParseFLOPS", ParseFLOPS, good, bad)
}

func TestParsePower(t *testing.T) {
	good := []parseCase{
		{"700 W", 700},
		{"700W", 700},
		{"1.2kW", 1200},
		{"1.2KW", 1200},
		{"559 kW", 559e3},
		{"1.5 MW", 1.5e6},
		{"0.5mW", 0.5e-3},
		{"0.5 mw", 0.5e-3},
		{"3 µW", 3e-6},
		{"3 uW", 3e-6},
		{"2 GW", 2e9},
		{"5 kilowatts", 5000},
		{"1 watt", 1},
		{"0", 0},
	}
	bad := []string{"", "700", "1 kWh", "5 XW", "-700 W", "5 mV", "NaN W", "5 Ki W"}
	checkParse(t, "ParsePower", ParsePower, good, bad)
}

func TestParseDuration(t *testing.T) {
	good := []parseCase{
		{"200ns", 200e-9},
		{"1.2us", 1.2e-6},
		{"1.2µs", 1.2e-6},
		{"1.2 μs", 1.2e-6},
		{"50ms", 50e-3},
		{"2s", 2},
		{"2 s", 2},
		{"2 sec", 2},
		{"1.5ps", 1.5e-12},
		{"3min", 180},
		{"2h", 7200},
		{"1d", 86400},
		{"1.5 hours", 5400},
		{"10 fs", 10e-15},
		{"0", 0},
	}
	bad := []string{"", "5", "5m", "-2s", "2 fortnights", "inf s", "2s2", "2 ss", "1h30m"}
	checkParse(t, "ParseDuration", ParseDuration, good, bad)
}

func TestParseEnergy(t *testing.T) {
	good := []parseCase{
		{"5 J", 5},
		{"3.2kJ", 3200},
		{"1 kWh", 3.6e6},
		{"2.5 MWh", 9e9},
		{"10 Wh", 36000},
		{"4 mJ", 4e-3},
		{"4 MJ", 4e6},
		{"7 pJ", 7e-12},
		{"2 joules", 2},
		{"0", 0},
	}
	bad := []string{"", "5", "1 kW", "-1 J", "5 XJ", "5 J/s"}
	checkParse(t, "ParseEnergy", ParseEnergy, good, bad)
}

func TestParseRatio(t *testing.T) {
	good := []parseCase{
		{"0.82", 0.82},
		{"82%", 0.82},
		{"82 %", 0.82},
		{"100%", 1},
		{"150%", 1.5},
		{"0", 0},
	}
	bad := []string{"", "%", "-0.5", "82%%", "0.5x", "nan%"}
	checkParse(t, "ParseRatio", ParseRatio, good, bad)
	// Percent is applied in decimal, so this is exact.
	if v, _ := ParseRatio("82%"); v != 0.82 {
		t.Errorf("ParseRatio(82%%) = %v, want exactly 0.82", v)
	}
}

func TestParseCount(t *testing.T) {
	good := []parseCase{
		{"384", 384},
		{"1.5k", 1500},
		{"1.5K", 1500},
		{"2M", 2e6},
		{"70B", 70e9},
		{"7b", 7e9},
		{"1 T", 1e12},
		{"1e6", 1e6},
	}
	bad := []string{"", "2m", "-3", "5 tokens", "Inf"}
	checkParse(t, "ParseCount", ParseCount, good, bad)
}

// Decimal prefixes are applied to the decimal text, so results are the
// correctly rounded value of what was written.
func TestParseExactDecimal(t *testing.T) {
	for in, want := range map[string]float64{"1.1kB": 1100, "0.3 GB": 0.3e9, "1.2us": 1.2e-6, "0.1 TFLOPS": 0.1e12} {
		var got float64
		var err error
		switch {
		case strings.HasSuffix(in, "us"):
			got, err = ParseDuration(in)
		case strings.HasSuffix(in, "FLOPS"):
			got, err = ParseFLOPS(in)
		default:
			got, err = ParseBytes(in)
		}
		if err != nil || got != want {
			t.Errorf("%q = %v, %v; want exactly %v", in, got, err, want)
		}
	}
}
