package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
	"github.com/cardsea/cardsea/units"
)

var collectiveUsage = usageText("collective")

// collectiveFlags are collective's flags beyond the spec's.
type collectiveFlags struct {
	topo, dtype, format, powerMode, trace string
	fail                                  []string
	minBytes, maxBytes                    string
	factor                                float64
	domains, jobs                         int
	links, wide                           bool
}

func runCollective(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("collective", collectiveUsage)
	var c collectiveFlags
	var spec study.CollectiveSpec
	fs.StringVarP(&c.topo, "topo", "t", "", "topology: a preset name or a topology file (required)")
	fs.IntVar(&c.domains, "domains", 0, "scale-up domains joined by the scale-out network (default: the preset's)")
	scaleOut := scaleOutFlag(fs)
	bindSpec(fs, &spec, study.CollectiveDefaults)
	fs.StringVarP(&c.minBytes, "minbytes", "b", "", "nccl-tests style smallest size (with -e and -f)")
	fs.StringVarP(&c.maxBytes, "maxbytes", "e", "", "nccl-tests style largest size")
	fs.Float64VarP(&c.factor, "stepfactor", "f", 2, "nccl-tests style size multiplier")
	fs.StringVarP(&c.dtype, "dtype", "d", "bf16", "element type, for the count column (nccl-tests names too: float, half, bfloat16, int8, uint8, f8e4m3, f8e5m2)")
	fs.StringVar(&c.powerMode, "power-mode", "activity", "energy accounting: activity or provisioned")
	fs.BoolVar(&c.links, "links", false, "also print per-link statistics (table, markdown or json)")
	fs.IntVarP(&c.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "sizes simulated in parallel (output order does not depend on it)")
	fs.StringVar(&c.format, "format", "table", "output format: table, markdown, json, csv, or nccl-tests (the *_perf binaries' text, to read or parse alike)")
	fs.StringVar(&c.trace, "trace", "", "write a Chrome/Perfetto trace (JSON) of the last size of the sweep only to this file")
	fs.BoolVar(&c.wide, "wide", false, "tables show every field (wire bytes, link use, facility energy, peak power); JSON and CSV always do")
	fs.StringArrayVar(&c.fail, "fail", nil, "fail an element (repeatable): switch:NAME, plane:N, link:A-B, accel:N, degrade:A-B=F; runs with and without")
	if err := ncclTestsShorthand(args); err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := givenZero(fs, &spec); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("collective takes flags only, got %q (did you mean --topo %s?)", fs.Args(), fs.Arg(0))
	}
	if c.topo == "" {
		return usagef("collective needs --topo, e.g. --topo gb200-nvl72 (see 'cardsea topo list')")
	}
	ncclTests := c.format == "nccl-tests"
	if ncclTests {
		c.format = string(report.FormatTable)
	}
	f, err := report.ParseFormat(c.format, report.DataFormats...)
	if err != nil {
		return usagef("collective: %v (or nccl-tests)", err)
	}
	if c.links && f == report.FormatCSV {
		return usagef("--links needs --format table, markdown or json (CSV holds one kind of record)")
	}
	mode, err := power.ParseMode(c.powerMode)
	if err != nil {
		return usagef("--power-mode: %v", err)
	}
	dt, err := topology.ParseDtype(ncclTestsDtype(c.dtype))
	if err != nil {
		return usagef("--dtype: %v", err)
	}
	if c.domains < 0 || c.jobs < 1 {
		return usagef("--domains must be 0 or more, --jobs 1 or more")
	}
	if spec.Sizes, err = c.sizeSpec(spec.Sizes); err != nil {
		return usagef("%v", err)
	}
	job, err := spec.Compile()
	if err != nil {
		return flagError(err, &spec)
	}
	top, err := loadTopology(c.topo, c.domains, *scaleOut)
	if err != nil {
		return err
	}
	healthy, top, err := applyFaults(top, c.fail)
	if err != nil {
		return err
	}
	// Check the groups and the algorithm once, up front, for a clear error.
	gs, err := job.Place(job.Fabric(top))
	if err != nil {
		return usageOf(err, &spec)
	}
	if job.Algorithm != collective.Auto {
		if _, err := collective.Compile(gs[0], job.Op, job.Algorithm, float64(job.Sizes[0]), collective.Options{Chunks: 1, Protocol: job.Options.Protocol, MaxMemory: job.Options.MaxMemory}); err != nil {
			return usageOf(err, &spec)
		}
	}
	var stop func()
	if len(job.Sizes) == 1 {
		pr := &collective.Progress{}
		job.Options.Progress = pr
		stop = heartbeat(stderr, fmt.Sprintf("%s %s over %d ranks", units.FormatBytesBinary(float64(job.Sizes[0])), job.Op, gs[0].Size()*max(1, len(gs))), pr.String)
	}
	var count func(done, total int) // sizes done, when there are several
	if stop == nil {
		count = progress(stderr, "sizes simulated")
	}
	results, conc, err := job.Sweep(top, c.links, c.jobs, count)
	if stop != nil {
		stop()
	}
	if err != nil {
		return flagError(err, &spec)
	}
	var before []collective.Result
	if healthy != top {
		if before, _, err = job.Sweep(healthy, false, c.jobs, progress(stderr, "sizes simulated without the faults")); err != nil {
			return fmt.Errorf("without the faults: %w", err)
		}
	}
	if c.trace != "" {
		last := []collective.Result{results[len(results)-1]}
		if conc != nil {
			last = conc[len(conc)-1].Together
		}
		rec, err := job.Record(top, last)
		if err != nil {
			return err
		}
		t := trace.New()
		rec.AddTo(t)
		data, err := t.Marshal()
		if err != nil {
			return err
		}
		if err := writeFile(stderr, c.trace, data, "trace of the last size; open it at ui.perfetto.dev"); err != nil {
			return err
		}
	}
	run := present.CollectiveRun{Top: top, Op: job.Op, Dtype: dt, Mode: mode, Results: results,
		Healthy: before, Concurrent: conc, Groups: job.Groups, Strided: job.Strided, Links: c.links, Wide: c.wide}
	if ncclTests {
		return present.WriteNCCLTests(stdout, run)
	}
	return present.WriteCollective(stdout, f, run)
}

