package fidelity

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/validation"
)

// NCCLPresets maps each system of the nccl-tests sweeps to the preset
// that models it. The GB200 points were measured on one compute tray (one
// process driving 2 or 4 GPUs); the first N GPUs of gb200-nvl72 are that
// tray's.
var NCCLPresets = map[string]string{
	"h100_sxm": "hgx-h100",
	"h200_sxm": "hgx-h200",
	"b200_sxm": "hgx-b200",
	"gb200":    "gb200-nvl72",
}

// ncclOps maps nccl-tests' operation names to cardsea's.
var ncclOps = map[string]collective.Op{
	"all_reduce":     collective.AllReduce,
	"all_gather":     collective.AllGather,
	"reduce_scatter": collective.ReduceScatter,
	"alltoall":       collective.AllToAll,
}

// NCCLPoint is one nccl-tests measurement and cardsea's simulation of it.
type NCCLPoint struct {
	validation.NCCLPoint
	Preset string
	// Algorithm and Protocol are what cardsea chose (the fastest it has).
	Algorithm collective.Algorithm
	Protocol  collective.Protocol
	// SimUS is the simulated time in microseconds.
	SimUS float64
}

// Error is the signed relative error of the simulated time,
// (simulated - measured) / measured: negative when cardsea is faster than
// the measurement.
func (p NCCLPoint) Error() float64 { return (p.SimUS - p.TimeUS) / p.TimeUS }

// BusBW returns the measured and simulated bus bandwidths in GB/s, by
// nccl-tests' definition (doc/PERFORMANCE.md): the size over the time,
// times the operation's bus factor.
func (p NCCLPoint) BusBW() (measured, simulated float64) {
	f := ncclOps[p.Op].BusFactor(p.GPUs)
	return f * p.Bytes / p.TimeUS / 1e3, f * p.Bytes / p.SimUS / 1e3
}

// NCCLAlgorithms is which of cardsea's algorithms a simulated point may
// take.
type NCCLAlgorithms int

const (
	// AnyAlgorithm takes the fastest of every algorithm cardsea has for
	// the operation, as `cardsea collective --algo auto` does.
	AnyAlgorithm NCCLAlgorithms = iota
	// NCCLsAlgorithms takes the fastest of those NCCL 2.29 runs inside one
	// node without registered buffers, as nccl-tests here: ring, tree
	// and NVLS for all_reduce (NCCL's tree is a chain inside one node;
	// cardsea's double binary tree stands for it), ring and NVLS for
	// reduce_scatter, ring for all_gather (NCCL's NVLS all_gather is not
	// modelled), and for alltoall, NCCL's grouped sends to every peer,
	// cardsea's direct and pairwise. Not NCCL's: cardsea's one-shot direct
	// and recursive halving-doubling reductions and gathers (NCCL's
	// one-shot kernels need symmetric memory, which nccl-tests registers
	// only with -R).
	NCCLsAlgorithms
)

func (a NCCLAlgorithms) String() string {
	if a == NCCLsAlgorithms {
		return "NCCL's algorithms"
	}
	return "any algorithm"
}

// ncclAlgorithms are the algorithms of NCCLsAlgorithms, by operation.
var ncclAlgorithms = map[collective.Op][]collective.Algorithm{
	collective.AllReduce:     {collective.Ring, collective.Tree, collective.NVLS},
	collective.ReduceScatter: {collective.Ring, collective.NVLS},
	collective.AllGather:     {collective.Ring},
	collective.AllToAll:      {collective.Direct, collective.Pairwise},
}

