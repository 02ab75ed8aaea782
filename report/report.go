package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
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
	// Unit, if set (Seconds, Bytes, BytesBinary, BytesPerS, Joules,
	// Watts), is the SI unit of the values: tables print each with the
	// prefix its magnitude needs ("9.1 us", "3.2 ms") and three
	// significant digits, ignoring Scale and Digits, and the header drops
	// its unit (Head).
	Unit string
	// Minor marks a breakdown of an answer (compute and communication
	// of a step, energy by component) or an answer in another form (J per
	// token beside tokens per J): a table too wide for MaxWidth leaves
	// these out first, from the right, before any other column.
	Minor bool
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
		if c.Unit != "" || c.Scale != 0 && c.Scale != 1 {
			return c.human(float64(x))
		}
		return thousands(strconv.Itoa(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		if c.Unit != "" {
			return withUnit(x, c.Unit)
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

// MaxWidth is the widest a table prints unless its sheet is Wide: one
// terminal of 160 columns, or two of 80 side by side.
const MaxWidth = 160

// minHeaderWidth is the narrowest a header wraps to: a column of short
// numbers takes a header of a few words a line ("Tokens/s", "per user").
const minHeaderWidth = 10

func (s *Sheet) writeTable(w io.Writer, f Format) error {
	md := f == FormatMarkdown
	var l *layout
	if s.Vertical {
		l = s.vertical(nil, 0)
		if !s.Wide && !md {
			l.squeeze() // a Markdown cell is one line
		}
	} else {
		var squeezed bool
		l, squeezed = s.horizontal()
		if squeezed {
			// Records too many-fielded for a line each, and few enough
			// to stand side by side: one line per field instead.
			v := s.vertical(l.keep, s.label(l.keep))
			if !md {
				v.squeeze()
			}
			if v.width() <= MaxWidth || len(s.Rows) == 1 {
				v.notes = l.same
				l = v
			}
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
	}
	if md {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	} else {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})))
	}
	if s.Title != "" {
		if md {
			fmt.Fprintf(w, "### %s\n\n", s.Title)
		} else {
			fmt.Fprintf(w, "%s\n", s.Title)
		}
	}
	t := tablewriter.NewTable(w, opts...)
	hdr := l.header
	if md {
		// A Markdown cell is one line; the renderer wraps it.
		hdr = make([]string, len(l.header))
		for i, h := range l.header {
			hdr[i] = strings.ReplaceAll(h, "\n", " ")
		}
	}
	t.Configure(func(cfg *tablewriter.Config) {
		cfg.Row.Alignment.PerColumn = l.align
	})
	t.Header(hdr)
	for _, r := range l.rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	notes := append(append([]string(nil), s.Notes...), l.notes...)
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			if textWidth(n) <= MaxWidth {
				fmt.Fprintf(w, "%s\n", n)
				continue
			}
			// A list item's lines after its first indent under its text.
			indent := ""
			if strings.HasPrefix(n, "- ") {
				indent = "  "
			}
			for j, line := range wrap(n, MaxWidth-len(indent)) {
				if j > 0 {
					line = indent + line
				}
				fmt.Fprintf(w, "%s\n", line)
			}
		}
	}
	return nil
}

// layout is a table ready to print: header cells (wrapped with newlines),
// rows of formatted cells, each column's alignment, and notes about what
// the table left out.
type layout struct {
	header []string
	rows   [][]string
	align  []tw.Align
	notes  []string
	// keep and same are, for records one a line, the columns shown before
	// any was left out for width, and the note of those the same in
	// every record.
	keep []bool
	same []string
}

