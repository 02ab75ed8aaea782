package scenario

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
)

// DefaultPricePerKWh is the electricity price when a scenario gives none (USD).
const DefaultPricePerKWh = 0.08

// Options control a run.
type Options struct {
	// Jobs is how many work units run at once (default: GOMAXPROCS, the CPUs this process may use).
	Jobs int
	// Shard and Shards run every Shards-th point starting at Shard, so a
	// job array can split a sweep; Shards 0 or 1 runs every point.
	Shard, Shards int
	// Done reports points already finished (for --resume); they are skipped.
	Done func(point int) bool
	// Progress, if set, is called after every finished work unit.
	Progress func(done, total int)
	// PointDone, if set, receives each point's rows as soon as the point
	// and every point before it are finished, in point order.
	PointDone func(point int, rows [][]any) error
	// Stop, if it returns true, stops the run between work units; Run then
	// returns ErrStopped with the points finished so far.
	Stop func() bool
}

// ErrStopped is returned when Options.Stop ended a run early.
var ErrStopped = fmt.Errorf("run stopped")

// Columns are the fields of every record a scenario produces: the point,
// each swept parameter, then the result.
func (s *Scenario) Columns() []report.Column {
	cols := []report.Column{
		{Key: "scenario", Header: "Scenario"},
		{Key: "point", Header: "Point"},
		{Key: "points", Header: "Points"},
	}
	for _, p := range s.Params {
		cols = append(cols, report.Column{Key: strings.ReplaceAll(p, ".", "_"), Header: p})
	}
	return append(cols, ResultColumns...)
}

