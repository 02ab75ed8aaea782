package chart

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/report"
)

// Data is a table of records to chart: what `cardsea run` and `cardsea
// sweep` write (CSV, JSON Lines, JSON) or a report.Sheet in memory.
type Data struct {
	// Source names the data in messages (a file name).
	Source string
	// Columns are the machine names, SI units in their suffix
	// ("busbw_bytes_per_s"); nested JSON keys are joined by "_" as in CSV.
	Columns []string
	// Rows hold float64, int, string, bool or nil (absent) values, one per
	// column. Values read from CSV are strings.
	Rows [][]any
	// Lines are the source line of each row, for messages (optional).
	Lines []int
	// Hints describe columns whose name carries no unit suffix: the
	// header with its display unit and the scale ("busbw_per_kw" is
	// "busbw per IT kW (GB/s per kW)", scale 1e9). Keyed by column name.
	Hints map[string]report.Column
}

// FromSheet views a sheet's records as chart data; column keys become CSV
// names and the sheet's headers become hints.
func FromSheet(s *report.Sheet) *Data {
	d := &Data{Source: s.Title, Rows: s.Rows, Hints: map[string]report.Column{}}
	for _, c := range s.Columns {
		k := strings.ReplaceAll(c.Key, ".", "_")
		d.Columns = append(d.Columns, k)
		d.Hints[k] = c
	}
	return d
}

// Read parses results by the file's extension: .csv, .jsonl or .ndjson
// (JSON Lines), .json (an array of records).
func Read(name string, data []byte) (*Data, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return ReadCSV(name, bytes.NewReader(data))
	case ".jsonl", ".ndjson", ".json":
		return ReadJSON(name, bytes.NewReader(data))
	}
	return nil, fmt.Errorf("%s: unknown results format %q; want .csv, .jsonl or .json as written by 'cardsea run --out' or 'cardsea sweep --out'", name, filepath.Ext(name))
}

// ReadCSV reads a header of column names, then one record per line.
func ReadCSV(name string, r io.Reader) (*Data, error) {
	cr := csv.NewReader(r)
	hdr, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s is empty; want a header line of column names, then records", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &Data{Source: name, Columns: hdr}
	if err := d.checkColumns(); err != nil {
		return nil, err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				return nil, fmt.Errorf("%s:%d: %d fields, the header has %d", name, pe.StartLine, len(rec), len(hdr))
			}
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		row := make([]any, len(rec))
		for i, v := range rec {
			if v != "" {
				row[i] = v
			}
		}
		d.Rows = append(d.Rows, row)
		d.Lines = append(d.Lines, line)
	}
	return d, nil
}

// ReadJSON reads JSON Lines (one object per line) or a JSON array of
// objects. Nested objects flatten to "outer_inner" columns, as in CSV;
// columns are in order of first appearance.
func ReadJSON(name string, r io.Reader) (*Data, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &Data{Source: name}
	index := map[string]int{}
	var recs []map[string]any
	add := func(obj []field, line int) {
		rec := map[string]any{}
		for _, f := range obj {
			if _, ok := index[f.key]; !ok {
				index[f.key] = len(d.Columns)
				d.Columns = append(d.Columns, f.key)
			}
			rec[f.key] = f.value
		}
		recs = append(recs, rec)
		d.Lines = append(d.Lines, line)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		dec.Token() // [
		for dec.More() {
			line := 1 + bytes.Count(trimmed[:dec.InputOffset()], []byte("\n"))
			obj, err := readRecord(dec)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, line, err)
			}
			add(obj, line)
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
	} else {
		for i, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			dec := json.NewDecoder(bytes.NewReader(l))
			dec.UseNumber()
			obj, err := readRecord(dec)
			if err == nil && dec.More() {
				err = errors.New("more than one value on the line")
			}
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v (want one JSON object per line)", name, i+1, err)
			}
			add(obj, i+1)
		}
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s holds no records", name)
	}
	for _, rec := range recs {
		row := make([]any, len(d.Columns))
		for k, v := range rec {
			row[index[k]] = v
		}
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

type field struct {
	key   string
	value any
}

// readRecord reads one JSON object, keeping its keys in order.
func readRecord(dec *json.Decoder) ([]field, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('{') {
		return nil, fmt.Errorf("want a JSON object, got %v", t)
	}
	var out []field
	err = readObject(dec, "", &out)
	return out, err
}

// readObject reads the members of an object whose '{' is consumed.
func readObject(dec *json.Decoder, prefix string, out *[]field) error {
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key := prefix + t.(string)
		v, err := dec.Token()
		if err != nil {
			return err
		}
		switch x := v.(type) {
		case json.Delim:
			if x == '{' {
				if err := readObject(dec, key+"_", out); err != nil {
					return err
				}
				continue
			}
			// An array: not a chartable value; skip it whole.
			for depth := 1; depth > 0; {
				t, err := dec.Token()
				if err != nil {
					return err
				}
				if d, ok := t.(json.Delim); ok {
					if d == '[' || d == '{' {
						depth++
					} else {
						depth--
					}
				}
			}
			*out = append(*out, field{key, nil})
		case json.Number:
			*out = append(*out, field{key, x.String()})
		default: // string, bool, nil
			*out = append(*out, field{key, x})
		}
	}
	_, err := dec.Token() // }
	return err
}

func (d *Data) checkColumns() error {
	seen := map[string]bool{}
	for _, c := range d.Columns {
		if seen[c] {
			return fmt.Errorf("%s: column %q appears twice in the header", d.Source, c)
		}
		seen[c] = true
	}
	return nil
}

// Column returns the index of the named column, or an error that lists
// the columns and suggests the nearest.
func (d *Data) Column(name string) (int, error) {
	for i, c := range d.Columns {
		if c == name {
			return i, nil
		}
	}
	msg := fmt.Sprintf("%s has no column %q", d.source(), name)
	if s := strictyaml.Nearest(name, d.Columns); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return -1, fmt.Errorf("%s; its columns: %s", msg, strings.Join(d.Columns, ", "))
}

func (d *Data) source() string {
	if d.Source == "" {
		return "the data"
	}
	return d.Source
}

// where names row r in messages: file:line, or the record number.
func (d *Data) where(r int) string {
	if r < len(d.Lines) && d.Lines[r] > 0 {
		return fmt.Sprintf("%s:%d", d.source(), d.Lines[r])
	}
	return fmt.Sprintf("%s, record %d", d.source(), r+1)
}

// Text reports whether column holds names, not numbers: it has a value
// and none of its values reads as a number (topologies, algorithms,
// true/false). A column of numbers with a stray word is not text: a
// chart of it reports the word.
func (d *Data) Text(column string) bool {
	i, err := d.Column(column)
	if err != nil {
		return false
	}
	seen := false
	for _, r := range d.Rows {
		_, ok, err := number(r[i])
		if ok && err == nil {
			return false
		}
		seen = seen || ok
	}
	return seen
}

// number reads a cell as a number; absent cells are not ok, without error.
func number(v any) (x float64, present bool, err error) {
	switch t := v.(type) {
	case nil:
		return 0, false, nil
	case float64:
		return t, true, nil
	case int:
		return float64(t), true, nil
	case int64:
		return float64(t), true, nil
	case string:
		s := strings.TrimSpace(t)
		if s == "" {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, true, fmt.Errorf("%q is not a number", t)
		}
		return f, true, nil
	case bool:
		return 0, true, fmt.Errorf("%v is not a number", t)
	}
	return 0, true, fmt.Errorf("%v is not a number", v)
}

// text renders a cell for a series name or category.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