// vertical lays records out one line per field and one column per record,
// headed by the record's value in column head (its name). Fields empty in
// every record are left out, as are those keep (if not nil) does not
// keep; a record's column is right-aligned when it holds numbers.
func (s *Sheet) vertical(keep []bool, head int) *layout {
	l := &layout{header: []string{"quantity"}, align: []tw.Align{tw.AlignLeft}}
	for _, r := range s.Rows {
		if len(s.Rows) == 1 {
			l.header = append(l.header, "value")
		} else {
			l.header = append(l.header, s.Columns[head].human(r[head]))
		}
	}
	first := 0
	if len(s.Rows) > 1 {
		first = 1
	}
	if head != 0 {
		first = 0
	}
	names := Heads(s.Columns)
	nums := make([]int, len(s.Rows))
	cells := make([]int, len(s.Rows))
	for i := first; i < len(s.Columns); i++ {
		if keep != nil && !keep[i] || len(s.Rows) > 1 && i == head {
			continue
		}
		line := []string{names[i]}
		empty := true
		for j, r := range s.Rows {
			line = append(line, s.Columns[i].human(r[i]))
			empty = empty && r[i] == nil
			switch r[i].(type) {
			case nil:
			case int, int64, float64:
				nums[j]++
				cells[j]++
			default:
				cells[j]++
				if looksNumeric(s.Columns[i].human(r[i])) {
					nums[j]++
				}
			}
		}
		if !empty {
			l.rows = append(l.rows, line)
		}
	}
	for j := range s.Rows {
		a := tw.AlignLeft
		if cells[j] > 0 && 2*nums[j] >= cells[j] {
			a = tw.AlignRight // mostly numbers: they line up on their last digit
		}
		l.align = append(l.align, a)
	}
	return l
}

