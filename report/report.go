package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Format is an output format.
type Format string

// Output formats.
const (
	FormatTable    Format = "table"
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
	FormatCSV      Format = "csv"
	FormatJSONL    Format = "jsonl"
)

// DataFormats are the formats every result can be written in.
var DataFormats = []Format{FormatTable, FormatMarkdown, FormatJSON, FormatCSV}

// ParseFormat checks s against the allowed formats.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	var names []string
	for _, f := range allowed {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
		names = append(names, string(f))
	}
	if strings.EqualFold(s, "md") {
		for _, f := range allowed {
			if f == FormatMarkdown {
				return f, nil
			}
		}
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, strings.Join(names, ", "))
}

// Column describes one field of the records in a Sheet.
type Column struct {
	// Key is the machine name with its SI unit; dots nest in JSON.
	Key string
	// Header is the human name with its display unit, e.g. "HBM (TB)".
	Header string
	// Scale divides the SI value for display (0 means 1).
	Scale float64
	// Digits is the number of decimals shown in tables; -1 shows the
	// shortest exact form.
	Digits int
	// Varies leaves the column out of tables when every record has the
	// same value (a flag that reads "true" on every line says nothing);
	// CSV and JSON always carry it.
	Varies bool
	// Detail leaves the column out of tables unless the sheet is Wide:
	// figures an expert reads with --wide, always in CSV and JSON.
	Detail bool
}

// Sheet is a list of records sharing columns.
type Sheet struct {
	Title   string
	Columns []Column
	// Rows hold float64, int, string or bool values, one per column; nil
	// is an absent value (empty cell, JSON null).
	Rows [][]any
	// Vertical prints records as one line per field and one column per
	// record in table and Markdown output (records side by side, headed by
	// their first value); a single vertical record is one JSON object
	// instead of an array.
	Vertical bool
	// Wide prints Detail columns in table and Markdown output too.
	Wide bool
	// Notes print under table and Markdown output.
	Notes []string
}

