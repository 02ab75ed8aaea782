package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/trace"
)

const runUsage = `
Usage:
  cardsea run FILE.yaml [--format table|markdown|json|csv|jsonl] [--out FILE] [--jobs N]
  cardsea check FILE.yaml

'run' simulates every workload of a scenario file on every topology it names
(and, with a sweep block, at every sweep point) and prints one record per
topology, workload and size: time, bandwidth, energy, power, cost. 'check'
validates the file without running it and says how much work it holds.

Scenario files are strict YAML: an unknown field, a wrong type or a duplicate
key is an error with file:line:column and the nearest valid name. Every field
is described in docs/scenarios.md; scenarios/ has examples to start from.

--trace FILE.json writes the run's last simulation (last point, topology,
workload and size) as a Chrome/Perfetto timeline: per rank or accelerator,
what it sent or computed and what it waited for, and each busy link's use.

With --out the result is written atomically (a temporary file, then a rename):
a failed or interrupted run never leaves a half-written file. The format
follows the file's extension (.csv, .jsonl, .json, .md) unless --format says.

Examples:
  cardsea check scenarios/cm384-vs-nvl72-collectives.yaml
  cardsea run scenarios/cm384-vs-nvl72-collectives.yaml
  cardsea run scenarios/allreduce-all-presets.yaml --out results.csv
`

const sweepUsage = `
Usage:
  cardsea sweep FILE.yaml --out results.csv|results.jsonl [--jobs N] [--shard I/N] [--resume]
  cardsea merge SHARD_FILE... --out FILE

'sweep' runs a scenario's sweep block: every combination of the swept fields
(product) and every position of the zipped lists (zip). Points run in
parallel on --jobs workers (default: every core); the output is in point order
and byte-identical whatever --jobs is. Each record carries its point index and
the number of points, and a column per swept field.

--shard I/N runs only points I, I+N, I+2N, ... (I from 0 to N-1), so a batch
scheduler splits a sweep across machines: a Slurm job array passes
$SLURM_ARRAY_TASK_ID, a Kubernetes Indexed Job $JOB_COMPLETION_INDEX (see
docs/scale-out.md). 'merge' joins the shard files into one file, byte-identical
to the unsharded sweep, and fails when a point is missing or duplicated.

Finished points are journalled in OUT.partial as they complete; after Ctrl-C
or a kill, --resume skips them. The output file itself is only ever written
whole. Progress goes to stderr when it is a terminal.

Examples:
  cardsea sweep scenarios/electricity-price-sweep.yaml --out price.csv
  cardsea sweep scenarios/allreduce-all-presets.yaml --out s0.csv --shard 0/2
  cardsea sweep scenarios/allreduce-all-presets.yaml --out s1.csv --shard 1/2
  cardsea merge s0.csv s1.csv --out all.csv
`

// outputFormat picks the format from --format or the file extension.
func outputFormat(flag, out string, allowed ...report.Format) (report.Format, error) {
	if flag == "" {
		switch strings.ToLower(filepath.Ext(out)) {
		case ".csv":
			return report.FormatCSV, nil
		case ".jsonl", ".ndjson":
			return report.FormatJSONL, nil
		case ".json":
			return report.FormatJSON, nil
		case ".md":
			return report.FormatMarkdown, nil
		case "", ".txt", ".table":
			flag = "table"
		default:
			return "", fmt.Errorf("--out %s: cannot tell the format from %q; name the file .csv, .jsonl, .json, .md or .txt, or give --format", out, filepath.Ext(out))
		}
	}
	return report.ParseFormat(flag, allowed...)
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	name := tmp.Name()
	// CreateTemp makes the file owner-only; results are ordinary files.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", path, errors.Join(werr, cerr))
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

func runCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", runUsage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("check needs one scenario file, e.g. 'cardsea check scenarios/cm384-vs-nvl72-collectives.yaml'")
	}
	s, err := scenario.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := s.CheckPlacements(); err != nil {
		return err
	}
	units, topos := 0, map[string]bool{}
	for _, p := range s.Points {
		for _, t := range p.File.Topologies {
			topos[t.Preset+t.File] = true
		}
		units += s.Units(p.Index)
	}
	fmt.Fprintf(stdout, "%s: ok: %d point(s), %d topology(ies), %d workload(s), %d simulation(s)\n",
		fs.Arg(0), len(s.Points), len(topos), len(s.File.Workloads), units)
	return nil
}

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", runUsage)
	format := fs.String("format", "", "output format: table, markdown, json, csv or jsonl (default: from --out, else table)")
	out := fs.StringP("out", "o", "", "write the result to this file (atomically) instead of stdout")
	jobs := fs.IntP("jobs", "j", runtime.GOMAXPROCS(0), "simulations run in parallel (default: the CPUs this process may use; the output does not depend on it)")
	traceFile := fs.String("trace", "", "write a Chrome/Perfetto trace (JSON) of the last simulation of the run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("run needs one scenario file, e.g. 'cardsea run scenarios/cm384-vs-nvl72-collectives.yaml'")
	}
	if *jobs < 1 {
		return usagef("--jobs must be 1 or more")
	}
	s, err := scenario.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	if *format == "" && *out == "" {
		*format = s.File.Report.Format
	}
	f, err := outputFormat(*format, *out, append(report.DataFormats, report.FormatJSONL)...)
	if err != nil {
		return usagef("run: %v", err)
	}
	sheet, err := runInterruptible(s, *jobs, stderr)
	if err != nil {
		return err
	}
	sheet = s.Select(sheet)
	if f == report.FormatTable || f == report.FormatMarkdown {
		if len(s.Points) == 1 {
			// scenario, point and points say nothing without a sweep
			sheet.Columns = sheet.Columns[3:]
			for i, r := range sheet.Rows {
				sheet.Rows[i] = r[3:]
			}
		}
		sheet.Title = s.File.Name
		if s.File.Description != "" {
			sheet.Title += ": " + s.File.Description
		}
	}
	if *traceFile != "" {
		tr := trace.New()
		if err := s.TraceLast(tr); err != nil {
			return err
		}
		data, err := tr.Marshal()
		if err != nil {
			return err
		}
		if err := writeAtomic(*traceFile, data); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return writeAtomic(*out, buf.Bytes())
}

