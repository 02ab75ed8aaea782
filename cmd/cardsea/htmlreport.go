package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/scenario"
)

var reportUsage = usageText("report")

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", reportUsage)
	out := fs.StringP("out", "o", "", "write the page to this .html file (atomically) instead of stdout")
	jobs := fs.IntP("jobs", "j", runtime.GOMAXPROCS(0), "simulations run in parallel (the output does not depend on it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("report needs one scenario file, e.g. 'cardsea report scenarios/cm384-vs-nvl72-collectives.yaml -o report.html'")
	}
	if *jobs < 1 {
		return usagef("--jobs must be 1 or more")
	}
	if *out != "" {
		if ext := strings.ToLower(filepath.Ext(*out)); ext != ".html" && ext != ".htm" {
			return usagef("report: unknown output extension %q in %q; want .html", ext, *out)
		}
	}
	s, err := scenario.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	sheet, recs, err := runInterruptibleRecords(s, *jobs, true, stderr)
	if err != nil {
		return err
	}
	page, err := present.HTMLReport(s, sheet, recs, version)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(page)
		return err
	}
	return writeFile(stderr, *out, page, fmt.Sprintf("HTML report of %d records", len(sheet.Rows)))
}