// ResultColumns are the result fields of every workload: collective and
// inference records share them, each leaving the other's fields empty.
var ResultColumns = append([]report.Column{
	{Key: "topology", Header: "Topology"},
	{Key: "workload", Header: "Workload"},
	{Key: "op", Header: "Op / phase"},
	{Key: "algorithm", Header: "Algorithm"},
	{Key: "protocol", Header: "Protocol"},
	{Key: "ranks", Header: "Ranks (dies)"},
	{Key: "size_bytes", Header: "Size (B)"},
	{Key: "time_s", Header: "Time / step (us)", Scale: 1e-6, Digits: 1},
	{Key: "algbw_bytes_per_s", Header: "algbw (GB/s)", Scale: 1e9, Digits: 2},
	{Key: "busbw_bytes_per_s", Header: "busbw (GB/s)", Scale: 1e9, Digits: 2},
	{Key: "wire_bytes", Header: "On the wire (GB)", Scale: 1e9, Digits: 3},
	{Key: "peak_link_util", Header: "Peak link use (%)", Scale: 0.01, Digits: 0},
	{Key: "mean_link_busy", Header: "Links busy (% of time)", Scale: 0.01, Digits: 0},
	{Key: "model", Header: "Model"},
	{Key: "batch_per_accel", Header: "Batch (seq/accel)"},
	{Key: "context_tokens", Header: "Context / input (tokens)"},
	{Key: "tp", Header: "TP"},
	{Key: "ep", Header: "EP"},
	{Key: "ttft_s", Header: "TTFT (ms)", Scale: 1e-3, Digits: 1},
	{Key: "tpot_s", Header: "TPOT (ms)", Scale: 1e-3, Digits: 2},
	{Key: "tokens_per_s", Header: "Tokens/s", Digits: 0},
	{Key: "tokens_per_s_per_accel", Header: "Tokens/s per accelerator", Digits: 1},
	{Key: "tokens_per_s_per_user", Header: "Tokens/s per user", Digits: 1},
	{Key: "memory_bytes_per_die", Header: "Memory per die (GB)", Scale: 1e9, Digits: 1},
	{Key: "power_mode", Header: "Power mode"},
	{Key: "energy_j", Header: "Energy, IT (J)", Digits: 3},
	{Key: "facility_energy_j", Header: "Energy, facility (J)", Digits: 3},
	{Key: "avg_power_w", Header: "Avg IT power (kW)", Scale: 1e3, Digits: 1},
	{Key: "peak_power_w", Header: "Peak IT power (kW)", Scale: 1e3, Digits: 1},
	{Key: "busbw_per_kw", Header: "busbw per IT kW (GB/s per kW)", Scale: 1e9, Digits: 3},
	{Key: "tokens_per_s_per_kw", Header: "Tokens/s per IT kW", Digits: 1},
	{Key: "j_per_token", Header: "J per token (IT)", Digits: 3},
	{Key: "energy_cost_usd", Header: "Energy cost (micro-USD)", Scale: 1e-6, Digits: 3},
	{Key: "energy_cost_per_mtok_usd", Header: "Energy cost per million tokens (USD)", Digits: 3},
	{Key: "capex_per_mtok_usd", Header: "Capital cost per million tokens (USD)", Digits: 3},
	{Key: "total_cost_per_mtok_usd", Header: "Total cost per million tokens (USD)", Digits: 3},
	{Key: "cp", Header: "CP"},
	{Key: "dp", Header: "DP"},
	{Key: "global_batch", Header: "Global batch (sequences)"},
	{Key: "lora_rank", Header: "LoRA rank"},
	{Key: "mfu", Header: "MFU", Digits: 3},
	{Key: "accel_load", Header: "Accelerator load (share of dynamic power)", Digits: 3},
	{Key: "node_power_w", Header: "Avg power per server (kW)", Scale: 1e3, Digits: 2},
	{Key: "network_power_w_per_node", Header: "Scale-out switches and all optics per server (kW)", Scale: 1e3, Digits: 2},
	{Key: "prefill_accelerators", Header: "Prefill accelerators"},
	{Key: "decode_accelerators", Header: "Decode accelerators"},
	{Key: "output_tokens", Header: "Output (tokens per request)"},
	{Key: "kv_bytes_per_request", Header: "KV cache per request (MB)", Scale: 1e6, Digits: 1},
	{Key: "kv_transfer_s", Header: "KV transfer per prefill batch (ms)", Scale: 1e-3, Digits: 2},
	{Key: "prefill_per_decode_instances", Header: "Prefill instances per decode instance", Digits: 3},
	{Key: "prefill_instances", Header: "Whole deployment: prefill instances"},
	{Key: "decode_instances", Header: "Whole deployment: decode instances"},
	{Key: "prefill_use", Header: "Whole deployment: prefill capacity used (%)", Scale: 0.01, Digits: 0},
	{Key: "whole_accelerators", Header: "Whole deployment: accelerators"},
	{Key: "groups", Header: "Groups at once"},
	{Key: "time_alone_s", Header: "Slowest group alone (us)", Scale: 1e-6, Digits: 1},
	{Key: "slowdown", Header: "Slowdown together/alone", Digits: 3},
}, slices.Concat(EnergyBreakdownColumns, FeasibilityColumns)...)

// FeasibilityColumns close every record: whether the configuration could
// run as asked and, where it could not, why (it does not fit in HBM, or
// no batch meets the latency limit). A sweep records an infeasible point
// and goes on.
var FeasibilityColumns = []report.Column{
	{Key: "feasible", Header: "Feasible", Varies: true},
	{Key: "why", Header: "Why not"},
}

// trainingBlank, disaggBlank and groupsBlank are the training,
// disaggregation and concurrent-groups fields of a row of another kind.
var (
	trainingBlank = []any{nil, nil, nil, nil, nil, nil, nil, nil}
	disaggBlank   = make([]any, 10)
	groupsBlank   = []any{nil, nil, nil}
)

// groupCells renders a collective's concurrent groups (empty when it ran
// alone).
func groupCells(r collective.Result) []any {
	if r.Groups < 2 {
		return groupsBlank
	}
	slow := 0.0
	if r.AloneS > 0 {
		slow = r.TimeS / r.AloneS
	}
	return []any{r.Groups, r.AloneS, slow}
}