// progress reports finished work on stderr when it is a terminal.
func progress(stderr io.Writer, what string) func(done, total int) {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	start := time.Now()
	return func(done, total int) {
		el := time.Since(start)
		rate := float64(done) / el.Seconds()
		left := "?"
		if rate > 0 {
			left = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(f, "\r%d/%d %s, %.1f/s, %s left   ", done, total, what, rate, left)
		if done == total {
			fmt.Fprintln(f)
		}
	}
}

func runSweep(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sweep", sweepUsage)
	out := fs.StringP("out", "o", "", "results file: .csv or .jsonl (required)")
	jobs := fs.IntP("jobs", "j", runtime.GOMAXPROCS(0), "simulations run in parallel (default: the CPUs this process may use; the output does not depend on it)")
	shard := fs.String("shard", "", "I/N: run points I, I+N, ... only (I from 0 to N-1)")
	resume := fs.Bool("resume", false, "skip points journalled in OUT.partial by an interrupted run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("sweep needs one scenario file")
	}
	if *out == "" {
		return usagef("sweep needs --out results.csv or results.jsonl")
	}
	f, err := outputFormat("", *out, report.FormatCSV, report.FormatJSONL)
	if err != nil || (f != report.FormatCSV && f != report.FormatJSONL) {
		return usagef("--out %q: a sweep writes .csv or .jsonl", *out)
	}
	if *jobs < 1 {
		return usagef("--jobs must be 1 or more")
	}
	si, sn := 0, 1
	if *shard != "" {
		a, b, ok := strings.Cut(*shard, "/")
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return usagef("--shard %q: want I/N with 0 <= I < N, e.g. 0/4", *shard)
		}
		si, sn = i, n
	}
	s, err := scenario.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	journal := *out + ".partial"
	done := map[int][][]any{}
	if *resume {
		if done, err = readJournal(journal, len(s.Columns())); err != nil {
			return err
		}
	} else if _, err := os.Stat(journal); err == nil {
		return fmt.Errorf("%s exists from an interrupted sweep: add --resume to continue it, or delete it", journal)
	}
	jf, err := os.OpenFile(journal, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cannot write the journal: %w", err)
	}
	defer jf.Close()
	jw := bufio.NewWriter(jf)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sheet, err := s.Run(scenario.Options{
		Jobs: *jobs, Shard: si, Shards: sn,
		Done:     func(p int) bool { _, ok := done[p]; return ok },
		Progress: progress(stderr, "simulations"),
		Stop:     func() bool { return ctx.Err() != nil },
		PointDone: func(p int, rows [][]any) error {
			line, err := json.Marshal(newJournalEntry(p, rows))
			if err != nil {
				return err
			}
			jw.Write(append(line, '\n'))
			return jw.Flush()
		},
	})
	if err != nil {
		if errors.Is(err, scenario.ErrStopped) {
			return fmt.Errorf("interrupted: finished points are in %s; run again with --resume", journal)
		}
		// A journal that holds nothing resumes nothing: leave no file.
		if st, serr := jf.Stat(); serr == nil && st.Size() == 0 {
			jf.Close()
			os.Remove(journal)
		}
		return err
	}
	// Put the journalled points back in order with the new ones.
	for p, rows := range done {
		_ = p
		sheet.Rows = append(sheet.Rows, rows...)
	}
	sortRowsByPoint(sheet.Rows)
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f); err != nil {
		return err
	}
	if err := writeAtomic(*out, buf.Bytes()); err != nil {
		return err
	}
	jf.Close()
	os.Remove(journal)
	return nil
}

