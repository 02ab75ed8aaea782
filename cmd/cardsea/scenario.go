package main

import (
	"bytes"
	"context"
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

	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/trace"
)

var runUsage = usageText("run")

var sweepUsage = usageText("sweep")

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
	wide := fs.Bool("wide", false, "tables show every field, however wide; JSON and CSV always do")
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
		sheet.Wide = *wide
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
		if err := writeFile(stderr, *traceFile, data, "trace of the last simulation; open it at ui.perfetto.dev"); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	sheets := []*report.Sheet{sheet}
	if f == report.FormatTable || f == report.FormatMarkdown {
		sheets = present.SplitKinds(sheet) // one table per kind of record
		for _, sh := range sheets {
			present.ScenarioTable(sh, s.Params, len(s.Points))
		}
	}
	for i, sh := range sheets {
		if i > 0 {
			buf.WriteString("\n")
		}
		if err := sh.Write(&buf, f); err != nil {
			return err
		}
	}
	if *out == "" {
		_, err := stdout.Write(buf.Bytes())
		return err
	}
	return writeFile(stderr, *out, buf.Bytes(), fmt.Sprintf("%d records", len(sheet.Rows)))
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

// heartbeat shows, on a terminal only, that a long single run is still
// going: from 3 s on, once a second, what it is, what detail says (where
// the run has got, when detail is not nil and has something to say) and
// the time so far. It returns the function that stops it. Results never
// see the clock.
func heartbeat(stderr io.Writer, what string, detail func() string) (stop func()) {
	f, ok := stderr.(*os.File)
	if !ok {
		return func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan bool)
	go func() {
		start := time.Now()
		shown := false
		width := 0
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				finished <- shown
				return
			case <-t.C:
				if el := time.Since(start); el >= 3*time.Second {
					line := what + ": "
					if detail != nil {
						if d := detail(); d != "" {
							line += d + ", "
						}
					}
					line += el.Round(time.Second).String() + " so far"
					// Pad over what a longer line before left.
					fmt.Fprintf(f, "\r%-*s", width, line)
					width = max(width, len(line))
					shown = true
				}
			}
		}
	}()
	return func() {
		close(done)
		if <-finished {
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	journal := *out + ".partial"
	sheet, err := s.RunJournalled(scenario.Options{
		Jobs: *jobs, Shard: si, Shards: sn,
		Progress: progress(stderr, "simulations"),
		Stop:     func() bool { return ctx.Err() != nil },
	}, journal, *resume)
	if errors.Is(err, scenario.ErrStopped) {
		return fmt.Errorf("interrupted: finished points are in %s; run again with --resume", journal)
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.Write(&buf, f); err != nil {
		return err
	}
	if err := writeFile(stderr, *out, buf.Bytes(), fmt.Sprintf("%d records", len(sheet.Rows))); err != nil {
		return err
	}
	return os.Remove(journal)
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
	for _, path := range fs.Args() {
		if strings.HasSuffix(path, ".jsonl") != jsonl {
			return usagef("merge %s into %s: shards and output must all be .csv or all .jsonl", path, *out)
		}
	}
	data, err := scenario.Merge(fs.Args(), jsonl)
	if err != nil {
		return err
	}
	return writeFile(stderr, *out, data, fmt.Sprintf("%d shards merged", fs.NArg()))
}

// runInterruptible runs every point of s with progress on stderr; Ctrl-C
// stops it with nothing written.
func runInterruptible(s *scenario.Scenario, jobs int, stderr io.Writer) (*report.Sheet, error) {
	sheet, _, err := runInterruptibleRecords(s, jobs, false, stderr)
	return sheet, err
}

// runInterruptibleRecords is runInterruptible keeping each row's typed
// record, with every served request's record when keep is set.
func runInterruptibleRecords(s *scenario.Scenario, jobs int, keep bool, stderr io.Writer) (*report.Sheet, []study.Record, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sheet, recs, err := s.RunRecords(scenario.Options{Jobs: jobs, Progress: progress(stderr, "simulations"),
		Stop: func() bool { return ctx.Err() != nil }, KeepRequests: keep})
	if errors.Is(err, scenario.ErrStopped) {
		return nil, nil, errors.New("interrupted; nothing written")
	}
	return sheet, recs, err
}
