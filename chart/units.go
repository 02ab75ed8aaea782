package chart

import (
	"math"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/units"
)

// Kind is the quantity a column holds, read from its name's SI suffix.
type Kind int

// Kinds of quantity.
const (
	Plain    Kind = iota // no unit in the name
	Bytes                // _bytes: binary prefixes (KiB, MiB, GiB)
	ByteRate             // _bytes_per_s: decimal (MB/s, GB/s)
	Rate                 // _per_s: things per second (tokens/s)
	FLOPS                // _flops: FLOP/s
	Seconds              // _s
	Watts                // _w
	Joules               // _j
	USD                  // _usd
)

// step is one display unit of a ladder: values divide by scale; a
// magnitude from from up (scale when 0) takes it.
type step struct {
	scale  float64
	symbol string
	from   float64
}

// reach is the least magnitude that takes step s.
func (s step) reach() float64 {
	if s.from != 0 {
		return s.from
	}
	return s.scale
}

var ladders = map[Kind][]step{
	Bytes:    {{1, "B", 0}, {1 << 10, "KiB", 0}, {1 << 20, "MiB", 0}, {1 << 30, "GiB", 0}, {1 << 40, "TiB", 0}, {1 << 50, "PiB", 0}},
	ByteRate: {{1, "B/s", 0}, {1e3, "KB/s", 0}, {1e6, "MB/s", 0}, {1e9, "GB/s", 0}, {1e12, "TB/s", 0}, {1e15, "PB/s", 0}},
	Rate:     {{1, "", 0}, {1e3, "thousands", 0}, {1e6, "millions", 0}, {1e9, "billions", 0}},
	FLOPS:    {{1, "FLOP/s", 0}, {1e9, "GFLOP/s", 0}, {1e12, "TFLOP/s", 0}, {1e15, "PFLOP/s", 0}, {1e18, "EFLOP/s", 0}},
	Seconds:  {{1e-9, "ns", 0}, {1e-6, "us", 0}, {1e-3, "ms", 0}, {1, "s", 0}},
	Watts:    {{1e-3, "mW", 0}, {1, "W", 0}, {1e3, "kW", 0}, {1e6, "MW", 0}},
	Joules:   {{1e-6, "uJ", 0}, {1e-3, "mJ", 0}, {1, "J", 0}, {1e3, "kJ", 0}, {1e6, "MJ", 0}},
	// No milli-USD: a cost of 0.0094 USD per million tokens reads in USD
	// (from 1e-4 USD up, at scale 1).
	USD: {{scale: 1e-6, symbol: "micro-USD"}, {scale: 1, symbol: "USD", from: 1e-4}},
}

// suffixes map unit token sequences in a name to their kind; longer
// sequences are tried first.
var suffixes = []struct {
	tokens []string
	kind   Kind
}{
	{[]string{"bytes", "per", "s"}, ByteRate},
	{[]string{"per", "s"}, Rate},
	{[]string{"bytes"}, Bytes},
	{[]string{"flops"}, FLOPS},
	{[]string{"s"}, Seconds},
	{[]string{"w"}, Watts},
	{[]string{"j"}, Joules},
	{[]string{"usd"}, USD},
}

