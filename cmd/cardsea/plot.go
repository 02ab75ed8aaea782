package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cardsea/cardsea/chart"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
)

var plotUsage = usageText("plot")

func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plot", plotUsage)
	x := fs.String("x", "", "column for the horizontal axis (required)")
	y := fs.String("y", "", "column for the vertical axis (required)")
	series := fs.StringSlice("series", nil, "column(s) whose values name the lines (comma-separated for several)")
	logx := fs.Bool("logx", false, "logarithmic horizontal axis")
	logy := fs.Bool("logy", false, "logarithmic vertical axis")
	points := fs.Bool("points", false, "draw points only, no lines (a scatter plot, e.g. throughput against power)")
	bars := fs.Bool("bars", false, "draw --x as categories and a bar per --series value at each (automatic when --x holds names, e.g. topology)")
	cdf := fs.Bool("cdf", false, "the distribution of --x instead of --y against it: the share of records at or below each value, a line per --series (e.g. TTFT from 'cardsea serve --requests-out')")
	title := fs.String("title", "", "title above the chart")
	out := fs.StringP("out", "o", "", "image file to write: .svg or .png (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("plot needs one results file, e.g. 'cardsea plot results.csv --x size_bytes --y busbw_bytes_per_s -o busbw.svg'")
	}
	switch {
	case *cdf && *y != "":
		return usagef("plot --cdf draws the share of records against --x; drop --y")
	case *cdf:
		*y = chart.ShareColumn
	case *x == "" || *y == "":
		return usagef("plot needs --x and --y, e.g. '--x size_bytes --y busbw_bytes_per_s' (or --x and --cdf for a distribution)")
	}
	if *x == "" {
		return usagef("plot --cdf needs --x, the column whose distribution to draw, e.g. --x ttft_s")
	}
	if *out == "" {
		return usagef("plot needs -o chart.svg or -o chart.png")
	}
	format, err := chart.FormatOf(*out)
	if err != nil {
		return usagef("plot: %v", err)
	}
	raw, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("cannot read results: %w", err)
	}
	d, err := chart.Read(fs.Arg(0), raw)
	if err != nil {
		return err
	}
	d.Hints = knownColumns()
	for _, c := range d.Columns {
		if _, ok := d.Hints[c]; !ok {
			if h := present.ParamHeader(c); h != c {
				d.Hints[c] = report.Column{Key: c, Header: h} // a swept field by its name
			}
		}
	}
	if *cdf {
		if d, err = d.CDF(*x, *series); err != nil {
			return err
		}
	}
	spec := chart.Spec{Title: *title, X: *x, Y: *y, Series: *series, LogX: *logx, LogY: *logy, Points: *points, Bars: *bars}
	if !*cdf && d.Text(*x) {
		// Names on X (topologies, algorithms) are a comparison: bars, or
		// points by category with --points; a log X axis has no meaning.
		if *logx {
			return usagef("plot: --x %s holds names, not numbers; drop --logx", *x)
		}
		spec.CategoricalX, spec.Bars = true, !*points
	}
	if spec.Bars && (*logx || *cdf) {
		return usagef("plot --bars draws --x as categories; drop --logx and --cdf")
	}
	img, err := chart.Render(d, spec, format)
	if err != nil {
		return err
	}
	return writeFile(stderr, *out, img, "chart")
}

// knownColumns describes the result columns whose names carry no unit
// suffix (peak_link_util, busbw_per_kw): their headers and scales.
func knownColumns() map[string]report.Column {
	m := map[string]report.Column{}
	for _, c := range study.All().Columns() {
		m[strings.ReplaceAll(c.Key, ".", "_")] = c
	}
	return m
}
