package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// kind describes one family of quantities for error messages.
type kind struct {
	what     string
	examples string
}

var (
	kindBytes     = kind{"a byte size", "64GiB, 128GB, 1.5TB, 4096"}
	kindSize      = kind{"a whole-byte size", "4096, 64KiB, 1MB"}
	kindBandwidth = kind{"a bandwidth", "900GB/s, 400Gb/s, 1.8TB/s bidir"}
	kindFLOPS     = kind{"a compute rate", "2.5PFLOP/s, 752TFLOPS, 1500TOPS, 989e12"}
	kindPower     = kind{"a power", "700W, 1.2kW, 1.5MW"}
	kindDuration  = kind{"a duration", "200ns, 1.2us, 50ms, 2s, 3min"}
	kindEnergy    = kind{"an energy", "5J, 3.2kJ, 1kWh"}
	kindRatio     = kind{"a ratio", "0.82, 82%"}
	kindCount     = kind{"a count", "384, 1.5k, 2M"}
)

func (k kind) err(in, reason string) *Error {
	return &Error{Input: in, What: k.what, Reason: reason, Examples: k.examples}
}

// mult is a unit's multiplier: 10^pow10 * factor. Powers of ten are applied
// to the decimal text before conversion, so "1.1kB" is exactly 1100.
type mult struct {
	pow10  int
	factor float64
}

func dec(p int) mult { return mult{pow10: p, factor: 1} }

func (m mult) times(o mult) mult { return mult{m.pow10 + o.pow10, m.factor * o.factor} }

// number is the numeric part of a quantity as scanned from text.
type number struct {
	mant string // digits with at most one '.', no sign, no exponent
	exp  int    // decimal exponent, saturated to ±maxExp
}

const maxExp = 1_000_000_000

func (n number) isZero() bool {
	for i := 0; i < len(n.mant); i++ {
		if c := n.mant[i]; c != '0' && c != '.' {
			return false
		}
	}
	return true
}

// value returns n scaled by m; ok is false if the result is not finite.
func (n number) value(m mult) (v float64, ok bool) {
	v, err := strconv.ParseFloat(n.mant+"e"+strconv.Itoa(n.exp+m.pow10), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	v *= m.factor
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// scan splits in into a number and a unit string (trimmed, possibly empty).
func scan(in string, k kind) (number, string, *Error) {
	s := strings.TrimSpace(in)
	if s == "" {
		return number{}, "", k.err(in, "empty input")
	}
	i := 0
	switch s[0] {
	case '+':
		i++
	case '-':
		if len(s) > 1 && (isDigit(s[1]) || s[1] == '.') {
			return number{}, "", k.err(in, "negative values are not allowed")
		}
	}
	start := i
	nd := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		nd++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			nd++
		}
	}
	if nd == 0 {
		if notFinite(s[start:]) {
			return number{}, "", k.err(in, "not a finite number")
		}
		return number{}, "", k.err(in, "missing number")
	}
	n := number{mant: s[start:i]}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		neg := false
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			neg = s[j] == '-'
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			e := 0
			for ; j < len(s) && isDigit(s[j]); j++ {
				if e < maxExp {
					e = e*10 + int(s[j]-'0')
				}
			}
			e = min(e, maxExp)
			if neg {
				e = -e
			}
			n.exp = e
			i = j
		}
	}
	return n, strings.TrimSpace(s[i:]), nil
}

func notFinite(s string) bool {
	s = asciiLower(s)
	return strings.HasPrefix(s, "nan") || strings.HasPrefix(s, "inf")
}

// asciiLower lowercases ASCII letters only, so that look-alikes such as the
// Kelvin sign are not mistaken for prefixes.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func trimRightSpace(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

// base is the unit symbol proper, after any prefix.
type base struct {
	name string
	fold bool // match case-insensitively (ASCII)
	m    mult
}

