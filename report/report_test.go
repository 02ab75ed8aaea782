package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// failWriter records whether anything was written to it.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	return len(p), nil
}

func write(t *testing.T, s *Sheet, f Format) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.Write(&b, f); err != nil {
		t.Fatalf("Write(%s): %v", f, err)
	}
	return b.String()
}

func chipSheet() *Sheet {
	return &Sheet{
		Title: "Chips",
		Columns: []Column{
			{Key: "name", Header: "Name"},
			{Key: "peak_flops.bf16", Header: "BF16 (PFLOP/s)", Scale: 1e15, Digits: 1},
			{Key: "peak_flops.fp8", Header: "FP8 (PFLOP/s)", Scale: 1e15, Digits: 1},
			{Key: "count", Header: "Count"},
			{Key: "ok", Header: "OK"},
		},
		Rows: [][]any{
			{"gb200", 2.5e15, nil, 1234567, true},
			{"h100", 19993.499999999796, 4e15, -1234, false},
		},
		Notes: []string{"note one"},
	}
}

func TestWriteTable(t *testing.T) {
	got := write(t, chipSheet(), FormatTable)
	want := `Chips
┌───────┬────────────────┬───────────────┬───────────┬─────┐
│ Name  │ BF16 (PFLOP/s) │ FP8 (PFLOP/s) │ Count     │ OK  │
├───────┼────────────────┼───────────────┼───────────┼─────┤
│ gb200 │            2.5 │               │ 1,234,567 │ yes │
│ h100  │            0.0 │           4.0 │    -1,234 │ no  │
└───────┴────────────────┴───────────────┴───────────┴─────┘

note one
`
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteMarkdown(t *testing.T) {
	got := write(t, chipSheet(), FormatMarkdown)
	want := `### Chips

| Name  | BF16 (PFLOP/s) | FP8 (PFLOP/s) | Count     | OK  |
|:------|---------------:|--------------:|----------:|:----|
| gb200 |            2.5 |               | 1,234,567 | yes |
| h100  |            0.0 |           4.0 |    -1,234 | no  |

note one
`
	if got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteCSV(t *testing.T) {
	got := write(t, chipSheet(), FormatCSV)
	want := "name,peak_flops_bf16,peak_flops_fp8,count,ok\n" +
		"gb200,2.5e+15,,1234567,true\n" +
		"h100,19993.5,4e+15,-1234,false\n"
	if got != want {
		t.Errorf("csv:\n%s\nwant:\n%s", got, want)
	}
	recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Errorf("csv does not parse back: %v, %d records", err, len(recs))
	}
}

func TestWriteCSVQuoting(t *testing.T) {
	s := &Sheet{
		Columns: []Column{{Key: "name"}, {Key: "note"}},
		Rows:    [][]any{{"a,b", `say "hi"`}},
	}
	got := write(t, s, FormatCSV)
	want := "name,note\n\"a,b\",\"say \"\"hi\"\"\"\n"
	if got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}
}

func TestWriteJSON(t *testing.T) {
	got := write(t, chipSheet(), FormatJSON)
	want := `[
  {
    "name": "gb200",
    "peak_flops": {
      "bf16": 2.5e+15,
      "fp8": null
    },
    "count": 1234567,
    "ok": true
  },
  {
    "name": "h100",
    "peak_flops": {
      "bf16": 19993.5,
      "fp8": 4e+15
    },
    "count": -1234,
    "ok": false
  }
]
`
	if got != want {
		t.Errorf("json:\n%s\nwant:\n%s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Error("json is not valid")
	}
	var v []map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatal(err)
	}
	if pf, ok := v[1]["peak_flops"].(map[string]any); !ok || pf["bf16"] != 19993.5 {
		t.Errorf("peak_flops = %v", v[1]["peak_flops"])
	}
}

func TestWriteJSONL(t *testing.T) {
	got := write(t, chipSheet(), FormatJSONL)
	want := `{"name":"gb200","peak_flops":{"bf16":2.5e+15,"fp8":null},"count":1234567,"ok":true}
{"name":"h100","peak_flops":{"bf16":19993.5,"fp8":4e+15},"count":-1234,"ok":false}
`
	if got != want {
		t.Errorf("jsonl:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("invalid JSON line %q", line)
		}
	}
}

