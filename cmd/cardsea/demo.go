package main

import (
	_ "embed"
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/topology"
)

var demoUsage = usageText("demo")

// demoScenario is the embedded default comparison: a scenario file like
// any other ('cardsea demo --scenario' prints it).
//
//go:embed demo.yaml
var demoScenario []byte

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoUsage)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	show := fs.Bool("scenario", false, "print the demo's scenario file (to copy, edit and 'cardsea run') instead of running it")
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
	if *show {
		_, err := stdout.Write(demoScenario)
		return err
	}
	sc, err := scenario.Parse("demo.yaml", demoScenario)
	if err != nil {
		return err
	}
	records, err := sc.Run(scenario.Options{Progress: progress(stderr, "simulations")})
	if err != nil {
		return err
	}
	var tops []*topology.Topology
	var names []string
	itW := map[string]float64{}
	for _, p := range sc.Points {
		t, err := topology.Load(p.File.Topologies[0].Preset, 0)
		if err != nil {
			return err
		}
		b, err := power.ProvisionedBudget(t)
		if err != nil {
			return err
		}
		tops, names, itW[t.Name] = append(tops, t), append(names, t.Name), b.ITW
	}
	sheet, err := present.Topologies(tops)
	if err != nil {
		return err
	}
	sheet.Title = "Supernodes side by side: " + strings.Join(names, " vs ")
	coll, inf := present.DemoCollectives(records, itW), present.DemoInference(records)
	if f == report.FormatJSON {
		return report.WriteJSONSections(stdout, report.Section{Name: "systems", Sheet: sheet},
			report.Section{Name: "collectives", Sheet: coll}, report.Section{Name: "inference", Sheet: inf})
	}
	if f == report.FormatCSV {
		return inf.Write(stdout, f)
	}
	fmt.Fprintln(stdout, "cardsea demo: the default comparison (see 'cardsea help' for more)")
	fmt.Fprintln(stdout)
	if err := sheet.Write(stdout, f); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := coll.Write(stdout, f); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return inf.Write(stdout, f)
}