// matchUnit splits u into prefix+base using the first base that ends u and
// leaves a prefix accepted by prefix.
func matchUnit(u string, bases []base, prefix func(string) (mult, bool)) (mult, bool) {
	for _, b := range bases {
		if len(u) < len(b.name) {
			continue
		}
		tail := u[len(u)-len(b.name):]
		if b.fold {
			if !strings.EqualFold(tail, b.name) {
				continue
			}
		} else if tail != b.name {
			continue
		}
		if p, ok := prefix(u[:len(u)-len(b.name)]); ok {
			return p.times(b.m), true
		}
	}
	return mult{}, false
}

// decimalPrefix accepts k, M, G, T, P, E in any case (and the spelled-out
// words); it is used where milli makes no sense.
func decimalPrefix(p string) (mult, bool) {
	switch asciiLower(p) {
	case "":
		return dec(0), true
	case "k", "kilo":
		return dec(3), true
	case "m", "mega":
		return dec(6), true
	case "g", "giga":
		return dec(9), true
	case "t", "tera":
		return dec(12), true
	case "p", "peta":
		return dec(15), true
	case "e", "exa":
		return dec(18), true
	}
	return mult{}, false
}

// bytePrefix accepts decimal prefixes and binary Ki..Ei in any case.
func bytePrefix(p string) (mult, bool) {
	if m, ok := decimalPrefix(p); ok {
		return m, true
	}
	var n int
	switch asciiLower(p) {
	case "ki", "kibi":
		n = 1
	case "mi", "mebi":
		n = 2
	case "gi", "gibi":
		n = 3
	case "ti", "tebi":
		n = 4
	case "pi", "pebi":
		n = 5
	case "ei", "exbi":
		n = 6
	default:
		return mult{}, false
	}
	return mult{factor: math.Ldexp(1, 10*n)}, true
}

// siPrefix is case-sensitive for symbols ("m" milli, "M" mega), except that
// "K" is accepted for kilo; spelled-out words are case-insensitive.
func siPrefix(p string) (mult, bool) {
	switch p {
	case "":
		return dec(0), true
	case "f":
		return dec(-15), true
	case "p":
		return dec(-12), true
	case "n":
		return dec(-9), true
	case "u", "µ", "μ":
		return dec(-6), true
	case "m":
		return dec(-3), true
	case "k", "K":
		return dec(3), true
	case "M":
		return dec(6), true
	case "G":
		return dec(9), true
	case "T":
		return dec(12), true
	case "P":
		return dec(15), true
	case "E":
		return dec(18), true
	}
	switch asciiLower(p) {
	case "femto":
		return dec(-15), true
	case "pico":
		return dec(-12), true
	case "nano":
		return dec(-9), true
	case "micro":
		return dec(-6), true
	case "milli":
		return dec(-3), true
	case "kilo":
		return dec(3), true
	case "mega":
		return dec(6), true
	case "giga":
		return dec(9), true
	case "tera":
		return dec(12), true
	case "peta":
		return dec(15), true
	case "exa":
		return dec(18), true
	}
	return mult{}, false
}

var (
	byteBases = []base{
		{"bytes", true, dec(0)},
		{"byte", true, dec(0)},
		{"bits", true, mult{factor: 0.125}},
		{"bit", true, mult{factor: 0.125}},
		{"B", false, dec(0)},
		{"b", false, mult{factor: 0.125}},
	}
	flopsBases = []base{
		{"flop/s", true, dec(0)},
		{"flop/sec", true, dec(0)},
		{"flops", true, dec(0)},
		{"op/s", true, dec(0)},
		{"op/sec", true, dec(0)},
		{"ops", true, dec(0)},
	}
	powerBases = []base{
		{"watts", true, dec(0)},
		{"watt", true, dec(0)},
		{"W", false, dec(0)},
		{"w", false, dec(0)},
	}
	energyBases = []base{
		{"joules", true, dec(0)},
		{"joule", true, dec(0)},
		{"J", false, dec(0)},
		{"j", false, dec(0)},
		{"Wh", false, mult{factor: 3600}},
		{"wh", false, mult{factor: 3600}},
	}
	perSecond = []string{"/second", "/sec", "/s", "ps"}
)

