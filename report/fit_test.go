package report

import (
	"fmt"
	"strings"
	"testing"
)

// maxLineWidth is the widest line of out, in terminal columns.
func maxLineWidth(out string) int {
	w := 0
	for _, l := range strings.Split(out, "\n") {
		w = max(w, textWidth(l))
	}
	return w
}

// wideSheet has rows records of an identity, a constant, answers and a
// Minor breakdown: 38 columns, far wider than a terminal.
func wideSheet(rows int) *Sheet {
	s := &Sheet{Columns: []Column{
		{Key: "name", Header: "Name"},
		{Key: "model", Header: "Model"},
		{Key: "step_s", Header: "Step (ms)", Unit: Seconds},
	}}
	for i := range 20 {
		s.Columns = append(s.Columns, Column{Key: fmt.Sprintf("answer_%d", i), Header: fmt.Sprintf("Answer number %d (tokens per second)", i), Digits: 1})
	}
	for i := range 15 {
		s.Columns = append(s.Columns, Column{Key: fmt.Sprintf("part_%d_j", i), Header: fmt.Sprintf("Energy: part %d (J)", i), Unit: Joules, Minor: true})
	}
	for r := range rows {
		row := []any{fmt.Sprintf("system-%d", r), "deepseek-r1", 0.0848 + float64(r)}
		for i := range 20 {
			row = append(row, 1000.5*float64(i+r+1))
		}
		for i := range 15 {
			row = append(row, 12.5*float64((i+1)*(r+1)))
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// TestTableFitsMaxWidth: however many columns, a table (and its notes)
// fits 160 columns unless Wide; the same in every record moves to a note,
// Minor columns go before any other, and what was left out is named.
func TestTableFitsMaxWidth(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatMarkdown} {
		out := write(t, wideSheet(20), f)
		if w := maxLineWidth(out); f == FormatTable && w > MaxWidth {
			t.Errorf("%s: %d columns wide:\n%s", f, w, out)
		}
		if !strings.Contains(out, "Same in every record: Model deepseek-r1.") {
			t.Errorf("%s: the constant model is not a note:\n%s", f, out)
		}
		if !strings.Contains(out, "Left out to fit 160 columns: ") || !strings.Contains(out, "Energy: part 0") {
			t.Errorf("%s: no note of what was left out:\n%s", f, out)
		}
		if strings.Contains(out, "│ Energy:") || strings.Contains(out, "| Energy:") {
			t.Errorf("%s: a Minor column is shown while answers are left out:\n%s", f, out)
		}
	}
	wide := wideSheet(20)
	wide.Wide = true
	out := write(t, wide, FormatTable)
	if strings.Contains(out, "Left out") || !strings.Contains(out, "Energy:") || !strings.Contains(out, "deepseek-r1 │") {
		t.Errorf("Wide leaves columns out:\n%s", out)
	}
}

// TestFewWideRecordsStandSideBySide: records too many-fielded for a line
// each but few enough print one line per field, one column per record,
// headed by the field that names them.
func TestFewWideRecordsStandSideBySide(t *testing.T) {
	out := write(t, wideSheet(3), FormatTable)
	if w := maxLineWidth(out); w > MaxWidth {
		t.Errorf("%d columns wide:\n%s", w, out)
	}
	if !strings.Contains(out, "│ quantity ") || !strings.Contains(out, "│ system-0 ") || !strings.Contains(out, "│ Energy: part 14 ") {
		t.Errorf("not side by side with every field:\n%s", out)
	}
	if strings.Contains(out, "Left out") || !strings.Contains(out, "Same in every record: Model deepseek-r1.") {
		t.Errorf("notes:\n%s", out)
	}
	one := wideSheet(1)
	if out := write(t, one, FormatTable); !strings.Contains(out, "│ quantity ") || !strings.Contains(out, "│ value ") {
		t.Errorf("a single wide record is not one line per field:\n%s", out)
	}
}

// TestNarrowTableUnchanged: a table that fits keeps every column, even
// one the same in every record, and its headers on one line.
func TestNarrowTableUnchanged(t *testing.T) {
	s := &Sheet{Columns: []Column{{Key: "name", Header: "Name"}, {Key: "model", Header: "Model"}, {Key: "n", Header: "Count of things"}},
		Rows: [][]any{{"a", "m", 1}, {"b", "m", 2}}}
	out := write(t, s, FormatTable)
	if !strings.Contains(out, "│ Name │ Model │ Count of things │") || strings.Contains(out, "Same in every record") {
		t.Errorf("a table that fits changed:\n%s", out)
	}
}

// TestHeadersWrapWhenTooWide: long headers over short numbers wrap at
// spaces before any column is left out.
func TestHeadersWrapWhenTooWide(t *testing.T) {
	s := &Sheet{}
	for i := range 9 {
		s.Columns = append(s.Columns, Column{Key: fmt.Sprint(i), Header: fmt.Sprintf("A long header number %d (tokens)", i)})
	}
	for r := range 2 {
		row := []any{}
		for i := range 9 {
			row = append(row, r+i)
		}
		s.Rows = append(s.Rows, row)
	}
	out := write(t, s, FormatTable)
	if w := maxLineWidth(out); w > MaxWidth || strings.Contains(out, "Left out") {
		t.Errorf("%d wide:\n%s", w, out)
	}
	if !strings.Contains(out, "│ A long   │") || !strings.Contains(out, "│ header   │") {
		t.Errorf("headers do not wrap:\n%s", out)
	}
	// Markdown cells are one line: the header reads whole.
	if md := write(t, s, FormatMarkdown); !strings.Contains(md, "| A long header number 0 (tokens) |") {
		t.Errorf("markdown header wrapped:\n%s", md)
	}
}

// TestNoEmptyColumnInWideSheets: a field no record has never shows, in
// records one a line or side by side.
func TestNoEmptyColumnInWideSheets(t *testing.T) {
	for _, rows := range []int{1, 3, 20} {
		s := wideSheet(rows)
		s.Columns = append(s.Columns, Column{Key: "other_kind", Header: "Another kind's field"})
		for i := range s.Rows {
			s.Rows[i] = append(s.Rows[i], nil)
		}
		s.Wide = rows == 20
		if out := write(t, s, FormatTable); strings.Contains(out, "Another kind") {
			t.Errorf("%d records: the empty column shows:\n%s", rows, out)
		}
	}
}

// TestUnitsFollowMagnitude: a value with a Unit prints with the prefix its
// own magnitude needs and three significant digits; the header drops the
// unit the cells now carry.
func TestUnitsFollowMagnitude(t *testing.T) {
	for _, tc := range []struct {
		unit string
		v    any
		want string
	}{
		{Seconds, 12.4582463, "12.5 s"},
		{Seconds, 9.1e-6, "9.1 us"},
		{Seconds, 0.0032033, "3.2 ms"},
		{Seconds, 150.0, "2.5 min"},
		{Seconds, 0.0, "0"},
		{Joules, 0.0094, "9.4 mJ"},
		{Joules, 0.0043, "4.3 mJ"},
		{Joules, 10977.741, "11 kJ"},
		{Watts, 129500.0, "130 kW"},
		{BytesPerS, 3.352e11, "335 GB/s"},
		{Bytes, 36.3e9, "36.3 GB"},
		{BytesBinary, 1 << 30, "1 GiB"},
		{BytesBinary, 1536, "1.5 KiB"},
		{BytesBinary, nil, ""},
	} {
		c := Column{Key: "x", Header: "X (us)", Scale: 1e-6, Digits: 1, Unit: tc.unit}
		if got := c.Human(tc.v); got != tc.want {
			t.Errorf("%s %v = %q, want %q", tc.unit, tc.v, got, tc.want)
		}
	}
	for header, want := range map[string]string{
		"Time (us)":                         "Time",
		"Energy, IT (J)":                    "Energy, IT",
		"Scale-up (GB/s, per direction)":    "Scale-up (per direction)",
		"Tokens per J (IT)":                 "Tokens per J (IT)",
		"Batch (sequences per accelerator)": "Batch (sequences per accelerator)",
		"Size":                              "Size",
		"busbw per IT kW (GB/s per kW)":     "busbw per IT kW (GB/s per kW)",
	} {
		if got := (Column{Header: header, Unit: Seconds}).Head(); got != want {
			t.Errorf("Head(%q) = %q, want %q", header, got, want)
		}
	}
	if got := (Column{Header: "Time (us)"}).Head(); got != "Time (us)" {
		t.Errorf("a column without a Unit lost its header's: %q", got)
	}
	// Two headers that differ only by unit keep it.
	h := Heads([]Column{{Header: "KV transfer (GB)", Unit: Bytes}, {Header: "KV transfer (ms)", Unit: Seconds}, {Header: "Step (ms)", Unit: Seconds}})
	if h[0] != "KV transfer (GB)" || h[1] != "KV transfer (ms)" || h[2] != "Step" {
		t.Errorf("Heads = %q", h)
	}
	for key, want := range map[string]string{
		"time_s": Seconds, "busbw_bytes_per_s": BytesPerS, "wire_bytes": Bytes, "energy_by_component_j.cpus": Joules,
		"avg_power_w": Watts, "tokens_per_s": "", "tokens_per_j": "", "kv_bytes_per_request": "", "mfu": "",
	} {
		if got := UnitOf(key); got != want {
			t.Errorf("UnitOf(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestSmallFiguresKeepDigits: a figure below 1 keeps two significant
// digits whatever the column's decimals, so 0.0094 and 0.0043 do not both
// read 0.0 or 0.009 and 0.004.
func TestSmallFiguresKeepDigits(t *testing.T) {
	c := Column{Digits: 3}
	if a, b := c.Human(0.0094), c.Human(0.0043); a != "0.0094" || b != "0.0043" {
		t.Errorf("0.0094, 0.0043 read %q, %q", a, b)
	}
}

// TestNumbersAlignRight: numbers right-align in tables and Markdown,
// records one a line or side by side; text stays left.
func TestNumbersAlignRight(t *testing.T) {
	md := write(t, chipSheet(), FormatMarkdown)
	if !strings.Contains(md, "|:------|---------------:|--------------:|----------:|:----|") {
		t.Errorf("markdown alignment:\n%s", md)
	}
	v := chipSheet()
	v.Vertical = true
	md = write(t, v, FormatMarkdown)
	if !strings.Contains(md, "|:---------------|----------:|-------:|") {
		t.Errorf("side-by-side markdown alignment:\n%s", md)
	}
}

// TestLongNotesWrap: a note wider than MaxWidth wraps at spaces, a list
// item's lines indented under its text.
func TestLongNotesWrap(t *testing.T) {
	s := chipSheet()
	long := strings.Repeat("word ", 60)
	s.Notes = []string{long, "- " + long, "short"}
	out := write(t, s, FormatTable)
	if w := maxLineWidth(out); w > MaxWidth {
		t.Errorf("%d wide:\n%s", w, out)
	}
	if !strings.Contains(out, "\n  word") || !strings.Contains(out, "\nshort\n") {
		t.Errorf("notes:\n%s", out)
	}
}

// TestBreakdownsLast: a table reads identity, then the answer, then its
// breakdown: Minor columns print after the rest; CSV keeps the order.
func TestBreakdownsLast(t *testing.T) {
	s := &Sheet{Columns: []Column{{Key: "name", Header: "Name"}, {Key: "compute_s", Header: "Compute (ms)", Unit: Seconds, Minor: true},
		{Key: "tpot_s", Header: "TPOT (ms)", Unit: Seconds}},
		Rows: [][]any{{"a", 0.01, 0.02}}}
	if out := write(t, s, FormatTable); !strings.Contains(out, "│ Name │ TPOT  │ Compute │") {
		t.Errorf("order:\n%s", out)
	}
	if out := write(t, s, FormatCSV); !strings.HasPrefix(out, "name,compute_s,tpot_s\n") {
		t.Errorf("CSV order:\n%s", out)
	}
}

// TestManyRecordsSideBySideWrap: records side by side that would pass
// 160 columns wrap their headers, then the field names; Markdown does not.
func TestManyRecordsSideBySideWrap(t *testing.T) {
	s := &Sheet{Vertical: true, Columns: []Column{{Key: "name", Header: "Name"},
		{Key: "x", Header: "A quantity with a rather long name that takes many columns (GB/s per kW)", Digits: 1}}}
	for i := range 9 {
		s.Rows = append(s.Rows, []any{fmt.Sprintf("system-%d vs system-0", i), 1234.5 * float64(i)})
	}
	out := write(t, s, FormatTable)
	if w := maxLineWidth(out); w > MaxWidth {
		t.Errorf("%d wide:\n%s", w, out)
	}
	if !strings.Contains(out, "│ system-1 ") || !strings.Contains(out, "│ vs       ") {
		t.Errorf("headers do not wrap:\n%s", out)
	}
	md := write(t, s, FormatMarkdown)
	if strings.Count(md, "\n") != 3 || !strings.Contains(md, "| system-1 vs system-0 |") {
		t.Errorf("markdown wrapped:\n%s", md)
	}
}