// Write renders the sheet in format f. It renders into memory first, so
// a failure never leaves half an output behind.
func (s *Sheet) Write(w io.Writer, f Format) error {
	for i, r := range s.Rows {
		if len(r) != len(s.Columns) {
			return fmt.Errorf("report: row %d has %d values for %d columns", i, len(r), len(s.Columns))
		}
	}
	var buf bytes.Buffer
	var err error
	switch f {
	case FormatTable, FormatMarkdown:
		err = s.writeTable(&buf, f)
	case FormatCSV:
		err = s.writeCSV(&buf)
	case FormatJSON:
		err = s.writeJSON(&buf, false)
	case FormatJSONL:
		err = s.writeJSON(&buf, true)
	default:
		err = fmt.Errorf("report: unsupported format %q", f)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Human formats v as tables show it: the column's scale and digits,
// thousands separators.
func (c Column) Human(v any) string { return c.human(v) }

// human formats v for a table cell.
func (c Column) human(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case int:
		if c.Scale != 0 && c.Scale != 1 {
			return c.human(float64(x))
		}
		return thousands(strconv.Itoa(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		if c.Scale != 0 {
			x /= c.Scale
		}
		if c.Digits < 0 {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		s := strconv.FormatFloat(x, 'f', smallDigits(x, c.Digits), 64)
		if s == "-0" || strings.HasPrefix(s, "-0.") && strings.Trim(s[3:], "0") == "" {
			s = s[1:]
		}
		int, frac, _ := strings.Cut(s, ".")
		if frac != "" {
			return thousands(int) + "." + frac
		}
		return thousands(int)
	}
	return fmt.Sprint(v)
}

// smallDigits is the decimals a table shows for x: the column's, or more
// for a small figure so it keeps two significant digits (0.0094 and
// 0.0043 differ by 2x, which 0.009 and 0.004 hide), down to 1e-6 below
// which a figure reads as zero.
func smallDigits(x float64, digits int) int {
	a := math.Abs(x)
	if a == 0 || a >= 1 || a < 1e-6 {
		return digits
	}
	return max(digits, int(math.Ceil(-math.Log10(a)))+1)
}

// thousands inserts commas into the integer digits of s.
func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	lead := len(s) % 3
	if lead > 0 {
		b.WriteString(s[:lead])
	}
	for i := lead; i < len(s); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// machine formats v for CSV and JSON: SI value, shortest exact form.
func machine(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		// A value whose shortest exact form needs 16 or more significant
		// digits carries float noise from arithmetic (19993.499999999796):
		// round it to 12. Anything shorter (2^40 = 1099511627776) is kept
		// exactly.
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if significantDigits(s) >= 16 {
			r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
			s = strconv.FormatFloat(r, 'g', -1, 64)
		}
		return s
	}
	return fmt.Sprint(v)
}

func (s *Sheet) writeTable(w io.Writer, f Format) error {
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	}
	if f == FormatMarkdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	} else {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})))
	}
	if s.Title != "" {
		if f == FormatMarkdown {
			fmt.Fprintf(w, "### %s\n\n", s.Title)
		} else {
			fmt.Fprintf(w, "%s\n", s.Title)
		}
	}
	t := tablewriter.NewTable(w, opts...)
	if s.Vertical {
		// One line per field, one column per record, headed by the
		// record's first value (its name).
		hdr := []string{"quantity"}
		for _, r := range s.Rows {
			if len(s.Rows) == 1 {
				hdr = append(hdr, "value")
			} else {
				hdr = append(hdr, s.Columns[0].human(r[0]))
			}
		}
		t.Header(hdr)
		first := 0
		if len(s.Rows) > 1 {
			first = 1
		}
		for i := first; i < len(s.Columns); i++ {
			line := []string{s.Columns[i].Header}
			empty := true
			for _, r := range s.Rows {
				line = append(line, s.Columns[i].human(r[i]))
				empty = empty && r[i] == nil
			}
			if empty {
				continue
			}
			if err := t.Append(line); err != nil {
				return err
			}
		}
	} else {
		// A column empty on every record (another workload kind's field)
		// is left out, as is a Varies column that does not vary; CSV and
		// JSON carry every column.
		keep := s.shown()
		var hdr []string
		var align []tw.Align
		for i, c := range s.Columns {
			if keep[i] {
				hdr = append(hdr, c.Header)
				a := tw.AlignLeft
				if s.numeric(i) {
					a = tw.AlignRight // numbers line up on their last digit
				}
				align = append(align, a)
			}
		}
		t.Configure(func(cfg *tablewriter.Config) { cfg.Row.Alignment.PerColumn = align })
		t.Header(hdr)
		for _, r := range s.Rows {
			cells := make([]string, 0, len(hdr))
			for i, v := range r {
				if keep[i] {
					cells = append(cells, s.Columns[i].human(v))
				}
			}
			if err := t.Append(cells); err != nil {
				return err
			}
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(s.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range s.Notes {
			fmt.Fprintf(w, "%s\n", n)
		}
	}
	return nil
}

// shown says which columns a horizontal table prints: those with a value
// in some record, less Detail columns on a sheet that is not Wide and
// Varies columns whose value is the same in every
// record. With no records every column shows, so the header still says
// what a record would hold.
func (s *Sheet) shown() []bool {
	keep := make([]bool, len(s.Columns))
	for i, c := range s.Columns {
		if c.Detail && !s.Wide {
			continue
		}
		if len(s.Rows) == 0 {
			keep[i] = true
			continue
		}
		for _, r := range s.Rows {
			if r[i] != nil {
				keep[i] = true
				break
			}
		}
		if keep[i] && c.Varies {
			keep[i] = false
			for _, r := range s.Rows[1:] {
				if r[i] != s.Rows[0][i] {
					keep[i] = true
					break
				}
			}
		}
	}
	return keep
}

// numeric says whether column i holds numbers: some record has a value
// there and every value is an int or a float64.
func (s *Sheet) numeric(i int) bool {
	seen := false
	for _, r := range s.Rows {
		switch r[i].(type) {
		case nil:
		case int, int64, float64:
			seen = true
		default:
			return false
		}
	}
	return seen
}

func csvKey(k string) string { return strings.ReplaceAll(k, ".", "_") }

func (s *Sheet) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	var hdr []string
	for _, c := range s.Columns {
		hdr = append(hdr, csvKey(c.Key))
	}
	if err := cw.Write(hdr); err != nil {
		return err
	}
	for _, r := range s.Rows {
		rec := make([]string, len(r))
		for i, v := range r {
			rec[i] = machine(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeJSON writes records with keys in column order; dotted keys nest.
// JSON is indented (one array, or one object for a vertical sheet); JSON
// Lines puts one compact object per line.
func (s *Sheet) writeJSON(w io.Writer, lines bool) error {
	var b strings.Builder
	single := s.Vertical && len(s.Rows) == 1 && !lines
	if !single && !lines {
		b.WriteString("[")
	}
	for ri, r := range s.Rows {
		if ri > 0 && !lines {
			b.WriteString(",")
		}
		writeObject(&b, s.Columns, r, "")
		if lines {
			b.WriteString("\n")
		}
	}
	if !single && !lines {
		b.WriteString("]")
	}
	if lines {
		_, err := io.WriteString(w, b.String())
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(b.String()), "", "  "); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// writeObject writes the columns whose keys start with prefix as one
// compact JSON object; runs of keys sharing a dotted head nest.
func writeObject(b *strings.Builder, cols []Column, row []any, prefix string) {
	b.WriteString("{")
	for i := 0; i < len(cols); i++ {
		if i > 0 {
			b.WriteString(",")
		}
		k := strings.TrimPrefix(cols[i].Key, prefix)
		if head, _, nested := strings.Cut(k, "."); nested {
			j := i
			for j < len(cols) && strings.HasPrefix(strings.TrimPrefix(cols[j].Key, prefix), head+".") {
				j++
			}
			b.WriteString(jsonString(head) + ":")
			writeObject(b, cols[i:j], row[i:j], prefix+head+".")
			i = j - 1
			continue
		}
		b.WriteString(jsonString(k) + ":" + jsonValue(row[i]))
	}
	b.WriteString("}")
}

func jsonValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return jsonString(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "null"
		}
	}
	return machine(v)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// significantDigits counts the mantissa digits of a formatted float.
func significantDigits(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(s), "0")
	return len(s)
}