// applyFaults is study.WithFaults with --fail named.
func applyFaults(top *topology.Topology, specs []string) (healthy, faulty *topology.Topology, err error) {
	healthy, faulty, err = study.WithFaults(top, specs)
	if err != nil {
		err = usagef("--fail: %v", err)
	}
	return healthy, faulty, err
}

// sizeSpec is the sizes to run: --sizes, or nccl-tests' -b/-e/-f as one
// MIN:MAX:xF sweep.
func (c *collectiveFlags) sizeSpec(sizes string) (string, error) {
	if c.minBytes == "" && c.maxBytes == "" {
		return sizes, nil
	}
	if sizes != "" {
		return "", fmt.Errorf("give --sizes or -b/-e, not both")
	}
	lo, hi := c.minBytes, c.maxBytes
	if lo == "" {
		lo = hi
	}
	if hi == "" {
		hi = lo
	}
	for _, v := range []struct{ flag, s string }{{"-b", lo}, {"-e", hi}} {
		if _, err := units.ParseSize(v.s); err != nil {
			return "", fmt.Errorf("%s: %v", v.flag, err)
		}
	}
	return fmt.Sprintf("%s:%s:x%s", lo, hi, strconv.FormatFloat(c.factor, 'g', -1, 64)), nil
}

// ncclTestsShorthands are nccl-tests' one-letter flags that cardsea's
// collective does not share, with what to write instead: typed from
// muscle memory, "-n 20" (iterations there) must not run 20 domains here.
var ncclTestsShorthands = map[string]string{
	"-n": "-n is nccl-tests' iteration count; a simulated run is exact, so one is enough (scale-up domains are --domains N)",
	"-w": "-w is nccl-tests' warm-up count; a simulated run needs none",
	"-g": "-g is nccl-tests' GPUs per thread; ranks are --ranks N, --per-server or --per-accel (concurrent groups are --groups G)",
	"-r": "-r is nccl-tests' root rank; the number of ranks is --ranks N",
	"-i": "-i is nccl-tests' size increment; write --sizes MIN:MAX:+STEP",
	"-c": "-c is nccl-tests' correctness check; a simulation moves no data to check",
	"-z": "-z is nccl-tests' blocking mode; not simulated",
	"-p": "-p is nccl-tests' parallel init; not simulated",
	"-C": "-C is nccl-tests' CPU-time report; not simulated",
	"-G": "-G is nccl-tests' CUDA-graph launches; not simulated",
}

// ncclTestsShorthand refuses nccl-tests flags that mean something else
// (or nothing) here, before they parse as a shorthand of ours.
func ncclTestsShorthand(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if len(a) >= 2 && a[0] == '-' && a[1] != '-' {
			if why, ok := ncclTestsShorthands[a[:2]]; ok {
				return usagef("%s", why)
			}
		}
	}
	return nil
}

// ncclTestsDtype maps nccl-tests' -d type names to cardsea's (the count
// column needs only the element size); other names pass through.
func ncclTestsDtype(s string) string {
	switch strings.ToLower(s) {
	case "float", "float32":
		return "fp32"
	case "half", "float16":
		return "fp16"
	case "bfloat16":
		return "bf16"
	case "uint8":
		return "int8"
	case "f8e4m3", "f8e5m2", "fp8e4m3", "fp8e5m2":
		return "fp8"
	}
	return s
}