// ResultColumnsOf returns the result columns with these keys, in the order
// given; it panics on a key ResultColumns lacks (a programming error).
func ResultColumnsOf(keys ...string) []report.Column {
	var out []report.Column
	for _, k := range keys {
		i := slices.IndexFunc(ResultColumns, func(c report.Column) bool { return c.Key == k })
		if i < 0 {
			panic("scenario: no result column " + k)
		}
		out = append(out, ResultColumns[i])
	}
	return out
}

// EnergyBreakdownColumns are a run's IT energy by power component and the
// facility overhead above it (cooling and power distribution, from each
// rack's PUE), in joules: they sum to facility_energy_j.
var EnergyBreakdownColumns = func() []report.Column {
	label := map[power.Component]string{power.CPUs: "CPUs", power.NICs: "NICs"}
	var cols []report.Column
	for _, c := range power.Components {
		name, ok := label[c]
		if !ok {
			name = strings.ReplaceAll(string(c), "_", " ")
		}
		cols = append(cols, report.Column{Key: "energy_by_component_j." + string(c),
			Header: "Energy: " + name + " (J)", Digits: 3})
	}
	return append(cols, report.Column{Key: "energy_by_component_j.cooling", Header: "Energy: cooling and distribution (J)", Digits: 3})
}()

// CostCells renders the energy, capital and total cost per million tokens.
// Without a capex price (cost.CapexPerAccel 0) the capital and total
// cells stay empty: a 0 would read as free hardware.
func CostCells(cost power.Cost, energy, capital float64) []any {
	if cost.CapexPerAccel == 0 {
		return []any{energy, nil, nil}
	}
	return []any{energy, capital, energy + capital}
}

// EnergyBreakdown renders e by component (EnergyBreakdownColumns), each
// scaled by share: the serving accelerators' share for inference, 1 for
// a collective.
func EnergyBreakdown(e power.Energy, share float64) []any {
	var out []any
	for _, j := range e.IT {
		out = append(out, j*share)
	}
	return append(out, (e.FacilityJ-e.ITJ)*share)
}

// ResultRow renders one collective result with its energy.
func ResultRow(topo, workload string, r collective.Result, e power.Energy, pricePerKWh float64) []any {
	perKW := 0.0
	if e.AvgITW > 0 {
		perKW = r.BusBW / (e.AvgITW / 1e3)
	}
	row := []any{topo, workload, string(r.Op), string(r.Algorithm), r.Protocol.String(), r.Ranks, int(r.SizeBytes),
		r.TimeS, r.AlgBW, r.BusBW, r.WireBytes, r.PeakLinkUtil, r.MeanLinkBusy,
		nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
		string(e.Mode), e.ITJ, e.FacilityJ, e.AvgITW, e.PeakITW, perKW, nil, nil, e.FacilityJ / 3.6e6 * pricePerKWh, nil, nil, nil}
	row = append(append(row, trainingBlank...), disaggBlank...)
	row = append(row, groupCells(r)...)
	return append(row, EnergyBreakdown(e, 1)...)
}

// LatencyCells renders what a step's phase reports: the context (or
// prompt) length, and TTFT, TPOT and tokens/s per user where they apply.
func LatencyCells(r infer.Result) (ctx int, ttft, tpot, perUser any) {
	c := r.Config
	switch c.Phase {
	case infer.Prefill:
		return c.InputLen, r.TTFTS, nil, nil
	case infer.Serve:
		return infer.ServeContext(c), r.TTFTS, r.TPOTS, r.TokensPerSPerUser
	}
	return c.Context, nil, r.TPOTS, r.TokensPerSPerUser
}