// Parse splits a column name into the quantity's name and its kind:
// "busbw_bytes_per_s" is ("busbw", ByteRate), "scale_up_bytes_per_s_per_accel"
// ("scale up per accel", ByteRate), "tokens_per_s_per_user" ("tokens/s per
// user", Rate), "avg_power_w" ("avg power", Watts). A unit counts where it
// ends the name or is followed by "per ...".
func Parse(column string) (name string, k Kind) {
	toks := strings.Split(column, "_")
	for i := range toks {
		for _, s := range suffixes {
			n := len(s.tokens)
			if i+n > len(toks) || !equal(toks[i:i+n], s.tokens) {
				continue
			}
			if i+n < len(toks) && toks[i+n] != "per" {
				continue
			}
			if i == 0 {
				continue // "s" or "bytes" alone: no name left
			}
			if s.kind != Rate && toks[i-1] == "per" {
				continue // tokens_per_j: a count per joule, not joules
			}
			head := toks[:i]
			if s.kind == Rate {
				head = append(append([]string(nil), toks[:i-1]...), toks[i-1]+"/s")
			}
			return strings.Join(append(head, toks[i+n:]...), " "), s.kind
		}
	}
	return strings.Join(toks, " "), Plain
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Axis is how a column is shown on an axis: its label with the display
// unit, and the scale that SI values divide by.
type Axis struct {
	Label string
	Scale float64
	Kind  Kind
	// Symbol is the display unit ("GiB"), empty for plain columns.
	Symbol string
}

// AxisFor picks the display unit of a column for the given values (SI):
// the largest unit the values' magnitude reaches, the maximum on a linear
// axis and the geometric middle on a log axis. A name without a unit
// suffix takes the hint's header and scale if there is one.
func AxisFor(column string, values []float64, log bool, hint *report.Column) Axis {
	name, k := Parse(column)
	if k == Plain {
		a := Axis{Label: capitalize(name), Scale: 1}
		if hint != nil && hint.Header != "" {
			a.Label = hint.Header
			if hint.Scale != 0 {
				a.Scale = hint.Scale
			}
		}
		return a
	}
	lad := ladders[k]
	m := magnitude(values, log)
	st := lad[0]
	if m == 0 {
		st = base(lad)
	}
	for _, s := range lad {
		if m >= s.reach()*(1-1e-12) {
			st = s
		}
	}
	label := capitalize(hintedName(name, k, hint))
	if st.symbol != "" {
		label += " (" + st.symbol + ")"
	}
	return Axis{Label: label, Scale: st.scale, Kind: k, Symbol: st.symbol}
}

// hintedName is the human name of a column with a unit: its header less
// the unit ("Avg IT power (kW)" is "Avg IT power") where the hint has
// one, a rate's header whole ("Tokens/s per accelerator"), else the name
// its key spells.
func hintedName(name string, k Kind, hint *report.Column) string {
	switch {
	case hint == nil || hint.Header == "":
		return name
	case hint.Unit != "":
		return hint.Head()
	case k == Rate:
		return hint.Header // "Tokens/s (system)": a qualifier, not a unit
	}
	// "Energy cost per million tokens (USD)": the axis names its own unit.
	if i := strings.LastIndex(hint.Header, " ("); i > 0 && strings.HasSuffix(hint.Header, ")") &&
		!strings.Contains(hint.Header[i+2:], " ") {
		return hint.Header[:i]
	}
	return name
}

func base(lad []step) step {
	for _, s := range lad {
		if s.scale == 1 {
			return s
		}
	}
	return lad[0]
}

func magnitude(values []float64, log bool) float64 {
	lo, hi := math.Inf(1), 0.0
	for _, v := range values {
		a := math.Abs(v)
		if a > hi {
			hi = a
		}
		if a > 0 && a < lo {
			lo = a
		}
	}
	if hi == 0 {
		return 0
	}
	if log {
		return math.Sqrt(lo * hi)
	}
	return hi
}

// capitalize upper-cases the first letter, except for names written in
// lower case by convention (busbw, algbw).
func capitalize(s string) string {
	for _, w := range []string{"busbw", "algbw"} {
		if s == w || strings.HasPrefix(s, w+" ") {
			return s
		}
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// formatValue renders a cell of column for a series name: sizes in binary
// units, the rest as written.
func formatValue(column string, v any) string {
	if _, k := Parse(column); k == Bytes {
		if x, ok, err := number(v); ok && err == nil {
			return units.FormatBytesBinary(x)
		}
	}
	return text(v)
}

// tickLabel renders a tick value compactly: plain decimals between 0.001
// and 100000, else exponent form; at most 4 significant digits.
func tickLabel(v float64) string {
	a := math.Abs(v)
	if a != 0 && (a < 1e-3 || a >= 1e5) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return strconv.FormatFloat(r, 'f', -1, 64)
}
