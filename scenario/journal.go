package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/cardsea/cardsea/report"
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

// RunJournalled runs s as Run does and journals each finished point to
// the file journal, a line per point (JournalLine), whatever order points
// finish in, so a killed sweep loses only what was running. With resume,
// the points the journal holds are not run again and their records come
// back in place; without, an existing journal is an error (it is an
// interrupted sweep's). The journal stays for the caller to remove once
// it has written the results; a run that fails before journalling
// anything leaves no journal.
func (s *Scenario) RunJournalled(o Options, journal string, resume bool) (*report.Sheet, error) {
	done := map[int][][]any{}
	if resume {
		var err error
		if done, err = ReadJournal(journal, len(s.Columns())); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(journal); err == nil {
		return nil, fmt.Errorf("%s exists from an interrupted sweep: add --resume to continue it, or delete it", journal)
	}
	jf, err := os.OpenFile(journal, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot write the journal: %w", err)
	}
	defer jf.Close()
	jw := bufio.NewWriter(jf)
	o.Done = func(p int) bool { _, ok := done[p]; return ok }
	o.PointDone = func(p int, rows [][]any) error {
		line, err := JournalLine(p, rows)
		if err != nil {
			return err
		}
		jw.Write(append(line, '\n'))
		return jw.Flush()
	}
	sheet, err := s.Run(o)
	if err != nil {
		if !errors.Is(err, ErrStopped) {
			// A journal that holds nothing resumes nothing: leave no file.
			if st, serr := jf.Stat(); serr == nil && st.Size() == 0 {
				jf.Close()
				os.Remove(journal)
			}
		}
		return nil, err
	}
	// Put the journalled points back in order with the new ones.
	for _, rows := range done {
		sheet.Rows = append(sheet.Rows, rows...)
	}
	SortRowsByPoint(sheet.Rows)
	return sheet, nil
}
