package units

import (
	"math"
	"strconv"
	"strings"
)

// DefaultDigits is the number of significant digits the Format functions
// print.
const DefaultDigits = 3

// siSymbols[i] is the prefix for 10^(siMinExp + 3i).
var siSymbols = [...]string{"f", "p", "n", "u", "m", "", "k", "M", "G", "T", "P", "E"}

const (
	siMinExp = -15
	siMaxExp = 18
)

// FormatSI formats v with the SI prefix (f, p, n, u, m, k, M, G, T, P, E)
// that puts the mantissa in [1, 1000), digits significant digits (clamped to
// 1..17) and trailing zeros trimmed: FormatSI(1.5e15, "FLOP/s", 3) is
// "1.5 PFLOP/s". Zero is "0 <unit>". Values beyond the prefix range fall
// back to exponent notation ("1e+30 B"). With an empty unit the prefix
// follows the number directly ("1.5k").
func FormatSI(v float64, unit string, digits int) string {
	return formatSI(v, unit, digits, siMinExp, siMaxExp)
}

// FormatBytes formats a byte count with decimal prefixes: "49.2 TB".
func FormatBytes(b float64) string { return formatSI(b, "B", DefaultDigits, 0, siMaxExp) }

// FormatBandwidth formats bytes per second with decimal prefixes: "900 GB/s".
func FormatBandwidth(bytesPerS float64) string {
	return formatSI(bytesPerS, "B/s", DefaultDigits, 0, siMaxExp)
}

// FormatFLOPS formats a compute rate: "2.5 PFLOP/s".
func FormatFLOPS(f float64) string { return formatSI(f, "FLOP/s", DefaultDigits, 0, siMaxExp) }

// FormatPower formats watts: "145 kW", "700 W", "5 mW".
func FormatPower(w float64) string { return FormatSI(w, "W", DefaultDigits) }

// FormatEnergy formats joules: "3.2 kJ", "4.5 GJ".
func FormatEnergy(j float64) string { return FormatSI(j, "J", DefaultDigits) }

// FormatDuration formats seconds: "1.2 us", "49.4 ms", "3.1 s". Durations of
// a minute or more use "min", "h" and "d": "2.5 min", "2 h", "1.5 d".
func FormatDuration(s float64) string {
	if str, ok := special(s, "s"); ok {
		return str
	}
	if s < 0 {
		return "-" + FormatDuration(-s)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(s, 'e', DefaultDigits-1, 64), 64)
	switch {
	case r < 60:
		return formatSI(s, "s", DefaultDigits, -12, 0)
	case r < 3600:
		return formatSI(s/60, "min", DefaultDigits, 0, 0)
	case r < 86400:
		return formatSI(s/3600, "h", DefaultDigits, 0, 0)
	}
	return formatSI(s/86400, "d", DefaultDigits, 0, 0)
}

var binSymbols = [...]string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}

// FormatBytesBinary formats a byte count with binary prefixes, mantissa in
// [1, 1024): "64 GiB", "1.5 MiB". Exact powers print without decimals
// (1024 is "1 KiB"); mantissas of 1000 or more keep all four integer digits
// ("1023 B").
func FormatBytesBinary(b float64) string {
	if str, ok := special(b, "B"); ok {
		return str
	}
	if b < 0 {
		return "-" + FormatBytesBinary(-b)
	}
	k := 0
	for k < len(binSymbols)-1 && b >= math.Ldexp(1, 10*(k+1)) {
		k++
	}
	num := binMantissa(math.Ldexp(b, -10*k))
	if k < len(binSymbols)-1 {
		if r, err := strconv.ParseFloat(num, 64); err == nil && r >= 1024 {
			k++
			num = binMantissa(math.Ldexp(b, -10*k))
		}
	}
	return num + " " + binSymbols[k] + "B"
}

func binMantissa(m float64) string {
	d := DefaultDigits
	if m >= 1000 {
		d = max(d, 4)
	}
	num, _ := scaleDecimal(m, d, 0, 0)
	return num
}

// special handles zero, NaN and infinities.
func special(v float64, unit string) (string, bool) {
	var num string
	switch {
	case v == 0:
		num = "0"
	case math.IsNaN(v):
		num = "NaN"
	case math.IsInf(v, 1):
		num = "Inf"
	case math.IsInf(v, -1):
		num = "-Inf"
	default:
		return "", false
	}
	if unit == "" {
		return num, true
	}
	return num + " " + unit, true
}

// formatSI formats v with a prefix for 10^p, p a multiple of 3 in [lo, hi].
func formatSI(v float64, unit string, digits, lo, hi int) string {
	if s, ok := special(v, unit); ok {
		return s
	}
	if v < 0 {
		return "-" + formatSI(-v, unit, digits, lo, hi)
	}
	num, p := scaleDecimal(v, digits, lo, hi)
	sym := siSymbols[(p-siMinExp)/3]
	if unit == "" {
		return num + sym
	}
	return num + " " + sym + unit
}

// scaleDecimal rounds v > 0 to digits significant digits and writes it in
// units of 10^p, where p is the multiple of 3 in [lo, hi] (both multiples of
// 3 within the SI table) closest to putting the result in [1, 1000). The
// rounding is done once, on v, so 999.96 becomes "1" with p raised by 3.
// Results far outside the range use exponent notation with p = 0.
func scaleDecimal(v float64, digits, lo, hi int) (string, int) {
	digits = min(max(digits, 1), 17)
	s := strconv.FormatFloat(v, 'e', digits-1, 64) // d.ddde±XX
	i := strings.IndexByte(s, 'e')
	digs := strings.Replace(s[:i], ".", "", 1)
	exp, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s, 0
	}
	p := exp - ((exp%3)+3)%3 // floor to a multiple of 3
	p = min(max(p, lo), hi)
	pos := exp - p + 1 // digits before the decimal point
	if pos > 9 || pos < -6 {
		return strconv.FormatFloat(v, 'g', digits, 64), 0
	}
	return placePoint(digs, pos), p
}

// placePoint puts a decimal point after pos digits of digs (padding with
// zeros on either side) and trims trailing fractional zeros.
func placePoint(digs string, pos int) string {
	var s string
	switch {
	case pos <= 0:
		s = "0." + strings.Repeat("0", -pos) + digs
	case pos >= len(digs):
		return digs + strings.Repeat("0", pos-len(digs))
	default:
		s = digs[:pos] + "." + digs[pos:]
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