// InferenceRow renders one inference result: energy and power are the
// serving accelerators' share of the topology's, per step.
func InferenceRow(topo, workload string, r infer.Result, cost power.Cost) []any {
	pricePerKWh := cost.PricePerKWh
	c := r.Config
	ctx, ttft, tpot, perUser := LatencyCells(r)
	itJ := r.Energy.ITJ * r.ServingShare
	facJ := r.Energy.FacilityJ * r.ServingShare
	// J per token is infer's own figure (the inverse of TokensPerJ), so
	// infer and run publish the same number; this row once divided the
	// step's tokens by PP and read PP times too high.
	var jPerTok float64
	if r.TokensPerJ > 0 {
		jPerTok = 1 / r.TokensPerJ
	}
	perM, capM := cost.PerMillion(r.TokensPerS, r.FacilityPowerW, r.Accelerators)
	row := []any{topo, workload, string(c.Phase), nil, nil, r.Dies, nil,
		r.StepS, nil, nil, nil, nil, nil,
		c.Model.Name, c.Batch, ctx, c.TP, c.EP, ttft, tpot, r.TokensPerS, r.TokensPerSPerAccel, perUser, r.MemoryBytesPerDie,
		string(r.Energy.Mode), itJ, facJ, r.PowerW, r.Energy.PeakITW * r.ServingShare, nil, r.TokensPerKW, jPerTok,
		facJ / 3.6e6 * pricePerKWh}
	row = append(row, CostCells(cost, perM, capM)...)
	row = append(append(append(row, trainingBlank...), disaggBlank...), groupsBlank...)
	return append(row, EnergyBreakdown(r.Energy, r.ServingShare)...)
}

// DisaggRow renders one disaggregated configuration: the balanced system
// of prefill and decode instances (ranks are its accelerators, possibly
// fractional; tokens are output tokens; power is IT power at each
// instance's average). Per-step energies and their breakdown stay empty:
// the two instances run different steps.
func DisaggRow(topo, workload string, r infer.DisaggResult, cost power.Cost) []any {
	p, d := r.Prefill, r.Decode
	dc := d.Config
	facility := r.PrefillPerDecode*p.FacilityPowerW + d.FacilityPowerW
	e, k := cost.PerMillion(r.TokensPerS, facility, 1)
	k *= r.Accelerators // capital is per accelerator, and the balanced system's may be fractional
	row := []any{topo, workload, "disagg", nil, nil, r.Accelerators, nil,
		r.TPOTS, nil, nil, nil, nil, nil,
		dc.Model.Name, dc.Batch, dc.Context, dc.TP, dc.EP, r.TTFTS, r.TPOTS, r.TokensPerS, r.TokensPerSPerAccel, d.TokensPerSPerUser, d.MemoryBytesPerDie,
		string(d.Energy.Mode), nil, nil, r.PowerW, nil, nil, r.TokensPerKW, r.JPerToken,
		nil}
	row = append(row, CostCells(cost, e, k)...)
	row = append(row, trainingBlank...)
	row = append(row, r.PrefillAccelerators, r.DecodeAccelerators, r.OutputLen, r.KVBytesPerRequest, r.KVTransferS, r.PrefillPerDecode,
		r.PrefillInstances, r.DecodeInstances, r.PrefillUse, r.WholeAccelerators)
	row = append(row, groupsBlank...)
	return append(row, make([]any, len(EnergyBreakdownColumns))...)
}

