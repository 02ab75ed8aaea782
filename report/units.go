package report

import (
	"strings"

	"github.com/cardsea/cardsea/units"
)

// Units a Column may carry: its values are in this SI unit, and tables
// print each with the prefix its own magnitude needs.
const (
	Seconds     = "s"   // 9.1 us, 84.8 ms, 12.5 s, 2.5 min
	Bytes       = "B"   // decimal: 36.3 GB
	BytesBinary = "iB"  // binary, for buffer sizes: 1 KiB, 1 GiB
	BytesPerS   = "B/s" // decimal: 335 GB/s
	Joules      = "J"   // 523 mJ, 11 kJ
	Watts       = "W"   // 57.5 kW
)

// UnitOf is the unit a machine key's SI suffix names: "time_s" and
// "ttft_s" are Seconds, "busbw_bytes_per_s" BytesPerS, "wire_bytes" Bytes,
// "energy_j" and "energy_by_component_j.cpus" Joules, "avg_power_w" Watts.
// Rates of anything else ("tokens_per_s", "tokens_per_j") and keys whose
// unit is not last ("kv_bytes_per_request") have none.
func UnitOf(key string) string {
	head, _, _ := strings.Cut(key, ".")
	toks := strings.Split(head, "_")
	if n := len(toks); n >= 2 && toks[n-2] == "per" && !strings.HasSuffix(head, "_bytes_per_s") {
		return "" // tokens_per_s, tokens_per_j: a rate, not a quantity of the unit
	}
	switch {
	case strings.HasSuffix(head, "_bytes_per_s"):
		return BytesPerS
	case strings.HasSuffix(head, "_bytes"):
		return Bytes
	case strings.HasSuffix(head, "_s"):
		return Seconds
	case strings.HasSuffix(head, "_j"):
		return Joules
	case strings.HasSuffix(head, "_w"):
		return Watts
	}
	return ""
}

// withUnit formats x, in the column's SI unit, with the prefix its
// magnitude needs and three significant digits, so a small figure keeps
// its digits (9.4 mJ against 4.3 mJ) and a large one its scale (12.5 s,
// not 12,458,246.3 us).
func withUnit(x float64, unit string) string {
	switch unit {
	case Seconds:
		if x == 0 {
			return "0"
		}
		return units.FormatDuration(x)
	case Bytes:
		return bareZero(units.FormatBytes(x))
	case BytesBinary:
		return bareZero(units.FormatBytesBinary(x))
	case BytesPerS:
		return bareZero(units.FormatBandwidth(x))
	case Joules:
		return bareZero(units.FormatEnergy(x))
	case Watts:
		return bareZero(units.FormatPower(x))
	}
	return units.FormatSI(x, unit, units.DefaultDigits)
}

// bareZero writes a zero as a bare "0": a unit on nothing says nothing.
func bareZero(s string) string {
	if num, _, _ := strings.Cut(s, " "); num == "0" {
		return "0"
	}
	return s
}

// Head is the header a table shows: with a Unit, each cell names its own
// unit, so the header's "(us)" goes ("Time (us)" is "Time"; "Scale-up
// (GB/s, per direction)" is "Scale-up (per direction)").
func (c Column) Head() string {
	if c.Unit == "" || !strings.HasSuffix(c.Header, ")") {
		return c.Header
	}
	i := strings.LastIndex(c.Header, " (")
	if i < 0 {
		return c.Header
	}
	inner := c.Header[i+2 : len(c.Header)-1]
	unit, rest, more := strings.Cut(inner, ", ")
	if !displayUnits[unit] {
		return c.Header // prose in parentheses ("IT", "system"), not a unit
	}
	if more {
		return c.Header[:i] + " (" + rest + ")"
	}
	return c.Header[:i]
}

// displayUnits are the units a header may name in parentheses that cells
// with a Unit name themselves.
var displayUnits = map[string]bool{}

func init() {
	for _, u := range []string{"s", "B", "B/s", "J", "W"} {
		for _, p := range []string{"n", "u", "m", "", "k", "K", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti"} {
			displayUnits[p+u] = true
		}
	}
	displayUnits["bytes"] = true
}

// Heads are the columns' Head()s, except that columns whose headers
// differ only by their unit ("KV transfer (GB)", "KV transfer (ms)")
// keep them whole.
func Heads(cols []Column) []string {
	out := make([]string, len(cols))
	n := map[string]int{}
	for i, c := range cols {
		out[i] = c.Head()
		n[out[i]]++
	}
	for i, c := range cols {
		if n[out[i]] > 1 {
			out[i] = c.Header
		}
	}
	return out
}