func lookupBytes(u string) (mult, bool) { return matchUnit(u, byteBases, bytePrefix) }
func lookupFLOPS(u string) (mult, bool) { return matchUnit(u, flopsBases, decimalPrefix) }
func lookupPower(u string) (mult, bool) { return matchUnit(u, powerBases, siPrefix) }
func lookupEnergy(u string) (mult, bool) {
	return matchUnit(u, energyBases, siPrefix)
}

// lookupRate accepts a byte or bit unit followed by "/s", "/sec" or "ps".
func lookupRate(u string) (mult, bool) {
	for _, ps := range perSecond {
		if len(u) <= len(ps) || !strings.EqualFold(u[len(u)-len(ps):], ps) {
			continue
		}
		data := trimRightSpace(u[:len(u)-len(ps)])
		if data == "" {
			continue
		}
		if m, ok := lookupBytes(data); ok {
			return m, true
		}
	}
	return mult{}, false
}

func lookupDuration(u string) (mult, bool) {
	switch asciiLower(u) {
	case "fs":
		return dec(-15), true
	case "ps":
		return dec(-12), true
	case "ns":
		return dec(-9), true
	case "us", "µs", "μs":
		return dec(-6), true
	case "ms":
		return dec(-3), true
	case "s", "sec", "secs", "second", "seconds":
		return dec(0), true
	case "min", "mins", "minute", "minutes":
		return mult{factor: 60}, true
	case "h", "hr", "hrs", "hour", "hours":
		return mult{factor: 3600}, true
	case "d", "day", "days":
		return mult{factor: 86400}, true
	}
	return mult{}, false
}

func lookupRatio(u string) (mult, bool) {
	switch u {
	case "":
		return dec(0), true
	case "%":
		return dec(-2), true
	}
	return mult{}, false
}

func lookupCount(u string) (mult, bool) {
	switch u {
	case "":
		return dec(0), true
	case "k", "K":
		return dec(3), true
	case "M":
		return dec(6), true
	case "G", "B", "b", "bn":
		return dec(9), true
	case "T":
		return dec(12), true
	case "P":
		return dec(15), true
	}
	return mult{}, false
}

func unknownUnit(u string, hint func(string) string) string {
	r := "unknown unit " + quote(u)
	if hint != nil {
		if h := hint(u); h != "" {
			r += "; " + h
		}
	}
	return r
}

// parseWith is the common path: scan, look the unit up, scale. If bare is
// true a number without unit is taken in base units; otherwise only zero
// may omit its unit.
func parseWith(in string, k kind, bare bool, lookup func(string) (mult, bool), hint func(string) string) (float64, *Error) {
	n, u, e := scan(in, k)
	if e != nil {
		return 0, e
	}
	m := dec(0)
	if u == "" {
		if !bare && !n.isZero() {
			return 0, k.err(in, "missing unit")
		}
	} else {
		var ok bool
		if m, ok = lookup(u); !ok {
			return 0, k.err(in, unknownUnit(u, hint))
		}
	}
	v, ok := n.value(m)
	if !ok {
		return 0, k.err(in, "value out of range")
	}
	return v, nil
}

func result(v float64, e *Error) (float64, error) {
	if e != nil {
		return 0, e
	}
	return v, nil
}

// ParseBytes parses a byte quantity such as "64GiB", "128 GB", "1.5TB",
// "8KiB", "512B", "1e9B" or "4096" (a plain number is bytes). Decimal
// prefixes k, M, G, T, P, E are powers of 1000 and binary prefixes Ki, Mi,
// Gi, Ti, Pi, Ei powers of 1024; the prefix may be in any case. A trailing
// capital "B" (or "byte", "bytes") means bytes and a lowercase "b" (or "bit",
// "bits") means bits: "64Gb" is 8e9 bytes.
func ParseBytes(s string) (float64, error) {
	return result(parseWith(s, kindBytes, true, lookupBytes, bytesHint))
}

// isBits reports whether a byte-quantity unit counts bits ("Gb", "kbit").
func isBits(u string) bool {
	return strings.HasSuffix(u, "bits") || strings.HasSuffix(u, "bit") || strings.HasSuffix(u, "b")
}