func TestJSONKeyOrder(t *testing.T) {
	// Keys keep column order, not alphabetical order, including nested ones.
	s := &Sheet{
		Columns: []Column{{Key: "z"}, {Key: "m.y"}, {Key: "m.b"}, {Key: "a"}},
		Rows:    [][]any{{1, 2, 3, 4}},
	}
	got := write(t, s, FormatJSONL)
	if want := `{"z":1,"m":{"y":2,"b":3},"a":4}` + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	dec := json.NewDecoder(strings.NewReader(write(t, s, FormatJSON)))
	var keys []string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if k, ok := tok.(string); ok {
			keys = append(keys, k)
		}
	}
	if got, want := strings.Join(keys, ","), "z,m,y,b,a"; got != want {
		t.Errorf("JSON key order %s, want %s", got, want)
	}
}

func TestJSONDeepNesting(t *testing.T) {
	s := &Sheet{
		Columns: []Column{{Key: "a.b.c"}, {Key: "a.b.d"}, {Key: "a.e"}, {Key: "f"}},
		Rows:    [][]any{{1, "x", true, nil}},
	}
	got := write(t, s, FormatJSONL)
	if want := `{"a":{"b":{"c":1,"d":"x"},"e":true},"f":null}` + "\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if csvHdr := strings.SplitN(write(t, s, FormatCSV), "\n", 2)[0]; csvHdr != "a_b_c,a_b_d,a_e,f" {
		t.Errorf("csv header %q", csvHdr)
	}
}

func TestJSONEscapingAndSpecialFloats(t *testing.T) {
	s := &Sheet{
		Columns: []Column{{Key: "name"}, {Key: "nan"}, {Key: "inf"}},
		Rows:    [][]any{{"a \"quoted\" <name>\n", 0.0 / zero(), 1 / zero()}},
	}
	for _, f := range []Format{FormatJSON, FormatJSONL} {
		got := write(t, s, f)
		if !json.Valid([]byte(got)) {
			t.Errorf("%s: invalid JSON %q", f, got)
		}
		if !strings.Contains(got, `"nan": null`) && !strings.Contains(got, `"nan":null`) {
			t.Errorf("%s: NaN not written as null: %q", f, got)
		}
	}
}

func zero() float64 { return 0 }

func TestJSONEmpty(t *testing.T) {
	s := &Sheet{Columns: []Column{{Key: "a"}}}
	if got := write(t, s, FormatJSON); got != "[]\n" {
		t.Errorf("empty JSON = %q, want %q", got, "[]\n")
	}
	if got := write(t, s, FormatJSONL); got != "" {
		t.Errorf("empty JSONL = %q, want empty", got)
	}
	if got := write(t, s, FormatCSV); got != "a\n" {
		t.Errorf("empty CSV = %q, want header only", got)
	}
}

func TestVerticalOneRecord(t *testing.T) {
	s := chipSheet()
	s.Vertical = true
	s.Rows = s.Rows[:1]
	s.Notes = nil
	got := write(t, s, FormatTable)
	// The all-nil FP8 line is left out.
	want := `Chips
┌────────────────┬───────────┐
│ quantity       │ value     │
├────────────────┼───────────┤
│ Name           │     gb200 │
│ BF16 (PFLOP/s) │       2.5 │
│ Count          │ 1,234,567 │
│ OK             │       yes │
└────────────────┴───────────┘
`
	if got != want {
		t.Errorf("vertical table:\n%s\nwant:\n%s", got, want)
	}
	md := write(t, s, FormatMarkdown)
	if !strings.Contains(md, "| quantity       | value     |\n") || !strings.Contains(md, "| Name           |     gb200 |\n") || !strings.Contains(md, "|:---------------|----------:|\n") {
		t.Errorf("vertical markdown:\n%s", md)
	}
	// One vertical record is one JSON object, not an array.
	js := write(t, s, FormatJSON)
	if !json.Valid([]byte(js)) || !strings.HasPrefix(js, "{\n") {
		t.Errorf("vertical JSON:\n%s", js)
	}
	// JSON Lines is unaffected.
	if got := write(t, s, FormatJSONL); got != `{"name":"gb200","peak_flops":{"bf16":2.5e+15,"fp8":null},"count":1234567,"ok":true}`+"\n" {
		t.Errorf("vertical JSONL = %q", got)
	}
}