// TrainingRow renders one training step: energy and power are the whole
// topology's over the step; tokens are trained tokens.
func TrainingRow(topo, workload string, r train.Result, cost power.Cost, accels int) []any {
	c := r.Config
	e := r.Energy
	tokens := float64(c.GlobalBatch * c.SeqLen)
	var perKW, jPerTok float64
	if e.AvgITW > 0 {
		perKW = r.TokensPerS / (e.AvgITW / 1e3)
	}
	if tokens > 0 {
		jPerTok = e.ITJ / tokens
	}
	facW := 0.0
	if r.StepS > 0 {
		facW = e.FacilityJ / r.StepS
	}
	perM, capM := cost.PerMillion(r.TokensPerS, facW, accels)
	row := []any{topo, workload, "train", nil, nil, r.Ranks, nil,
		r.StepS, nil, nil, nil, nil, nil,
		c.Model.Name, nil, c.SeqLen, c.TP, nil, nil, nil, r.TokensPerS, r.TokensPerS / float64(accels), nil, r.MemoryBytesPerDie,
		string(e.Mode), e.ITJ, e.FacilityJ, e.AvgITW, e.PeakITW, nil, perKW, jPerTok,
		e.FacilityJ / 3.6e6 * cost.PricePerKWh}
	row = append(row, CostCells(cost, perM, capM)...)
	row = append(row, c.CP, r.DP, c.GlobalBatch, c.LoRARank, r.MFU, r.Load, r.NodeW, r.NetworkWPerNode)
	row = append(append(row, disaggBlank...), groupsBlank...)
	return append(row, EnergyBreakdown(e, 1)...)
}

// unit is one simulation: a point, a topology, a workload, a size.
type unit struct {
	point, topo, work int
	size              int64
}

