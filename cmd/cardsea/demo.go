package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
)

const demoUsage = `
Usage:
  cardsea demo [--format table|markdown|json|csv]

Runs the built-in default comparison: Huawei CloudMatrix 384, NVIDIA GB200
NVL72 and an NVIDIA HGX H20 box side by side, each as a whole system: devices,
compute, memory, fabric bandwidth and provisioned power, with compute and
memory bandwidth per kW. It grows as collectives, inference and power land.
`

// demoTopologies is the embedded default comparison.
var demoTopologies = []string{"cm384", "gb200-nvl72", "hgx-h20"}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoUsage, stderr)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("demo: %v", err)
	}
	var tops []*topology.Topology
	for _, name := range demoTopologies {
		t, err := topology.Load(name, 0)
		if err != nil {
			return err
		}
		tops = append(tops, t)
	}
	sheet, err := topoSheet(tops)
	if err != nil {
		return err
	}
	sheet.Title = "Supernodes side by side: " + strings.Join(demoTopologies, " vs ")
	if f == report.FormatTable || f == report.FormatMarkdown {
		fmt.Fprintln(stdout, "cardsea demo: the default comparison (see 'cardsea help' for more)")
		fmt.Fprintln(stdout)
	}
	return sheet.Write(stdout, f)
}
