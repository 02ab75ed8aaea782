package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
	"github.com/cardsea/cardsea/units"
)

var collectiveUsage = usageText("collective")

type collectiveFlags struct {
	topo, op, algo, proto, sizes, dtype, format, chunk, powerMode string
	trace                                                         string
	rankList                                                      []int
	fail                                                          []string
	minBytes, maxBytes                                            string
	factor                                                        float64
	domains, ranks, jobs, groups                                  int
	perServer, perAccel, links, strided                           bool
	wide                                                          bool
}

// split is how --groups divides the placed ranks (n 0 or 1: one group).
type split struct {
	n       int
	strided bool
}

// groups places the ranks and splits them.
func (sp split) groups(f *network.Fabric, place collective.Placement) ([]*collective.Group, error) {
	g, err := collective.NewGroup(f, place)
	if err != nil {
		return nil, err
	}
	if sp.n <= 1 {
		return []*collective.Group{g}, nil
	}
	return g.Split(sp.n, sp.strided)
}

func runCollective(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("collective", collectiveUsage)
	var c collectiveFlags
	fs.StringVarP(&c.topo, "topo", "t", "", "topology: a preset name or a topology file (required)")
	fs.IntVar(&c.domains, "domains", 0, "scale-up domains joined by the scale-out network (default: the preset's)")
	fs.StringVarP(&c.op, "op", "o", "allreduce", "operation")
	fs.StringVarP(&c.algo, "algo", "a", "auto", "algorithm, or auto")
	fs.StringVar(&c.proto, "proto", "auto", "protocol: ll, simple or auto")
	fs.StringVarP(&c.sizes, "sizes", "s", "", "sizes: MIN:MAX[:xF|:+STEP] or a comma list (default 1KiB:8GiB)")
	fs.StringVarP(&c.minBytes, "minbytes", "b", "", "nccl-tests style smallest size (with -e and -f)")
	fs.StringVarP(&c.maxBytes, "maxbytes", "e", "", "nccl-tests style largest size")
	fs.Float64VarP(&c.factor, "stepfactor", "f", 2, "nccl-tests style size multiplier")
	fs.IntVar(&c.ranks, "ranks", 0, "number of ranks (default: every die)")
	fs.IntSliceVar(&c.rankList, "rank-list", nil, "ranks by die index, e.g. 0,8,16,24")
	fs.BoolVar(&c.perServer, "per-server", false, "one rank per server")
	fs.BoolVar(&c.perAccel, "per-accel", false, "one rank per accelerator package")
	fs.IntVar(&c.groups, "groups", 1, "split the ranks into this many groups that run at once and contend")
	fs.BoolVar(&c.strided, "strided", false, "with --groups: every G-th rank forms a group (data-parallel style) instead of consecutive ranks")
	fs.StringVarP(&c.dtype, "dtype", "d", "bf16", "element type, for the count column (nccl-tests names too: float, half, bfloat16, int8, uint8, f8e4m3, f8e5m2)")
	fs.StringVar(&c.chunk, "chunk-bytes", "4MiB", "pipelining chunk size for ring, tree and nvls")
	fs.StringVar(&c.powerMode, "power-mode", "activity", "energy accounting: activity or provisioned")
	fs.BoolVar(&c.links, "links", false, "also print per-link statistics (table, markdown or json)")
	fs.IntVarP(&c.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "sizes simulated in parallel (output order does not depend on it)")
	fs.StringVar(&c.format, "format", "table", "output format: table, markdown, json or csv")
	fs.StringVar(&c.trace, "trace", "", "write a Chrome/Perfetto trace (JSON) of the last size of the sweep only to this file")
	fs.BoolVar(&c.wide, "wide", false, "tables show every field (wire bytes, link use, facility energy, peak power); JSON and CSV always do")
	fs.StringArrayVar(&c.fail, "fail", nil, "fail an element (repeatable): switch:NAME, plane:N, link:A-B, accel:N, degrade:A-B=F; runs with and without")
	if err := ncclTestsShorthand(args); err != nil {
		return err
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("collective takes flags only, got %q (did you mean --topo %s?)", fs.Args(), fs.Arg(0))
	}
	if c.topo == "" {
		return usagef("collective needs --topo, e.g. --topo gb200-nvl72 (see 'cardsea topo list')")
	}
	f, err := report.ParseFormat(c.format, report.DataFormats...)
	if err != nil {
		return usagef("collective: %v", err)
	}
	if c.links && f == report.FormatCSV {
		return usagef("--links needs --format table, markdown or json (CSV holds one kind of record)")
	}
	op, err := collective.ParseOp(c.op)
	if err != nil {
		return usagef("--op: %v", err)
	}
	if op == collective.MoEDispatch || op == collective.MoECombine {
		return usagef("--op %s needs a token workload; it runs through 'cardsea infer' (coming with inference)", op)
	}
	algo, err := collective.ParseAlgorithm(c.algo)
	if err != nil {
		return usagef("--algo: %v", err)
	}
	proto, err := collective.ParseProtocol(c.proto)
	if err != nil {
		return usagef("--proto: %v", err)
	}
	mode, err := power.ParseMode(c.powerMode)
	if err != nil {
		return usagef("--power-mode: %v", err)
	}
	dt, err := topology.ParseDtype(ncclTestsDtype(c.dtype))
	if err != nil {
		return usagef("--dtype: %v", err)
	}
	sizes, err := c.sizeList()
	if err != nil {
		return usagef("%v", err)
	}
	chunk, err := units.ParseSize(c.chunk)
	if err != nil || chunk <= 0 {
		return usagef("--chunk-bytes %q: want a size above 0 such as 4MiB", c.chunk)
	}
	if c.domains < 0 || c.ranks < 0 || c.jobs < 1 || c.groups < 1 {
		return usagef("--domains and --ranks must be 0 or more, --jobs and --groups 1 or more")
	}
	if c.strided && c.groups < 2 {
		return usagef("--strided says how --groups splits the ranks; give --groups 2 or more")
	}
	if c.perServer && c.perAccel {
		return usagef("--per-server and --per-accel exclude each other")
	}
	top, err := topology.Load(c.topo, c.domains)
	if err != nil {
		return err
	}
	healthy, top, err := applyFaults(top, c.fail)
	if err != nil {
		return err
	}
	place := collective.Placement{Ranks: c.ranks, PerServer: c.perServer, PerAccel: c.perAccel, List: c.rankList}
	sp := split{n: c.groups, strided: c.strided}
	// Check the groups and the algorithm once, up front, for a clear error.
	gs, err := sp.groups(network.NewFabric(top), place)
	if err != nil {
		return usagef("%v", err)
	}
	g := gs[0]
	if algo != collective.Auto {
		if _, err := collective.Compile(g, op, algo, float64(sizes[0]), collective.Options{Chunks: 1, Protocol: proto}); err != nil {
			return usagef("%v", err)
		}
	}
	opts := collective.Options{ChunkBytes: float64(chunk), Protocol: proto}
	results, conc, err := sweep(top, place, sp, op, algo, sizes, opts, c.links, c.jobs)
	if err != nil {
		return err
	}
	var before []collective.Result
	if healthy != top {
		if before, _, err = sweep(healthy, place, sp, op, algo, sizes, opts, false, c.jobs); err != nil {
			return fmt.Errorf("without the faults: %w", err)
		}
	}
	if c.trace != "" {
		last := []collective.Result{results[len(results)-1]}
		if conc != nil {
			last = conc[len(conc)-1].Together
		}
		if err := writeCollectiveTrace(c.trace, top, place, sp, op, last, opts); err != nil {
			return err
		}
	}
	return present.WriteCollective(stdout, f, present.CollectiveRun{Top: top, Op: op, Dtype: dt, Mode: mode, Results: results,
		Healthy: before, Concurrent: conc, Groups: sp.n, Strided: sp.strided, Links: c.links, Wide: c.wide})
}