// Run simulates the scenario and returns its records, in point order.
func (s *Scenario) Run(o Options) (*report.Sheet, error) {
	shards := max(o.Shards, 1)
	var units []unit
	pointUnits := map[int]int{}
	var points []int
	for _, p := range s.Points {
		if p.Index%shards != o.Shard || (o.Done != nil && o.Done(p.Index)) {
			continue
		}
		points = append(points, p.Index)
		for ti := range p.File.Topologies {
			for wi, w := range p.File.Workloads {
				for _, sz := range w.sizes() {
					units = append(units, unit{p.Index, ti, wi, sz})
					pointUnits[p.Index]++
				}
			}
		}
	}
	rows := make([][]any, len(units))
	errs := make([]error, len(units))
	jobs := o.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0) // cgroup-aware, unlike NumCPU
	}
	var (
		mu       sync.Mutex
		finished int
		left     = map[int]int{}
		cbErr    error
		stopped  bool
	)
	for k, v := range pointUnits {
		left[k] = v
	}
	first := map[int]int{} // point -> first unit index
	for i, u := range units {
		if _, ok := first[u.point]; !ok {
			first[u.point] = i
		}
	}
	// emit hands point p to PointDone once all its units have finished
	// without error, whichever order points finish in, so a journal loses
	// only what was running; called under mu.
	failed := map[int]bool{}
	emit := func(p int) {
		if left[p] == 0 && !failed[p] && o.PointDone != nil && cbErr == nil {
			start := first[p]
			cbErr = o.PointDone(p, rows[start:start+pointUnits[p]])
		}
	}
	next := make(chan int)
	var wg sync.WaitGroup
	shared := &simCache{m: map[string]*simEntry{}}
	for range min(jobs, max(len(units), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(s, shared)
			for i := range next {
				rows[i], errs[i] = w.run(units[i])
				mu.Lock()
				finished++
				left[units[i].point]--
				if errs[i] != nil {
					failed[units[i].point] = true
				}
				emit(units[i].point)
				if o.Progress != nil {
					o.Progress(finished, len(units))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range units {
		if o.Stop != nil && o.Stop() {
			stopped = true
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, err
		}
		_ = i
	}
	if cbErr != nil {
		return nil, cbErr
	}
	sheet := &report.Sheet{Columns: s.Columns()}
	done := 0
	for _, p := range points {
		if left[p] != 0 {
			break
		}
		start := first[p]
		sheet.Rows = append(sheet.Rows, rows[start:start+pointUnits[p]]...)
		done++
	}
	if stopped {
		return sheet, ErrStopped
	}
	return sheet, nil
}

// worker runs units, keeping built topologies and fabrics for reuse.
type worker struct {
	s       *Scenario
	fabric  map[string]*network.Fabric
	engines map[string]*infer.Engine
	// trainers are the training engines, per topology.
	trainers map[string]*train.Engine
	cache    *simCache
}

func newWorker(s *Scenario, c *simCache) *worker {
	return &worker{s: s, fabric: map[string]*network.Fabric{}, engines: map[string]*infer.Engine{}, trainers: map[string]*train.Engine{}, cache: c}
}

// simCache shares simulation results between workers: points that differ
// only in fields the simulation does not read (the electricity price, the
// power mode) simulate once. Results are deterministic, so which worker
// computes an entry does not matter.
type simCache struct {
	mu sync.Mutex
	m  map[string]*simEntry
}

type simEntry struct {
	once sync.Once
	r    collective.Result
	err  error
}

func (c *simCache) get(key string, run func() (collective.Result, error)) (collective.Result, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok {
		e = &simEntry{}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.r, e.err = run() })
	return e.r, e.err
}

// run simulates one unit and closes its record with the feasibility
// fields. A configuration that is well formed but cannot run as asked
// (infer.InfeasibleError) is a record too: its point, topology, workload
// and phase, feasible false and the reason; every other field is empty.
// Any other error names the sweep point and its swept values.
func (w *worker) run(u unit) ([]any, error) {
	row, err := w.simulate(u)
	if err == nil {
		return append(row, true, nil), nil
	}
	var inf *infer.InfeasibleError
	wl := w.s.Points[u.point].File.Workloads[u.work]
	if !errors.As(err, &inf) || wl.Inference == nil {
		if len(w.s.Params) > 0 {
			err = fmt.Errorf("sweep point %d (%s): %w", u.point, describePoint(w.s.Params, w.s.Points[u.point].Values), err)
		}
		return nil, err
	}
	ref := w.s.Points[u.point].File.Topologies[u.topo]
	row = w.lead(u)
	phase := or(wl.Inference.Phase, string(infer.Decode))
	name := wl.Name
	if name == "" {
		name = wl.Inference.Model + " " + phase
	}
	row = append(row, ref.label(), name, phase)
	row = append(row, make([]any, len(ResultColumns)-3-len(FeasibilityColumns))...)
	return append(row, false, inf.Reason), nil
}

// lead renders a record's point fields: the scenario, the point, the
// point count and each swept value.
func (w *worker) lead(u unit) []any {
	lead := []any{or(w.s.File.Name, "scenario"), u.point, len(w.s.Points)}
	for _, v := range w.s.Points[u.point].Values {
		lead = append(lead, v)
	}
	return lead
}

func (w *worker) simulate(u unit) ([]any, error) {
	p := &w.s.Points[u.point]
	f := p.File
	ref := f.Topologies[u.topo]
	wl := f.Workloads[u.work]
	c := wl.Collective
	ovr, _ := flatten(ref.Overrides, "")
	price := DefaultPricePerKWh
	if f.Power.PricePerKWh != nil {
		price = *f.Power.PricePerKWh
	}
	mode, _ := power.ParseMode(or(f.Power.Mode, string(power.Activity)))
	lead := w.lead(u)
	name := ref.topologyName(w.s.Path)
	key := fmt.Sprintf("%s|%d|%v", name, ref.Domains, ovr)
	if len(ref.Faults) > 0 {
		key += fmt.Sprintf("|faults%q", ref.Faults)
	}
	fab, ok := w.fabric[key]
	if !ok {
		t, err := topology.LoadWith(name, ref.Domains, ovr)
		if err != nil {
			return nil, fmt.Errorf("%s: topologies[%d] (%s): %w", w.s.Path, u.topo, ref.label(), err)
		}
		if len(ref.Faults) > 0 {
			fs, _ := topology.ParseFaults(ref.Faults) // checked on load
			if t, err = t.WithFaults(fs); err != nil {
				return nil, fmt.Errorf("%s: topologies[%d].faults (%s): %w", w.s.Path, u.topo, ref.label(), err)
			}
		}
		fab = network.NewFabric(t)
		w.fabric[key] = fab
	}
	if wl.Inference != nil {
		return w.runInference(u, key, fab, ref, wl, mode, price, lead)
	}
	if wl.Training != nil {
		return w.runTraining(u, key, fab, ref, wl, mode, price, lead)
	}
	gs, err := c.groups(fab)
	if err != nil {
		return nil, fmt.Errorf("%s: workloads[%d] on %s: %w", w.s.Path, u.work, ref.label(), err)
	}
	op, _ := collective.ParseOp(c.Op)
	algo, _ := collective.ParseAlgorithm(or(c.Algorithm, "auto"))
	proto, _ := collective.ParseProtocol(c.Protocol)
	chunk, _ := c.chunk()
	simKey := fmt.Sprintf("%s|%+v|%d", key, *c, u.size)
	r, err := w.cache.get(simKey, func() (collective.Result, error) {
		o := collective.Options{Protocol: proto, ChunkBytes: float64(chunk)}
		if len(gs) == 1 {
			return collective.Run(gs[0], op, algo, float64(u.size), o, false)
		}
		cc, err := collective.RunGroups(gs, op, algo, float64(u.size), o, false)
		if err != nil {
			return collective.Result{}, err
		}
		return cc.Together[cc.Slowest], nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: workloads[%d] on %s: %w", w.s.Path, u.work, ref.label(), err)
	}
	e, err := power.Account(fab.Topo, mode, r.TimeS, r.Activity)
	if err != nil {
		return nil, err
	}
	wname := wl.Name
	if wname == "" {
		wname = "collective " + c.Op
	}
	return append(lead, ResultRow(ref.label(), wname, r, e, price)...), nil
}

// groups places the workload's ranks on fab and splits them into its
// groups (one group unless groups is 2 or more).
func (c *CollectiveWorkload) groups(fab *network.Fabric) ([]*collective.Group, error) {
	g, err := collective.NewGroup(fab, collective.Placement{Ranks: c.Ranks, PerAccel: c.PerAccel, PerServer: c.PerServer, List: c.RankList})
	if err != nil || c.Groups < 2 {
		return []*collective.Group{g}, err
	}
	return g.Split(c.Groups, c.Strided)
}

// runInference runs one inference workload unit; engines (and their
// collective-time caches) are kept per topology.
func (w *worker) runInference(u unit, key string, fab *network.Fabric, ref TopologyRef, wl Workload, mode power.Mode, price float64, lead []any) ([]any, error) {
	cfg, err := wl.Inference.config(w.s.Path)
	if err != nil {
		return nil, err
	}
	cfg.PowerMode = mode
	if live := fab.Topo.LiveAccels(); cfg.Accelerators == 0 && live < len(fab.Topo.Accels) {
		cfg.Accelerators = live // failed accelerators serve nothing
	}
	if err := wl.Inference.resolveDP(&cfg, fab.Topo); err != nil {
		return nil, fmt.Errorf("%s: workloads[%d] on %s: %w", w.s.Path, u.work, ref.label(), err)
	}
	eng, ok := w.engines[key]
	if !ok {
		eng = infer.NewEngine(fab.Topo)
		w.engines[key] = eng
	}
	cost := w.s.Points[u.point].File.Power.cost()
	cost.PricePerKWh = price
	if cfg.Phase == disaggPhase {
		if len(ref.Faults) > 0 {
			return nil, fmt.Errorf("%s: workloads[%d] on %s: faults do not combine with phase disagg yet; run the prefill or decode phase alone with faults", w.s.Path, u.work, ref.label())
		}
		d, err := wl.Inference.disagg(w.s.Path)
		if err != nil {
			return nil, err
		}
		d.Prefill.PowerMode, d.Decode.PowerMode = mode, mode
		var r infer.DisaggResult
		if ttft, tpot := wl.Inference.slos(); ttft > 0 || tpot > 0 {
			r, err = eng.BestDisaggUnderSLO(d, ttft, tpot)
		} else {
			r, err = eng.RunDisagg(d)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: workloads[%d] on %s: %w", w.s.Path, u.work, ref.label(), err)
		}
		wname := wl.Name
		if wname == "" {
			wname = cfg.Model.Name + " disagg"
		}
		return append(lead, DisaggRow(ref.label(), wname, r, cost)...), nil
	}
	var r infer.Result
	slo := wl.Inference.slo()
	if cfg.Phase == infer.Serve {
		slo = infer.ServeStepLimit(wl.Inference.slos()) // both limits may be given
	}
	if slo > 0 {
		if cfg.Phase != infer.Serve && wl.Inference.TTFTSLO != "" {
			cfg.Phase = infer.Prefill
		}
		r, err = eng.BestUnderSLO(cfg, slo)
	} else {
		r, err = eng.Run(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: workloads[%d] on %s: %w", w.s.Path, u.work, ref.label(), err)
	}
	wname := wl.Name
	if wname == "" {
		wname = cfg.Model.Name + " " + string(cfg.Phase)
	}
	return append(lead, InferenceRow(ref.label(), wname, r, cost)...), nil
}

// runTraining runs one training workload unit; engines are kept per
// topology.
func (w *worker) runTraining(u unit, key string, fab *network.Fabric, ref TopologyRef, wl Workload, mode power.Mode, price float64, lead []any) ([]any, error) {
	cfg, err := wl.Training.config(w.s.Path)
	if err != nil {
		return nil, err
	}
	cfg.PowerMode = mode
	eng, ok := w.trainers[key]
	if !ok {
		eng = train.NewEngine(fab.Topo)
		w.trainers[key] = eng
	}
	r, err := eng.Run(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: workloads[%d] on %s: %w", w.s.Path, u.work, ref.label(), err)
	}
	wname := wl.Name
	if wname == "" {
		wname = cfg.Model.Name + " training"
	}
	accels := cfg.Accelerators
	if accels == 0 {
		accels = len(fab.Topo.Accels)
	}
	cost := w.s.Points[u.point].File.Power.cost()
	cost.PricePerKWh = price
	return append(lead, TrainingRow(ref.label(), wname, r, cost, accels)...), nil
}

// Units is how many simulations point p holds.
func (s *Scenario) Units(p int) int {
	n := 0
	f := s.Points[p].File
	for range f.Topologies {
		for _, w := range f.Workloads {
			n += len(w.sizes())
		}
	}
	return n
}

// sizes lists a workload's simulations: a collective's message sizes, or
// one entry for an inference configuration.
func (w Workload) sizes() []int64 {
	if w.Collective == nil {
		return []int64{0}
	}
	sz, _ := w.Collective.sizes()
	return sz
}

// Select keeps the point, the swept fields and the scenario's report
// columns (all of them when it names none), in that order.
func (s *Scenario) Select(sheet *report.Sheet) *report.Sheet {
	keep := s.File.Report.Columns
	if len(keep) == 0 {
		return sheet
	}
	lead := 3 + len(s.Params)
	idx := make([]int, 0, lead+len(keep))
	for i := 0; i < lead; i++ {
		idx = append(idx, i)
	}
	pos := map[string]int{}
	for i, c := range sheet.Columns {
		pos[c.Key] = i
	}
	for _, k := range keep {
		idx = append(idx, pos[k])
	}
	out := &report.Sheet{Title: sheet.Title, Notes: sheet.Notes, Vertical: sheet.Vertical}
	for _, i := range idx {
		out.Columns = append(out.Columns, sheet.Columns[i])
	}
	for _, r := range sheet.Rows {
		row := make([]any, len(idx))
		for j, i := range idx {
			row[j] = r[i]
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}
