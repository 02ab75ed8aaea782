package main

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
)

var compareUsage = usageText("compare")

type compareFlags struct {
	domains, ranks, jobs                      int
	op, size, algo, proto, workload, baseline string
	format                                    string
	perAccel, perServer, perAccelSet          bool
}

// compareTopo is one topology of the comparison.
type compareTopo = present.System

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", compareUsage)
	var c compareFlags
	fs.StringVar(&c.baseline, "baseline", "", "the topology the ratio columns divide by (default: the first)")
	fs.IntVarP(&c.domains, "domains", "n", 0, "scale-up domains of every topology, joined by its scale-out network (default: the preset's)")
	scaleOut := scaleOutFlag(fs)
	fs.StringVarP(&c.op, "op", "o", "allreduce", "collective operation")
	fs.StringVarP(&c.size, "size", "s", "1GiB", "size, or sizes: 1GiB, 16MiB,1GiB or MIN:MAX[:xF]")
	fs.StringVarP(&c.algo, "algo", "a", "auto", "algorithm, or auto")
	fs.StringVar(&c.proto, "proto", "auto", "protocol: ll, simple or auto")
	fs.BoolVar(&c.perAccel, "per-accel", false, "one rank per accelerator package instead of one per die (a 910C's two dies are two ranks, as CANN uses them)")
	fs.BoolVar(&c.perServer, "per-server", false, "one rank per server")
	fs.IntVarP(&c.ranks, "ranks", "r", 0, "number of ranks (default: all)")
	fs.StringVarP(&c.workload, "workload", "w", "", "scenario file whose workloads (and power settings) to run")
	fs.IntVarP(&c.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "simulations run in parallel (the output does not depend on it)")
	fs.StringVarP(&c.format, "format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c.perAccelSet = fs.Changed("per-accel")
	if fs.NArg() == 0 {
		return usagef("compare needs topology names or files, e.g. 'cardsea compare cm384 gb200-nvl72 hgx-h20' (see 'cardsea topo list')")
	}
	f, err := report.ParseFormat(c.format, report.DataFormats...)
	if err != nil {
		return usagef("compare: %v", err)
	}
	if c.domains < 0 || c.ranks < 0 || c.jobs < 1 {
		return usagef("--domains and --ranks must be 0 or more and --jobs 1 or more")
	}
	if c.workload != "" {
		for _, name := range []string{"op", "size", "algo", "proto", "per-accel", "per-server", "ranks"} {
			if fs.Changed(name) {
				return usagef("--%s and --workload exclude each other: the workload file says what to run", name)
			}
		}
	}

	// Labels and the baseline, before anything is built.
	var topos []*compareTopo
	seen := map[string]bool{}
	var labels []string
	for _, name := range fs.Args() {
		l := compareLabel(name)
		if seen[l] {
			return usagef("topology %q is given twice", l)
		}
		seen[l] = true
		labels = append(labels, l)
		topos = append(topos, &compareTopo{Name: name, Label: l})
	}
	base := 0
	if c.baseline != "" {
		base = -1
		for i, t := range topos {
			if c.baseline == t.Label || c.baseline == t.Name {
				base = i
			}
		}
		if base < 0 {
			msg := fmt.Sprintf("--baseline %q is not among the topologies compared (%s)", c.baseline, strings.Join(labels, ", "))
			if s := strictyaml.Nearest(c.baseline, labels); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return usagef("%s", msg)
		}
	}

	workloads, pw, wpath, err := c.workloads()
	if err != nil {
		return err
	}
	for _, t := range topos {
		if t.Top, err = loadTopology(t.Name, c.domains, *scaleOut); err != nil {
			return err
		}
		t.Sum = topology.Summarize(t.Top)
		if t.Budget, err = power.ProvisionedBudget(t.Top); err != nil {
			return err
		}
	}

	sc, err := compareScenario(topos, c.domains, workloads, pw, wpath)
	if err != nil {
		return err
	}
	recs, err := sc.Study().Records(study.Options{Jobs: c.jobs})
	if err != nil {
		return err
	}
	sheet, hidden, err := present.Compare(topos, base, sc, recs)
	if err != nil {
		return err
	}
	if f == report.FormatTable || f == report.FormatMarkdown {
		sheet = present.CompareTable(sheet, hidden, len(topos))
	}
	return sheet.Write(stdout, f)
}

// compareLabel names a topology in the comparison: a preset's name, or a
// topology file's base name without the extension.
func compareLabel(name string) string {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	return name
}

// workloads returns the workloads to run, the power settings and the
// scenario path that names them in messages: from --workload, or built
// from the flags.
func (c *compareFlags) workloads() ([]scenario.Workload, scenario.PowerSettings, string, error) {
	if c.workload != "" {
		wf, err := scenario.LoadWorkloads(c.workload)
		if err != nil {
			return nil, scenario.PowerSettings{}, "", err
		}
		return wf.Workloads, wf.Power, c.workload, nil
	}
	perAccel := c.perAccel
	if c.perServer {
		if perAccel && c.perAccelSet {
			return nil, scenario.PowerSettings{}, "", usagef("--per-server and --per-accel exclude each other")
		}
		perAccel = false
	}
	spec := study.CollectiveSpec{Op: c.op, Sizes: c.size, Algorithm: c.algo, Protocol: c.proto,
		Ranks: c.ranks, PerAccel: perAccel, PerServer: c.perServer}
	job, err := spec.Compile()
	if err != nil {
		// compare's flags: --size for sizes; the rest as collective's.
		name := flagNamer(&spec)
		return nil, scenario.PowerSettings{}, "", &usageError{msg: field.Rename(err, func(k string) string {
			if k == "sizes" {
				return "--size"
			}
			return name(k)
		}).Error()}
	}
	w := scenario.Workload{Name: string(job.Op), Collective: &spec}
	return []scenario.Workload{w}, scenario.PowerSettings{}, "compare", nil
}

// compareScenario builds the scenario the comparison runs: the command's
// topologies and the workloads, checked as strictly as a file on disk
// (scenario.FromFile, no YAML round trip).
func compareScenario(topos []*compareTopo, domains int, workloads []scenario.Workload, pw scenario.PowerSettings, path string) (*scenario.Scenario, error) {
	f := scenario.File{Name: "compare", Workloads: workloads, Power: pw}
	for _, t := range topos {
		ref := scenario.TopologyRef{Label: t.Label, Domains: domains}
		if compareLabel(t.Name) != t.Name {
			abs, err := filepath.Abs(t.Name)
			if err != nil {
				return nil, err
			}
			ref.File = abs
		} else {
			ref.Preset = t.Name
		}
		f.Topologies = append(f.Topologies, ref)
	}
	label := path
	if path != "compare" {
		label = path + " (its workloads, on the compared topologies)"
	}
	return scenario.FromFile(label, filepath.Dir(path), &f)
}