// NCCL runs every embedded nccl-tests point (validation.NCCL) through
// cardsea's collective simulation, with any algorithm, and returns
// measured against simulated, in the data's order.
//
// Source: AIConfigurator's nccl-tests sweeps (validation/README.md): 2, 4
// and 8 GPUs of one H100, H200 or B200 HGX node and 2 and 4 GPUs of one
// GB200 tray; all_reduce, all_gather, reduce_scatter and alltoall; half
// and int8; 512 B to 512 MiB; NCCL 2.29.2. Half of the points
// (validation.NCCLPoint.HeldOut false) fitted NCCL's copy rates within
// one NVLink domain (collective/nccltune.go: per family, Hopper and
// Blackwell, and op class, from the points of 64 MiB and above, with
// Hopper's ring fill, one a pass round the ring), NCCL 2.29's op
// overhead and LL step on Hopper (from the points of 16 KiB and below)
// and alltoall's send/recv costs (a fixed cost by peers, LL's cost per
// byte of a peer's share, Simple's first-step fill; from the points
// below 64 MiB); the other half, held out, is what the report's errors
// are of (NCCLHeldOut). No other figure was fitted to them: the Simple
// step latencies, Blackwell's latencies and the NVLink efficiencies come
// from cases C04, C06, C08, C11 and C17 of cases.yaml, and NCCL's LL cap
// and LL128 figures from its tuner (src/graph/tuning.cc).
//
// Method: each point runs on its system's preset (NCCLPresets) with as
// many ranks as it had GPUs, the first ones, at the nccl-tests size
// (collective sizes follow nccl-tests' convention), with the fastest
// algorithm and protocol (Simple, LL or LL128) allowed (NCCLAlgorithms),
// as NCCL's tuner picks its own, each operation alone on an idle fabric.
// One restriction is NCCL's, not a fit: NCCL reduces with NVLS only on
// 16-bit and wider types (ncclNvlsSupported, NVIDIA/nccl
// src/include/device.h), so an int8 all_reduce or reduce_scatter runs no
// NVLS. The data type plays no other part. The simulated time
// (op_overhead, per-step latency, bytes over the NVLink fabric at its
// efficiency and NCCL's copy rate) is compared with nccl-tests'
// out-of-place time; bus bandwidths follow from both by nccl-tests'
// definitions (NCCLPoint.BusBW).
func NCCL() ([]NCCLPoint, error) {
	ms, err := validation.NCCL()
	if err != nil {
		return nil, err
	}
	return SimulateNCCL(ms, AnyAlgorithm)
}

// SimulateNCCL runs the given measured points by NCCL's method, with the
// algorithms algos allows.
func SimulateNCCL(ms []validation.NCCLPoint, algos NCCLAlgorithms) ([]NCCLPoint, error) {
	fabrics := map[string]*network.Fabric{}
	groups := map[string]*collective.Group{}
	out := make([]NCCLPoint, 0, len(ms))
	for _, m := range ms {
		name, ok := NCCLPresets[m.System]
		if !ok {
			return nil, fmt.Errorf("%s:%d: no preset models system %q", m.File, m.Line, m.System)
		}
		op, ok := ncclOps[m.Op]
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown op %q", m.File, m.Line, m.Op)
		}
		f := fabrics[name]
		if f == nil {
			t, err := topology.Load(name, 0)
			if err != nil {
				return nil, err
			}
			f = network.NewFabric(t)
			fabrics[name] = f
		}
		key := fmt.Sprintf("%s/%d", name, m.GPUs)
		g := groups[key]
		if g == nil {
			var err error
			if g, err = collective.NewGroup(f, collective.Placement{Ranks: m.GPUs}); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", m.File, m.Line, err)
			}
			groups[key] = g
		}
		r, err := runNCCL(g, op, m.DType, m.Bytes, algos)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s %s %d GPUs %g B on %s: %w", m.File, m.Line, m.Op, m.DType, m.GPUs, m.Bytes, name, err)
		}
		out = append(out, NCCLPoint{NCCLPoint: m, Preset: name, Algorithm: r.Algorithm, Protocol: r.Protocol, SimUS: r.TimeS * 1e6})
	}
	return out, nil
}

// nvlsTypes are the data types NCCL reduces with NVLS (ncclNvlsSupported:
// 16-bit floats and 32- and 64-bit types; of the types held, half).
var nvlsTypes = map[string]bool{"half": true}

// runNCCL runs op on dtype with the fastest algorithm algos allows, but
// no NVLS reduction on a type NVLS cannot reduce.
func runNCCL(g *collective.Group, op collective.Op, dtype string, bytes float64, algos NCCLAlgorithms) (collective.Result, error) {
	reduces := op == collective.AllReduce || op == collective.ReduceScatter
	noNVLS := reduces && !nvlsTypes[dtype]
	if algos == AnyAlgorithm && !noNVLS {
		out, err := collective.Execute(g.Fabric, collective.One(g, op, collective.Auto, bytes, collective.Options{}))
		if err != nil {
			return collective.Result{}, err
		}
		return out.Results[0], nil
	}
	list := collective.AlgorithmsFor(op)
	if algos == NCCLsAlgorithms {
		list = ncclAlgorithms[op]
	}
	var best collective.Result
	var first error
	found := false
	for _, a := range list {
		if a == collective.NVLS && noNVLS {
			continue
		}
		out, err := collective.Execute(g.Fabric, collective.One(g, op, a, bytes, collective.Options{}))
		var r collective.Result
		if err == nil {
			r = out.Results[0]
		}
		if err != nil {
			// One the topology cannot run, as Auto skips it.
			if first == nil {
				first = err
			}
			continue
		}
		if !found || r.TimeS < best.TimeS {
			best, found = r, true
		}
	}
	if !found {
		return best, first
	}
	return best, nil
}

