package units

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Decimal SI multipliers.
const (
	Milli float64 = 1e-3
	Micro float64 = 1e-6
	Nano  float64 = 1e-9
	Pico  float64 = 1e-12
	Kilo  float64 = 1e3
	Mega  float64 = 1e6
	Giga  float64 = 1e9
	Tera  float64 = 1e12
	Peta  float64 = 1e15
	Exa   float64 = 1e18
)

// Decimal byte multiples (powers of 1000).
const (
	KB float64 = 1e3
	MB float64 = 1e6
	GB float64 = 1e9
	TB float64 = 1e12
	PB float64 = 1e15
	EB float64 = 1e18
)

// Binary byte multiples (powers of 1024).
const (
	KiB float64 = 1 << 10
	MiB float64 = 1 << 20
	GiB float64 = 1 << 30
	TiB float64 = 1 << 40
	PiB float64 = 1 << 50
	EiB float64 = 1 << 60
)

// Error is the error returned by every parser in this package. Its message
// is a single line of the form
//
//	units: "<input>" is not <What>: <Reason> (want e.g. <Examples>)
type Error struct {
	Input    string // the text that was rejected
	What     string // what it should have been, e.g. "a bandwidth"
	Reason   string // what is wrong with it, e.g. `unknown unit "XB/s"`
	Examples string // accepted inputs, e.g. "900GB/s, 400Gb/s, 1.8TB/s bidir"
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("units: ")
	b.WriteString(quote(e.Input))
	b.WriteString(" is not ")
	b.WriteString(e.What)
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Examples != "" {
		b.WriteString(" (want e.g. ")
		b.WriteString(e.Examples)
		b.WriteString(")")
	}
	return b.String()
}

// maxQuoted is the number of input bytes quoted in error messages; longer
// inputs are cut (at a rune boundary) and marked with "...".
const maxQuoted = 40

// quote returns s as a Go string literal, truncated to about maxQuoted bytes.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	n := maxQuoted
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n] + "...")
}

// Direction says which way a link bandwidth figure counts.
type Direction uint8

const (
	// DirUnspecified means the text did not say.
	DirUnspecified Direction = iota
	// PerDirection means the figure is available in each direction at once
	// ("900GB/s/dir", "28 GB/s uni").
	PerDirection
	// Bidirectional means the figure is the sum of both directions
	// ("1.8TB/s bidir"), i.e. half of it per direction.
	Bidirectional
)

// String returns "", "per direction" or "bidirectional".
func (d Direction) String() string {
	switch d {
	case DirUnspecified:
		return ""
	case PerDirection:
		return "per direction"
	case Bidirectional:
		return "bidirectional"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// Bandwidth is a parsed link rate together with the direction it was quoted
// in.
type Bandwidth struct {
	BytesPerS float64
	Dir       Direction
}

// String formats b so that ParseBandwidth reads it back, e.g.
// "900 GB/s per direction" or "1.8 TB/s bidirectional".
func (b Bandwidth) String() string {
	s := FormatBandwidth(b.BytesPerS)
	if b.Dir != DirUnspecified {
		s += " " + b.Dir.String()
	}
	return s
}

// PerDirBytesPerS returns the bandwidth available in each direction.
// Bidirectional figures are halved. If b.Dir is DirUnspecified, defaultDir is
// used instead; if that is unspecified too, an *Error asks the user to write
// "/dir" or "bidir" explicitly.
func (b Bandwidth) PerDirBytesPerS(defaultDir Direction) (float64, error) {
	d := b.Dir
	if d == DirUnspecified {
		d = defaultDir
	}
	switch d {
	case PerDirection:
		return b.BytesPerS, nil
	case Bidirectional:
		return b.BytesPerS / 2, nil
	}
	reason := `direction unspecified; say "/dir" (per direction) or "bidir" (bidirectional) explicitly`
	if b.Dir != DirUnspecified || (defaultDir != DirUnspecified) {
		reason = "invalid direction " + d.String()
	}
	return 0, &Error{
		Input:    b.String(),
		What:     "a directional bandwidth",
		Reason:   reason,
		Examples: "450GB/s/dir, 900GB/s bidir",
	}
}