func bytesHint(u string) string {
	if _, ok := lookupRate(u); ok {
		return "that is a bandwidth, not a size"
	}
	return ""
}

// ParseSize is like ParseBytes but requires a whole number of bytes that
// fits in an int64, as needed for message and buffer sizes.
//
// Sizes are bytes, so bit units are refused ("1gb" would be 125 MB, most
// likely a mistyped 1GB or 1GiB), and nccl-tests' bare multipliers are
// accepted as it reads them: "8G" is 8 GiB, "128M" 128 MiB, "1K" 1 KiB.
func ParseSize(s string) (int64, error) {
	n, u, se := scan(s, kindSize)
	if se != nil {
		return 0, se
	}
	switch u {
	case "K", "k", "M", "m", "G", "g", "T", "t":
		shift := map[string]int{"k": 10, "m": 20, "g": 30, "t": 40}[strings.ToLower(u)]
		v, ok := n.value(dec(0))
		v *= math.Ldexp(1, shift)
		if !ok || v != math.Trunc(v) || v >= math.Ldexp(1, 63) {
			return 0, kindSize.err(s, "not a whole number of bytes that fits an int64")
		}
		return int64(v), nil
	}
	if _, ok := lookupBytes(u); ok && isBits(u) {
		p := strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(u, "bits"), "bit"), "b")), "i")
		p = strings.ToUpper(p)
		return 0, kindSize.err(s, fmt.Sprintf("%q counts bits; sizes are bytes: write %sB (powers of 10) or %siB (powers of 2)", u, p, p))
	}
	v, e := parseWith(s, kindSize, true, lookupBytes, bytesHint)
	if e != nil {
		return 0, e
	}
	if v != math.Trunc(v) {
		return 0, kindSize.err(s, strconv.FormatFloat(v, 'g', -1, 64)+" bytes is not a whole number of bytes")
	}
	if v >= math.Ldexp(1, 63) {
		return 0, kindSize.err(s, "too large (more than 9223372036854775807 bytes)")
	}
	return int64(v), nil
}

// ParseBandwidth parses a link rate such as "900GB/s", "900 GB/s",
// "400Gb/s", "400Gbps", "400 Gbit/s" or "200 GiB/s", optionally followed by
// a direction: "bidir"/"bidirectional" for the sum of both directions, or
// "/dir", "per direction", "uni"/"unidirectional" for the rate in each
// direction ("1.8TB/s bidir", "50GB/s/dir"). A parenthesised direction,
// "1.8 TB/s (bidirectional)", is accepted too. Bits (lowercase "b", "bit",
// "bps") are divided by 8.
func ParseBandwidth(s string) (Bandwidth, error) {
	n, u, e := scan(s, kindBandwidth)
	if e != nil {
		return Bandwidth{}, e
	}
	rate, dir := splitDirection(u)
	m := dec(0)
	if rate == "" {
		if !n.isZero() {
			return Bandwidth{}, kindBandwidth.err(s, "missing unit")
		}
	} else {
		var ok bool
		if m, ok = lookupRate(rate); !ok {
			return Bandwidth{}, kindBandwidth.err(s, unknownUnit(rate, bandwidthHint))
		}
	}
	v, ok := n.value(m)
	if !ok {
		return Bandwidth{}, kindBandwidth.err(s, "value out of range")
	}
	return Bandwidth{BytesPerS: v, Dir: dir}, nil
}

func bandwidthHint(u string) string {
	if _, ok := lookupBytes(u); ok {
		return "that is a size, not a rate; did you mean " + quote(u+"/s") + "?"
	}
	return ""
}

// dirWords are direction suffixes, longest first so that "per direction"
// wins over "direction".
var dirWords = []struct {
	word string
	dir  Direction
}{
	{"uni-directional", PerDirection},
	{"bi-directional", Bidirectional},
	{"unidirectional", PerDirection},
	{"bidirectional", Bidirectional},
	{"per direction", PerDirection},
	{"per-direction", PerDirection},
	{"direction", PerDirection},
	{"per dir", PerDirection},
	{"bidir", Bidirectional},
	{"dir", PerDirection},
	{"uni", PerDirection},
}