type journalEntry struct {
	Point int     `json:"point"`
	Rows  [][]any `json:"rows"`
	// Kinds holds, per row, one letter per field saying the Go type the
	// value had (i int, f float64, anything else as JSON reads it), since
	// JSON writes the float 1.8e10 and the integer 18000000000 alike and a
	// resumed sweep must print each as a fresh one does.
	Kinds []string `json:"kinds,omitempty"`
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

// readJournal reads the points an interrupted sweep finished. JSON turns
// integers into float64; the point column is restored to int so rows sort
// and print as fresh ones do.
func readJournal(path string, ncols int) (map[int][][]any, error) {
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

func sortRowsByPoint(rows [][]any) {
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

func runMerge(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("merge", sweepUsage)
	out := fs.StringP("out", "o", "", "merged results file (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *out == "" {
		return usagef("merge needs shard files and --out, e.g. 'cardsea merge s0.csv s1.csv --out all.csv'")
	}
	jsonl := strings.HasSuffix(*out, ".jsonl")
	var header string
	byPoint := map[int][]string{}
	from := map[int]string{}
	total := -1
	for _, path := range fs.Args() {
		if strings.HasSuffix(path, ".jsonl") != jsonl {
			return usagef("merge %s into %s: shards and output must all be .csv or all .jsonl", path, *out)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		lines := strings.SplitAfter(string(data), "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		start := 0
		if !jsonl {
			if len(lines) == 0 {
				return fmt.Errorf("%s is empty", path)
			}
			if header == "" {
				header = lines[0]
			} else if lines[0] != header {
				return fmt.Errorf("%s has other columns than %s: shards of different sweeps?", path, fs.Arg(0))
			}
			start = 1
		}
		seen := map[int]bool{}
		for i, line := range lines[start:] {
			p, n, err := pointOfRow(header, line, jsonl)
			if err != nil {
				return fmt.Errorf("%s:%d: %v", path, i+start+1, err)
			}
			if total >= 0 && n != total {
				return fmt.Errorf("%s:%d: says %d points, other shards %d: shards of different sweeps?", path, i+start+1, n, total)
			}
			total = n
			if prev, ok := from[p]; ok && !seen[p] {
				return fmt.Errorf("point %d is in both %s and %s", p, prev, path)
			}
			seen[p] = true
			from[p] = path
			byPoint[p] = append(byPoint[p], line)
		}
	}
	var missing []string
	for p := 0; p < total; p++ {
		if _, ok := byPoint[p]; !ok {
			missing = append(missing, strconv.Itoa(p))
		}
	}
	if len(missing) > 0 {
		if len(missing) > 10 {
			missing = append(missing[:10], "...")
		}
		return fmt.Errorf("points missing from the shards: %s (of %d)", strings.Join(missing, ", "), total)
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	for p := 0; p < total; p++ {
		for _, l := range byPoint[p] {
			buf.WriteString(l)
		}
	}
	return writeAtomic(*out, buf.Bytes())
}

// pointOf reads a record's point and points fields.
func pointOf(line string, jsonl bool) (int, int, error) {
	if jsonl {
		var r struct {
			Point  *int `json:"point"`
			Points *int `json:"points"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Point == nil || r.Points == nil {
			return 0, 0, fmt.Errorf("not a sweep record (no point and points fields)")
		}
		return checkPoint(*r.Point, *r.Points)
	}
	rec, err := csv.NewReader(strings.NewReader(line)).Read()
	if err != nil || len(rec) < 3 {
		return 0, 0, fmt.Errorf("not a sweep record")
	}
	p, err1 := strconv.Atoi(rec[1])
	n, err2 := strconv.Atoi(rec[2])
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("not a sweep record (point %q of %q)", rec[1], rec[2])
	}
	return checkPoint(p, n)
}

func checkPoint(p, n int) (int, int, error) {
	if n < 1 || n > scenario.MaxPoints || p < 0 || p >= n {
		return 0, 0, fmt.Errorf("point %d of %d is not a point of a sweep", p, n)
	}
	return p, n, nil
}

// runInterruptible runs every point of s with progress on stderr; Ctrl-C
// stops it with nothing written.
func runInterruptible(s *scenario.Scenario, jobs int, stderr io.Writer) (*report.Sheet, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sheet, err := s.Run(scenario.Options{Jobs: jobs, Progress: progress(stderr, "simulations"),
		Stop: func() bool { return ctx.Err() != nil }})
	if errors.Is(err, scenario.ErrStopped) {
		return nil, errors.New("interrupted; nothing written")
	}
	return sheet, err
}
