package units

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// quotedPrefix returns the start of the quoted input that every error
// message must contain: the whole quoted input when short, otherwise the
// opening quote and the first 30 bytes (cut at a rune boundary).
func quotedPrefix(in string) string {
	if len(in) <= maxQuoted {
		return strconv.Quote(in)
	}
	n := 30
	for n > 0 && !utf8.RuneStart(in[n]) {
		n--
	}
	return strings.TrimSuffix(strconv.Quote(in[:n]), `"`)
}

// fuzzCheck verifies the contract shared by all parsers.
func fuzzCheck(t *testing.T, in string, v float64, err error) {
	t.Helper()
	if err != nil {
		var ue *Error
		if !errors.As(err, &ue) {
			t.Fatalf("%q: error %T is not *units.Error", in, err)
		}
		msg := err.Error()
		if msg == "" || ue.Reason == "" || strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("%q: bad message %q", in, msg)
		}
		if !strings.Contains(msg, quotedPrefix(in)) {
			t.Fatalf("%q: message %q does not quote the input", in, msg)
		}
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || math.Signbit(v) {
		t.Fatalf("%q: parsed to %v", in, v)
	}
}

// fuzzRoundTrip checks that formatting a parsed value parses back to it.
func fuzzRoundTrip(t *testing.T, in string, v float64, format func(float64) string, parse func(string) (float64, error)) {
	t.Helper()
	s := format(v)
	got, err := parse(s)
	if err != nil {
		t.Fatalf("%q -> %v -> %q: %v", in, v, s, err)
	}
	if !approx(got, v, 1e-2) && math.Abs(got-v) > 1e-300 {
		t.Fatalf("%q -> %v -> %q -> %v", in, v, s, got)
	}
}

var commonSeeds = []string{
	"", " ", "0", "-0", "-1", "+1", ".", "e", "1e", "1e+", "1e999999999999", "1e-999999999", "NaN", "inf",
	"1.2.3", "1,5", "١٢", "5 \u212aB", "5\x00B", "\xff\xfe", "5 (", "5 )", "5 ()", "(bidir)", "0x10",
	"12345678901234567890123456789012345678901234567890",
}

func addSeeds(f *testing.F, seeds ...string) {
	for _, s := range append(seeds, commonSeeds...) {
		f.Add(s)
	}
}

func FuzzParseBytes(f *testing.F) {
	addSeeds(f, "64GiB", "128 GB", "1.5TB", "4096", "8KiB", "512B", "1e9B", "64Gb", "5 kilobytes", "1.8XB/s")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseBytes(in)
		fuzzCheck(t, in, v, err)
		if err == nil {
			fuzzRoundTrip(t, in, v, FormatBytes, ParseBytes)
			fuzzRoundTrip(t, in, v, FormatBytesBinary, ParseBytes)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	addSeeds(f, "4096", "64KiB", "1MB", "1.5B", "9223372036854775807", "8EiB", "1.1kB")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseSize(in)
		fuzzCheck(t, in, float64(v), err)
		if err == nil && v < 0 {
			t.Fatalf("%q: negative size %d", in, v)
		}
	})
}

func FuzzParseBandwidth(f *testing.F) {
	addSeeds(f, "900GB/s", "400Gb/s", "400Gbps", "400 Gbit/s", "1.8TB/s bidir", "1.8 TB/s bidirectional",
		"50GB/s/dir", "50 GB/s per direction", "28 GB/s uni", "196GB/s unidirectional", "200 GiB/s",
		"1.8 TB/s (bidirectional)", "5 dir", "5 /dir", "1.8XB/s")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := ParseBandwidth(in)
		fuzzCheck(t, in, b.BytesPerS, err)
		if err != nil {
			return
		}
		if b.Dir > Bidirectional {
			t.Fatalf("%q: invalid direction %d", in, b.Dir)
		}
		back, err := ParseBandwidth(b.String())
		if err != nil || back.Dir != b.Dir || !(approx(back.BytesPerS, b.BytesPerS, 1e-2) || math.Abs(back.BytesPerS-b.BytesPerS) < 1e-300) {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", in, b, b.String(), back, err)
		}
		if _, err := b.PerDirBytesPerS(DirUnspecified); (err == nil) != (b.Dir != DirUnspecified) {
			t.Fatalf("%q: PerDirBytesPerS error %v with Dir %v", in, err, b.Dir)
		}
	})
}

func FuzzParseFLOPS(f *testing.F) {
	addSeeds(f, "2.5 PFLOP/s", "752 TFLOPS", "752TFLOP/s", "1500 TOPS", "1.5 POP/s", "989e12", "752 TFLOP")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseFLOPS(in)
		fuzzCheck(t, in, v, err)
		if err == nil {
			fuzzRoundTrip(t, in, v, FormatFLOPS, ParseFLOPS)
		}
	})
}

func FuzzParsePower(f *testing.F) {
	addSeeds(f, "700 W", "1.2kW", "559 kW", "1.5 MW", "0.5mW", "3 µW", "1 kWh", "5 kilowatts")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParsePower(in)
		fuzzCheck(t, in, v, err)
		if err == nil {
			fuzzRoundTrip(t, in, v, FormatPower, ParsePower)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	addSeeds(f, "200ns", "1.2us", "1.2µs", "1.2 μs", "50ms", "2s", "2 s", "1.5ps", "3min", "2h", "1d", "5m")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseDuration(in)
		fuzzCheck(t, in, v, err)
		if err == nil {
			fuzzRoundTrip(t, in, v, FormatDuration, ParseDuration)
		}
	})
}

func FuzzParseEnergy(f *testing.F) {
	addSeeds(f, "5 J", "3.2kJ", "1 kWh", "2.5 MWh", "10 Wh", "1 kW", "7 pJ")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseEnergy(in)
		fuzzCheck(t, in, v, err)
		if err == nil {
			fuzzRoundTrip(t, in, v, FormatEnergy, ParseEnergy)
		}
	})
}

func FuzzParseRatio(f *testing.F) {
	addSeeds(f, "0.82", "82%", "82 %", "150%", "%")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseRatio(in)
		fuzzCheck(t, in, v, err)
	})
}

func FuzzParseCount(f *testing.F) {
	addSeeds(f, "384", "1.5k", "2M", "70B", "2m")
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseCount(in)
		fuzzCheck(t, in, v, err)
	})
}