// looksNumeric says whether a cell reads as a number: a ratio "1.30x", a
// percentage or a figure with its unit.
func looksNumeric(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// horizontal lays records out one line each, Minor columns after the
// rest (identity, the answer, then its breakdown). Unless the sheet is Wide it
// fits MaxWidth, in steps until it does: a column with the same value in
// every record moves to a note under the table, headers wrap, Minor
// columns are left out from the right, then any from the right (the
// order is identity, the answer, then its breakdown), named in a note. A single record too wide for a
// line is squeezed, as is one that leaves out more than Minor columns.
func (s *Sheet) horizontal() (l *layout, squeezed bool) {
	keep := s.shown()
	l = &layout{}
	if !s.Wide && len(s.Rows) >= 2 && s.measure(keep, false) > MaxWidth {
		var same []string
		names := Heads(s.Columns)
		shown := 0
		for i := range keep {
			if keep[i] {
				shown++
			}
		}
		for i := range s.Columns {
			if !keep[i] || shown == 1 {
				continue
			}
			v, ok := s.constant(i)
			if !ok {
				continue
			}
			keep[i] = false
			shown--
			same = append(same, names[i]+" "+v)
		}
		if len(same) > 0 {
			l.same = []string{"Same in every record: " + strings.Join(same, "; ") + "."}
			l.notes = append(l.notes, l.same...)
		}
	}
	l.keep = slices.Clone(keep)
	// Identity and answers, then their breakdowns (Minor), each in the
	// sheet's order.
	var idx []int
	for _, minor := range []bool{false, true} {
		for i, c := range s.Columns {
			if keep[i] && c.Minor == minor {
				idx = append(idx, i)
			}
		}
	}
	cells := make([][]string, len(s.Rows))
	for r, row := range s.Rows {
		for _, i := range idx {
			cells[r] = append(cells[r], s.Columns[i].human(row[i]))
		}
	}
	// Headers wrap (to their column's cells, or minHeaderWidth) only
	// when the table would not fit on one line of them.
	heads, widths, width := s.headers(idx, cells, false)
	if width > MaxWidth {
		heads, widths, width = s.headers(idx, cells, true)
	}
	if !s.Wide && width > MaxWidth {
		squeezed = len(s.Rows) == 1
		// Minor columns go first, then any from the right; never the first.
		out := make([]bool, len(idx))
		for _, minor := range []bool{true, false} {
			for k := len(idx) - 1; k > 0 && width > MaxWidth; k-- {
				if !out[k] && (!minor || s.Columns[idx[k]].Minor) {
					out[k] = true
					width -= widths[k]
					squeezed = squeezed || !minor
				}
			}
		}
		var left []string
		var kept []int
		for k := range idx {
			if out[k] {
				left = append(left, Heads(s.Columns)[idx[k]])
			} else {
				kept = append(kept, k)
			}
		}
		l.notes = append(l.notes, fmt.Sprintf("Left out to fit %d columns: %s; --wide shows them, as do --format csv and json.",
			MaxWidth, strings.Join(left, ", ")))
		heads, idx = pick(heads, kept), pick(idx, kept)
		for r := range cells {
			cells[r] = pick(cells[r], kept)
		}
	}
	l.header = heads
	for _, i := range idx {
		a := tw.AlignLeft
		if s.numeric(i) {
			a = tw.AlignRight // numbers line up on their last digit
		}
		l.align = append(l.align, a)
	}
	l.rows = cells
	return l, squeezed
}

// squeeze fits records side by side into MaxWidth where it can: the
// records' headers wrap at spaces ("gb200-nvl72 vs cm384" over two
// lines), then the field names do.
func (l *layout) squeeze() {
	if l.width() <= MaxWidth {
		return
	}
	cw := make([]int, len(l.header))
	for _, r := range l.rows {
		for k, c := range r {
			cw[k] = max(cw[k], textWidth(c))
		}
	}
	for k := 1; k < len(l.header); k++ {
		l.header[k] = strings.Join(wrap(l.header[k], max(cw[k], minHeaderWidth)), "\n")
	}
	over := l.width() - MaxWidth
	if over <= 0 || len(l.header) == 0 {
		return
	}
	// What the field names may take, never under 24 columns.
	limit := max(cw[0]-over, 24)
	for _, r := range l.rows {
		if textWidth(r[0]) > limit {
			r[0] = strings.Join(wrap(r[0], limit), "\n")
		}
	}
}

// width is the columns the table takes on a terminal.
func (l *layout) width() int {
	w := make([]int, len(l.header))
	for k, h := range l.header {
		for _, line := range strings.Split(h, "\n") {
			w[k] = max(w[k], textWidth(line))
		}
	}
	for _, r := range l.rows {
		for k, c := range r {
			for _, line := range strings.Split(c, "\n") {
				w[k] = max(w[k], textWidth(line))
			}
		}
	}
	total := 1
	for _, x := range w {
		total += x + 3
	}
	return total
}

// label is the column that names each record when records stand side by
// side: the first shown column of text that tells them all apart, else
// the first that does, else the first shown.
func (s *Sheet) label(keep []bool) int {
	first, distinct := -1, -1
	for i := range s.Columns {
		if !keep[i] {
			continue
		}
		if first < 0 {
			first = i
		}
		seen := map[string]bool{}
		text := true
		for _, r := range s.Rows {
			seen[s.Columns[i].human(r[i])] = true
			if _, ok := r[i].(string); !ok {
				text = false
			}
		}
		if len(seen) < len(s.Rows) {
			continue
		}
		if text {
			return i
		}
		if distinct < 0 {
			distinct = i
		}
	}
	if distinct >= 0 {
		return distinct
	}
	return max(first, 0)
}

// pick is the elements of v at the indices in which, in order.
func pick[T any](v []T, which []int) []T {
	out := make([]T, len(which))
	for j, k := range which {
		out[j] = v[k]
	}
	return out
}

// headers are the header cells of columns idx over the formatted cells,
// each wrapped to its column if wrapped, the width of each column and of
// the table.
func (s *Sheet) headers(idx []int, cells [][]string, wrapped bool) (heads []string, widths []int, width int) {
	heads = make([]string, len(idx))
	widths = make([]int, len(idx))
	width = 1
	names := Heads(s.Columns)
	for k, i := range idx {
		cw := 0
		for r := range cells {
			cw = max(cw, textWidth(cells[r][k]))
		}
		heads[k] = names[i]
		if wrapped {
			heads[k] = strings.Join(wrap(heads[k], max(cw, minHeaderWidth)), "\n")
		}
		for _, h := range strings.Split(heads[k], "\n") {
			cw = max(cw, textWidth(h))
		}
		widths[k] = cw + 3
		width += widths[k]
	}
	return heads, widths, width
}

// measure is the width of a table of the columns keep keeps, headers
// wrapped or not.
func (s *Sheet) measure(keep []bool, wrapped bool) int {
	var idx []int
	for i := range s.Columns {
		if keep[i] {
			idx = append(idx, i)
		}
	}
	cells := make([][]string, len(s.Rows))
	for r, row := range s.Rows {
		for _, i := range idx {
			cells[r] = append(cells[r], s.Columns[i].human(row[i]))
		}
	}
	_, _, w := s.headers(idx, cells, wrapped)
	return w
}

// constant is column i's cell when every record shows the same one.
func (s *Sheet) constant(i int) (string, bool) {
	if s.Rows[0][i] == nil {
		return "", false
	}
	v := s.Columns[i].human(s.Rows[0][i])
	for _, r := range s.Rows[1:] {
		if r[i] == nil || s.Columns[i].human(r[i]) != v {
			return "", false
		}
	}
	return v, true
}

// textWidth is the columns s takes on a terminal.
func textWidth(s string) int { return runewidth.StringWidth(s) }

// wrap breaks s at spaces into lines of at most width columns; a word
// longer than width has a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case textWidth(line)+1+textWidth(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
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