// splitDirection removes a trailing direction word from a bandwidth unit.
// The word must be separated from the rate by space or "/", or be in
// parentheses.
func splitDirection(u string) (string, Direction) {
	if strings.HasSuffix(u, ")") {
		if i := strings.LastIndexByte(u, '('); i >= 0 {
			inner := strings.TrimSpace(u[i+1 : len(u)-1])
			for _, w := range dirWords {
				if strings.EqualFold(inner, w.word) {
					return trimRightSpace(u[:i]), w.dir
				}
			}
		}
		return u, DirUnspecified
	}
	for _, w := range dirWords {
		if len(u) < len(w.word) || !strings.EqualFold(u[len(u)-len(w.word):], w.word) {
			continue
		}
		before := u[:len(u)-len(w.word)]
		if before == "" {
			return "", w.dir
		}
		r, _ := utf8.DecodeLastRuneInString(before)
		if r != '/' && !unicode.IsSpace(r) {
			continue
		}
		rate := trimRightSpace(before)
		rate = trimRightSpace(strings.TrimSuffix(rate, "/"))
		return rate, w.dir
	}
	return u, DirUnspecified
}

// ParseFLOPS parses a compute rate in FLOP/s such as "2.5 PFLOP/s",
// "752 TFLOPS", "752TFLOP/s", "1500 TOPS", "1.5 POP/s" or "989e12" (a plain
// number is FLOP/s). Integer operations (OPS, OP/s) count like FLOPs.
// Prefixes are decimal and case-insensitive, so "mflops" is mega.
func ParseFLOPS(s string) (float64, error) {
	return result(parseWith(s, kindFLOPS, true, lookupFLOPS, func(u string) string {
		if _, ok := lookupFLOPS(u + "/s"); ok {
			return "that is an amount, not a rate; did you mean " + quote(u+"/s") + "?"
		}
		return ""
	}))
}

// ParsePower parses a power such as "700 W", "1.2kW", "559 kW" or "1.5 MW".
// The prefix is case-sensitive: "mW" is a milliwatt and "MW" a megawatt
// ("k" and "K" are both kilo). A unit is required except for zero.
func ParsePower(s string) (float64, error) {
	return result(parseWith(s, kindPower, false, lookupPower, func(u string) string {
		if _, ok := lookupEnergy(u); ok {
			return "that is an energy, not a power"
		}
		return ""
	}))
}

// ParseDuration parses a duration in seconds such as "200ns", "1.2us",
// "1.2µs", "1.2 μs", "50ms", "2s", "1.5ps", "3min", "2h" or "1d". A unit is
// required except for zero; "m" alone is rejected as ambiguous.
func ParseDuration(s string) (float64, error) {
	return result(parseWith(s, kindDuration, false, lookupDuration, func(u string) string {
		if u == "m" || u == "M" {
			return `use "min" for minutes or "ms" for milliseconds`
		}
		return ""
	}))
}

// ParseEnergy parses an energy in joules such as "5 J", "3.2kJ", "1 kWh",
// "2.5 MWh" or "10 Wh". Prefixes are case-sensitive as in ParsePower.
func ParseEnergy(s string) (float64, error) {
	return result(parseWith(s, kindEnergy, false, lookupEnergy, func(u string) string {
		if _, ok := lookupPower(u); ok {
			return "that is a power, not an energy; did you mean " + quote(u+"h") + "?"
		}
		return ""
	}))
}

// ParseRatio parses a fraction written as "0.82" or "82%" (both 0.82).
// Values above 1 are allowed.
func ParseRatio(s string) (float64, error) {
	return result(parseWith(s, kindRatio, true, lookupRatio, nil))
}

// ParseCount parses a dimensionless count such as "384", "1.5k" or "2M".
// Suffixes: k/K thousand, M million, G/B/b/bn billion, T trillion,
// P quadrillion; a lowercase "m" is rejected as ambiguous.
func ParseCount(s string) (float64, error) {
	return result(parseWith(s, kindCount, true, lookupCount, func(u string) string {
		if u == "m" {
			return `use "M" for million`
		}
		return ""
	}))
}