func TestVerticalSeveralRecords(t *testing.T) {
	s := chipSheet()
	s.Vertical = true
	got := write(t, s, FormatMarkdown)
	want := `### Chips

| quantity       | gb200     | h100   |
|:---------------|----------:|-------:|
| BF16 (PFLOP/s) |       2.5 |    0.0 |
| FP8 (PFLOP/s)  |           |    4.0 |
| Count          | 1,234,567 | -1,234 |
| OK             |       yes |     no |

note one
`
	if got != want {
		t.Errorf("vertical markdown:\n%s\nwant:\n%s", got, want)
	}
	tbl := write(t, s, FormatTable)
	if !strings.Contains(tbl, "│ quantity       │ gb200     │ h100   │") {
		t.Errorf("vertical table header:\n%s", tbl)
	}
	js := write(t, s, FormatJSON)
	if !json.Valid([]byte(js)) || !strings.HasPrefix(js, "[\n") {
		t.Errorf("vertical JSON of two records is not an array:\n%s", js)
	}
}

func TestHuman(t *testing.T) {
	tests := []struct {
		c    Column
		v    any
		want string
	}{
		{Column{}, nil, ""},
		{Column{}, "text", "text"},
		{Column{}, true, "yes"},
		{Column{}, false, "no"},
		{Column{}, 0, "0"},
		{Column{}, 999, "999"},
		{Column{}, 1000, "1,000"},
		{Column{}, 1234567, "1,234,567"},
		{Column{}, -1234567, "-1,234,567"},
		{Column{}, -123456, "-123,456"},
		{Column{}, -999, "-999"},
		{Column{}, 1234567.0, "1,234,567"},
		{Column{Digits: 2}, 1234567.891, "1,234,567.89"},
		{Column{Digits: 2}, -1234567.891, "-1,234,567.89"},
		{Column{Digits: 3}, 0.5, "0.500"},
		{Column{Digits: 2}, -0.001, "-0.0010"}, // two significant digits
		{Column{Digits: 2}, -1e-9, "0.00"},     // below 1e-6 a figure reads as zero, never "-0.00"
		{Column{Digits: 3}, 0.0094, "0.0094"},  // not 0.009 beside 0.004
		{Column{Digits: 0}, -0.4, "-0.40"},
		{Column{Digits: 1}, -1.25e6, "-1,250,000.0"},
		{Column{Digits: -1}, add(0.1, 0.2), "0.30000000000000004"},
		{Column{Scale: 1e12, Digits: 1}, 141e9, "0.14"},
		{Column{Scale: 1e12, Digits: 2}, 13.5e12, "13.50"},
		{Column{Scale: 1e9, Digits: 0}, 1800e12, "1,800,000"},
		{Column{Scale: 1e3, Digits: 1}, 1234567, "1,234.6"},
		{Column{Scale: 1, Digits: 1}, 1234567, "1,234,567"},
	}
	for _, tt := range tests {
		if got := tt.c.human(tt.v); got != tt.want {
			t.Errorf("Column{Scale:%g, Digits:%d}.human(%#v) = %q, want %q", tt.c.Scale, tt.c.Digits, tt.v, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[string]string{
		"":         "",
		"1":        "1",
		"12":       "12",
		"123":      "123",
		"1234":     "1,234",
		"12345":    "12,345",
		"123456":   "123,456",
		"1234567":  "1,234,567",
		"-1":       "-1",
		"-123":     "-123",
		"-1234":    "-1,234",
		"-123456":  "-123,456",
		"-1234567": "-1,234,567",
	} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMachine(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{nil, ""},
		{"x", "x"},
		{true, "true"},
		{-7, "-7"},
		{1234567, "1234567"},
		{19993.499999999796, "19993.5"},
		{add(0.1, 0.2), "0.3"},
		{2.5e15, "2.5e+15"},
		{1.0 / 3, "0.333333333333"},
		{0.0, "0"},
		{-1.5, "-1.5"},
	}
	for _, tt := range tests {
		if got := machine(tt.v); got != tt.want {
			t.Errorf("machine(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestMachineKeepsRealDigits(t *testing.T) {
	// Known bug: rounding to 12 significant digits drops real digits of
	// values with 13 or more, e.g. 2^40 bytes (1 TiB).
	if got := machine(1099511627776.0); got != "1099511627776" && got != "1.099511627776e+12" {
		t.Errorf("machine(2^40) = %q, lost digits", got)
	}
}

func TestWriteRowLengthMismatch(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatJSONL} {
		for _, rows := range [][][]any{
			{{"a", 1.0}, {"b"}},
			{{"a", 1.0, 2.0}},
		} {
			s := &Sheet{Title: "t", Columns: []Column{{Key: "n"}, {Key: "v"}}, Rows: rows}
			var w failWriter
			err := s.Write(&w, f)
			if err == nil {
				t.Errorf("%s %v: no error", f, rows)
			} else if !strings.Contains(err.Error(), "columns") {
				t.Errorf("%s: error %q", f, err)
			}
			if w.n != 0 {
				t.Errorf("%s %v: wrote %d bytes before failing", f, rows, w.n)
			}
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var w failWriter
	err := chipSheet().Write(&w, Format("xml"))
	if err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("err = %v", err)
	}
	if w.n != 0 {
		t.Errorf("wrote %d bytes", w.n)
	}
}

type errWriter struct{}

var errBroken = errors.New("broken pipe")

func (errWriter) Write([]byte) (int, error) { return 0, errBroken }

func TestWriteReportsWriterError(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatJSONL} {
		if err := chipSheet().Write(errWriter{}, f); !errors.Is(err, errBroken) {
			t.Errorf("%s: err = %v, want %v", f, err, errBroken)
		}
	}
}

func TestParseFormat(t *testing.T) {
	all := []Format{FormatTable, FormatMarkdown, FormatJSON, FormatCSV, FormatJSONL}
	tests := []struct {
		in      string
		allowed []Format
		want    Format
		err     string
	}{
		{"table", all, FormatTable, ""},
		{"TABLE", all, FormatTable, ""},
		{"Json", all, FormatJSON, ""},
		{"jsonl", all, FormatJSONL, ""},
		{"csv", all, FormatCSV, ""},
		{"markdown", all, FormatMarkdown, ""},
		{"md", all, FormatMarkdown, ""},
		{"MD", all, FormatMarkdown, ""},
		{"md", []Format{FormatTable, FormatJSON}, "", `unknown format "md" (want table, json)`},
		{"jsonl", DataFormats, "", `unknown format "jsonl" (want table, markdown, json, csv)`},
		{"xml", all, "", `unknown format "xml" (want table, markdown, json, csv, jsonl)`},
		{"", all, "", `unknown format "" (want table, markdown, json, csv, jsonl)`},
		{" json", all, "", `unknown format " json" (want table, markdown, json, csv, jsonl)`},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in, tt.allowed...)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseFormat(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// add sums at run time, so float noise is not folded away by the compiler.
func add(a, b float64) float64 { return a + b }

// TestTableLeavesOutEmptyColumns: a horizontal table prints neither a
// column empty on every record nor a Varies column that does not vary;
// CSV keeps both.
func TestTableLeavesOutEmptyColumns(t *testing.T) {
	s := &Sheet{Columns: []Column{{Key: "name", Header: "Name"}, {Key: "other_s", Header: "Other (s)"}, {Key: "ok", Header: "OK", Varies: true}},
		Rows: [][]any{{"a", nil, true}, {"b", nil, true}}}
	var tb, cb strings.Builder
	if err := s.Write(&tb, FormatTable); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(&cb, FormatCSV); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tb.String(), "Other") || strings.Contains(tb.String(), "OK") || !strings.Contains(tb.String(), "Name") {
		t.Errorf("table:\n%s", tb.String())
	}
	if !strings.HasPrefix(cb.String(), "name,other_s,ok\n") {
		t.Errorf("csv:\n%s", cb.String())
	}
	s.Rows[1][2] = false
	tb.Reset()
	if err := s.Write(&tb, FormatTable); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "OK") {
		t.Errorf("a Varies column that varies is left out:\n%s", tb.String())
	}
}
