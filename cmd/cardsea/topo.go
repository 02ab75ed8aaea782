package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
	"github.com/spf13/pflag"
)

var topoUsage = usageText("topo")

func runTopo(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, strings.TrimLeft(topoUsage, "\n"))
		} else {
			fmt.Fprint(stdout, strings.TrimLeft(topoUsage, "\n"))
		}
		if len(args) == 0 {
			return usagef("topo needs a subcommand: list or show")
		}
		return nil
	}
	switch args[0] {
	case "list":
		return runTopoList(args[1:], stdout, stderr)
	case "show":
		return runTopoShow(args[1:], stdout, stderr)
	}
	return usagef("topo: unknown subcommand %q (want list or show)", args[0])
}

func runTopoList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("topo list", topoUsage)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("topo list takes no arguments, got %q", fs.Args())
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("topo list: %v", err)
	}
	sheet := &report.Sheet{Columns: []report.Column{
		{Key: "name", Header: "Name"},
		{Key: "title", Header: "System"},
		{Key: "accelerators", Header: "Accelerators"},
		{Key: "peak_flops_bf16", Header: "BF16 dense (PFLOP/s)", Scale: 1e15, Digits: 1},
		{Key: "hbm_bytes", Header: "HBM (TB)", Scale: 1e12, Digits: 1},
		{Key: "scale_up_bytes_per_s_per_accel", Header: "Scale-up per accel (GB/s, per dir)", Scale: 1e9, Digits: 0},
		{Key: "it_power_w", Header: "IT power (kW)", Scale: 1e3, Digits: 1},
	}}
	for _, p := range topology.Presets() {
		t, err := topology.Load(p.Name, 0)
		if err != nil {
			return err
		}
		s := topology.Summarize(t)
		b, err := power.ProvisionedBudget(t)
		if err != nil {
			return err
		}
		sheet.Rows = append(sheet.Rows, []any{p.Name, p.Title, s.Accelerators, s.PeakFLOPS[topology.BF16], s.HBMBytes, s.ScaleUpBytesPerSPerAccel, b.ITW})
	}
	return sheet.Write(stdout, f)
}

func runTopoShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("topo show", topoUsage)
	domains := fs.IntP("domains", "n", 0, "number of scale-up domains joined by the scale-out network (default: the preset's, usually 1)")
	scaleOut := scaleOutFlag(fs)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json, csv or dot")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("topo show needs a topology name or file, e.g. 'cardsea topo show cm384' (see 'cardsea topo list')")
	}
	if *domains < 0 {
		return usagef("--domains is %d; want 1 or more", *domains)
	}
	allowed := append(append([]report.Format{}, report.DataFormats...), "dot")
	f, err := report.ParseFormat(*format, allowed...)
	if err != nil {
		return usagef("topo show: %v", err)
	}
	if f == "dot" && fs.NArg() > 1 {
		return usagef("--format dot draws one topology; got %d", fs.NArg())
	}
	var tops []*topology.Topology
	for _, name := range fs.Args() {
		t, err := loadTopology(name, *domains, *scaleOut)
		if err != nil {
			return err
		}
		tops = append(tops, t)
	}
	if f == "dot" {
		return writeDOT(stdout, tops[0])
	}
	sheet, err := present.Topologies(tops)
	if err != nil {
		return err
	}
	// Which accelerators are timed by fits to measured kernels, and from
	// which tables (infer.KernelTables), and which keep the roofline.
	sheet.Columns = append(sheet.Columns, report.Column{Key: "compute_kernels", Header: "Compute kernels"})
	for i, t := range tops {
		label := "-"
		if len(t.Accels) > 0 {
			label = kernelsLabel(t.Accels[0].Spec.Name)
		}
		sheet.Rows[i] = append(sheet.Rows[i], label)
	}
	sheet.Notes = append(sheet.Notes, kernelsNote)
	return sheet.Write(stdout, f)
}

// scaleOutFlag adds --scale-out to fs: the transport the scale-out network
// runs on.
func scaleOutFlag(fs *pflag.FlagSet) *string {
	return fs.String("scale-out", "", "run the scale-out network on infiniband or roce (default: the preset's; RoCE frames carry 56 more header bytes per 4 KiB payload than InfiniBand's, 1.3% less of the line rate)")
}

// loadTopology loads a preset or file with domains and, unless "", the
// scale-out transport.
func loadTopology(name string, domains int, transport string) (*topology.Topology, error) {
	return topology.LoadOpts(name, topology.LoadOptions{Domains: domains, Transport: transport})
}