// NCCLHeldOut keeps the held-out points of ps, those no figure was
// fitted to (validation.NCCLPoint.HeldOut), in order.
func NCCLHeldOut(ps []NCCLPoint) []NCCLPoint {
	var out []NCCLPoint
	for _, p := range ps {
		if p.HeldOut() {
			out = append(out, p)
		}
	}
	return out
}

// NCCLLargeBytes is where the size bands split: the targets are a
// median |error| of 5% at 64 MiB and above and 15% below.
const NCCLLargeBytes = 64 << 20

// NCCLBand is the error distribution of a group of points: one system,
// op and size band (NCCLSummary), one system, GPU count and band
// (NCCLByGPUs), or a whole band (NCCLTotal).
type NCCLBand struct {
	System string // "all" in NCCLTotal
	Op     string // "all" when the group holds every op
	GPUs   int    // 0 when the group holds every GPU count
	Large  bool   // sizes of NCCLLargeBytes and above
	N      int
	// MedianAbs and P90Abs are the median and 90th percentile of
	// |error|; Bias is the median signed error (negative: cardsea too
	// fast).
	MedianAbs, P90Abs, Bias float64
	// Worst is the point of largest |error|.
	Worst NCCLPoint
}

// Band is "< 64 MiB" or ">= 64 MiB".
func (b NCCLBand) Band() string {
	if b.Large {
		return ">= 64 MiB"
	}
	return "< 64 MiB"
}

// ncclOpOrder is the order ops are reported in.
var ncclOpOrder = []string{"all_reduce", "all_gather", "reduce_scatter", "alltoall"}

// NCCLSummary groups points by system (validation.NCCLSystems order), op
// (all_reduce, all_gather, reduce_scatter, alltoall) and size band, small
// first, and gives each group's error distribution. Both data types and
// every GPU count count in one group.
func NCCLSummary(ps []NCCLPoint) []NCCLBand {
	var bands []NCCLBand
	for _, sys := range validation.NCCLSystems {
		for _, op := range ncclOpOrder {
			bands = appendBands(bands, ps, NCCLBand{System: sys, Op: op}, func(p NCCLPoint) bool { return p.System == sys && p.Op == op })
		}
	}
	return bands
}

// NCCLByGPUs groups points by system, GPU count and size band, every op
// together: where the rank count, not the op, is what the errors follow.
func NCCLByGPUs(ps []NCCLPoint) []NCCLBand {
	counts := map[int]bool{}
	for _, p := range ps {
		counts[p.GPUs] = true
	}
	ns := make([]int, 0, len(counts))
	for n := range counts {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	var bands []NCCLBand
	for _, sys := range validation.NCCLSystems {
		for _, n := range ns {
			bands = appendBands(bands, ps, NCCLBand{System: sys, Op: "all", GPUs: n}, func(p NCCLPoint) bool { return p.System == sys && p.GPUs == n })
		}
	}
	return bands
}

// NCCLTotal is the distribution of every point of a size band.
func NCCLTotal(ps []NCCLPoint, large bool) NCCLBand {
	return band(NCCLBand{System: "all", Op: "all", Large: large}, filter(ps, func(p NCCLPoint) bool { return true }, large))
}

// appendBands appends head's small and large bands over the points in
// keeps, leaving out an empty band.
func appendBands(bands []NCCLBand, ps []NCCLPoint, head NCCLBand, keep func(NCCLPoint) bool) []NCCLBand {
	for _, large := range []bool{false, true} {
		if g := filter(ps, keep, large); len(g) > 0 {
			head.Large = large
			bands = append(bands, band(head, g))
		}
	}
	return bands
}

func filter(ps []NCCLPoint, keep func(NCCLPoint) bool, large bool) []NCCLPoint {
	var g []NCCLPoint
	for _, p := range ps {
		if keep(p) && (p.Bytes >= NCCLLargeBytes) == large {
			g = append(g, p)
		}
	}
	return g
}

// band fills head's distribution over g.
func band(head NCCLBand, g []NCCLPoint) NCCLBand {
	b := head
	b.N = len(g)
	if len(g) == 0 {
		return b
	}
	abs := make([]float64, len(g))
	signed := make([]float64, len(g))
	worst := 0
	for i, p := range g {
		signed[i] = p.Error()
		abs[i] = math.Abs(signed[i])
		if abs[i] > abs[worst] {
			worst = i
		}
	}
	b.Worst = g[worst]
	b.MedianAbs, b.P90Abs, b.Bias = quantile(abs, 0.5), quantile(abs, 0.9), quantile(signed, 0.5)
	return b
}

// quantile is the q-quantile of xs, linear between order statistics
// (the median of an even count is the mean of the middle two).
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
