package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
)

var demoUsage = usageText("demo")

// demoTopologies is the embedded default comparison.
var demoTopologies = []string{"cm384", "gb200-nvl72", "hgx-h20"}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", demoUsage)
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
	sheet, err := present.Topologies(tops)
	if err != nil {
		return err
	}
	sheet.Title = "Supernodes side by side: " + strings.Join(demoTopologies, " vs ")
	// The collectives and the serving searches are independent: run them
	// side by side (the output does not depend on the order).
	var coll *report.Sheet
	var collErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		coll, collErr = demoCollectives(tops)
	}()
	inf, err := demoInference(tops)
	<-done
	if collErr != nil {
		return collErr
	}
	if err != nil {
		return err
	}
	if f == report.FormatJSON {
		var a, b strings.Builder
		if err := sheet.Write(&a, f); err != nil {
			return err
		}
		if err := coll.Write(&b, f); err != nil {
			return err
		}
		var c strings.Builder
		if err := inf.Write(&c, f); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "{\n\"systems\": %s,\n\"collectives\": %s,\n\"inference\": %s}\n",
			strings.TrimSpace(a.String()), strings.TrimSpace(b.String()), strings.TrimSpace(c.String()))
		return err
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

// demoCollectives simulates the headline collectives on each whole system.
func demoCollectives(tops []*topology.Topology) (*report.Sheet, error) {
	type job struct {
		op   collective.Op
		size float64
	}
	jobs := []job{{collective.AllReduce, 1 << 30}, {collective.AllToAll, 256 << 20}}
	sheet := &report.Sheet{
		Title: "Collectives on each whole system (one rank per die: an Ascend 910C package is two; algorithm chosen by simulation)",
		Columns: []report.Column{
			{Key: "topology", Header: "Topology"},
			{Key: "op", Header: "Op"},
			{Key: "size_bytes", Header: "Size (B)"},
			{Key: "ranks", Header: "Ranks"},
			{Key: "algorithm", Header: "Algorithm"},
			{Key: "time_s", Header: "Time (us)", Scale: 1e-6, Digits: 0},
			{Key: "busbw_bytes_per_s", Header: "busbw (GB/s)", Scale: 1e9, Digits: 1},
			{Key: "aggregate_busbw_bytes_per_s", Header: "busbw x ranks (TB/s)", Scale: 1e12, Digits: 1},
			{Key: "aggregate_busbw_per_it_w", Header: "busbw x ranks per IT kW (GB/s per kW)", Scale: 1e6, Digits: 0},
		},
		Notes: []string{"busbw per rank, nccl-tests convention; aggregate = busbw x ranks, divided by the provisioned IT power of the whole system."},
	}
	for _, t := range tops {
		b, err := power.ProvisionedBudget(t)
		if err != nil {
			return nil, err
		}
		// Every die is a rank, as CANN and CloudMatrix-Infer use a 910C's
		// two dies (one rank per package would leave half its UB ports idle).
		g, err := collective.NewGroup(network.NewFabric(t), collective.Placement{})
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			r, err := collective.Run(g, j.op, collective.Auto, j.size, collective.Options{}, false)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", t.Name, j.op, err)
			}
			agg := r.BusBW * float64(r.Ranks)
			sheet.Rows = append(sheet.Rows, []any{t.Name, string(j.op), int(j.size), r.Ranks, string(r.Algorithm), r.TimeS, r.BusBW, agg, agg / b.ITW})
		}
	}
	return sheet, nil
}