// applyFaults parses --fail specs and returns the topology without and
// with them (the same topology twice when there are none).
func applyFaults(top *topology.Topology, specs []string) (healthy, faulty *topology.Topology, err error) {
	if len(specs) == 0 {
		return top, top, nil
	}
	fs, err := topology.ParseFaults(specs)
	if err != nil {
		return nil, nil, usagef("--fail: %v", err)
	}
	ft, err := top.WithFaults(fs)
	if err != nil {
		return nil, nil, usagef("--fail on %s: %v", top.Name, err)
	}
	return top, ft, nil
}

// writeCollectiveTrace runs the operation of res (one result per group)
// again, each group with the algorithm and protocol its result reports,
// recording it, and writes its trace to path atomically.
func writeCollectiveTrace(path string, top *topology.Topology, place collective.Placement, sp split, op collective.Op, res []collective.Result, opts collective.Options) error {
	gs, err := sp.groups(network.NewFabric(top), place)
	if err != nil {
		return err
	}
	var jobs []collective.Job
	for i, g := range gs {
		o := opts
		o.Protocol = res[i].Protocol
		jobs = append(jobs, collective.Job{Group: g, Op: op, Algorithm: res[i].Algorithm, Bytes: res[i].SizeBytes, Options: o})
	}
	var rec collective.Recording
	if _, err := collective.RunJobsTraced(gs[0].Fabric, jobs, false, &rec); err != nil {
		return err
	}
	t := trace.New()
	rec.AddTo(t)
	data, err := t.Marshal()
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

func (c *collectiveFlags) sizeList() ([]int64, error) {
	if c.sizes != "" && (c.minBytes != "" || c.maxBytes != "") {
		return nil, fmt.Errorf("give --sizes or -b/-e, not both")
	}
	if c.minBytes != "" || c.maxBytes != "" {
		lo, hi := c.minBytes, c.maxBytes
		if lo == "" {
			lo = hi
		}
		if hi == "" {
			hi = lo
		}
		min, err := units.ParseSize(lo)
		if err != nil {
			return nil, fmt.Errorf("-b: %v", err)
		}
		max, err := units.ParseSize(hi)
		if err != nil {
			return nil, fmt.Errorf("-e: %v", err)
		}
		return units.SizeSteps(min, max, c.factor, 0)
	}
	s := c.sizes
	if s == "" {
		s = "1KiB:8GiB"
	}
	return units.ParseSizes(s)
}

// sweep simulates every size on jobs workers, each with its own fabric;
// results come back in size order whatever the number of workers. With
// groups (sp.n > 1) each size runs them all at once: the result is the
// slowest group's, and conc holds every group's, together and alone.
func sweep(top *topology.Topology, place collective.Placement, sp split, op collective.Op, algo collective.Algorithm,
	sizes []int64, opts collective.Options, links bool, jobs int) (results []collective.Result, conc []collective.Concurrent, err error) {
	type worker struct {
		gs  []*collective.Group
		err error
	}
	newWorker := func() *worker {
		gs, err := sp.groups(network.NewFabric(top), place)
		return &worker{gs, err}
	}
	type out struct {
		r collective.Result
		c collective.Concurrent
	}
	outs, errs, _ := study.Map(study.Runner{Jobs: jobs}, len(sizes), newWorker, func(w *worker, i int) (out, error) {
		if w.err != nil {
			return out{}, w.err
		}
		if sp.n <= 1 {
			r, err := collective.Run(w.gs[0], op, algo, float64(sizes[i]), opts, links)
			return out{r: r}, err
		}
		c, err := collective.RunGroups(w.gs, op, algo, float64(sizes[i]), opts, links)
		if err != nil {
			return out{}, err
		}
		return out{r: c.Together[c.Slowest], c: c}, nil
	})
	results = make([]collective.Result, len(sizes))
	if sp.n > 1 {
		conc = make([]collective.Concurrent, len(sizes))
	}
	for i, o := range outs {
		results[i] = o.r
		if conc != nil {
			conc[i] = o.c
		}
	}
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("size %s: %w", units.FormatBytesBinary(float64(sizes[i])), err)
		}
	}
	return results, conc, nil
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
