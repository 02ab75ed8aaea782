package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// journalEntry is one finished point of a sweep, as a line of its journal
// (OUT.partial): a killed sweep resumes from the points it holds.
type journalEntry struct {
	Point int     `json:"point"`
	Rows  [][]any `json:"rows"`
	// Kinds holds, per row, one letter per field saying the Go type the
	// value had (i int, f float64, anything else as JSON reads it), since
	// JSON writes the float 1.8e10 and the integer 18000000000 alike and a
	// resumed sweep must print each as a fresh one does.
	Kinds []string `json:"kinds,omitempty"`
}

// JournalLine is point p's records as one journal line (JSON, without the
// newline).
func JournalLine(p int, rows [][]any) ([]byte, error) {
	return json.Marshal(newJournalEntry(p, rows))
}

func newJournalEntry(p int, rows [][]any) journalEntry {
	e := journalEntry{Point: p, Rows: rows}
	for _, r := range rows {
		k := make([]byte, len(r))
		for i, v := range r {
			switch v.(type) {
			case int, int64, int32:
				k[i] = 'i'
			case float64, float32:
				k[i] = 'f'
			default:
				k[i] = '-'
			}
		}
		e.Kinds = append(e.Kinds, string(k))
	}
	return e
}

// ReadJournal reads the points an interrupted sweep finished, by point;
// ncols is the scenario's record width (a journal of another width is of
// a changed scenario). JSON turns
// integers into float64; the point column is restored to int so rows sort
// and print as fresh ones do.
func ReadJournal(path string, ncols int) (map[int][][]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[int][][]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	done := map[int][][]any{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e journalEntry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		if err := dec.Decode(&e); err != nil {
			// A torn last line from a kill: drop it, the point reruns.
			continue
		}
		if len(e.Rows) == 0 || (e.Kinds != nil && len(e.Kinds) != len(e.Rows)) {
			return nil, fmt.Errorf("%s:%d: point %d has no records or a kind for each: the journal is damaged; delete it", path, i+1, e.Point)
		}
		for j, r := range e.Rows {
			if len(r) != ncols || (e.Kinds != nil && len(e.Kinds[j]) != ncols) {
				return nil, fmt.Errorf("%s:%d: a record of %d fields, the scenario has %d: the scenario changed; delete the journal", path, i+1, len(r), ncols)
			}
			for k, v := range r {
				n, ok := v.(json.Number)
				if !ok {
					continue
				}
				kind := byte('?') // an old journal: integers where they read as one
				if e.Kinds != nil {
					kind = e.Kinds[j][k]
				}
				if iv, err := n.Int64(); err == nil && kind != 'f' {
					r[k] = int(iv)
				} else if fv, err := n.Float64(); err == nil {
					r[k] = fv
				}
			}
		}
		done[e.Point] = e.Rows
	}
	return done, nil
}

// SortRowsByPoint orders records by their point field, keeping the order
// of each point's records.
func SortRowsByPoint(rows [][]any) {
	point := func(r []any) int {
		if v, ok := r[1].(int); ok {
			return v
		}
		return 0
	}
	// stable: rows of one point keep their order
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && point(rows[j-1]) > point(rows[j]); j-- {
			rows[j-1], rows[j] = rows[j], rows[j-1]
		}
	}
}
