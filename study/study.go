package study

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
)

// A Study is topologies x workloads x power settings at one or more
// points, compiled: what a scenario file (or a front door that builds one
// in memory) asks. Run simulates every unit of it (a point, a topology, a
// workload and, for a collective, a size) on the one runner and lays the
// records out in the record schema.
type Study struct {
	// Source names the study in messages (a scenario file's path).
	Source string
	Points []Point
	// At, if set, places an error about a field of workload work of point
	// (kind is collective, inference or training) where the source wrote
	// it, e.g. at its line and column; nil, or a nil result, names the
	// workload only.
	At func(point, work int, kind, topology string, fe *field.Error) error
}

// Point is one combination of a sweep's values, compiled.
type Point struct {
	// Index is the point's index in the sweep; Lead its records' first
	// cells (the scenario, the point, the point count, the swept values).
	Index int
	Lead  []any
	// Describe names the point and its values in errors ("" without a
	// sweep).
	Describe   string
	Topologies []Topology
	Workloads  []Workload
	Mode       power.Mode
	Cost       power.Cost
}

// Topology is a topology to build: a preset name or a topology file, the
// domains, the overrides and the faults, parsed.
type Topology struct {
	// Label names it in records.
	Label   string
	Name    string
	Domains int
	// Transport runs the scale-out network on infiniband or roce ("": the
	// file's own).
	Transport string
	// Overrides set fields of the topology file by path; Faults fail
	// parts of it for the whole run (FaultSpecs as written).
	Overrides  []topology.Override
	Faults     []topology.Fault
	FaultSpecs []string
}

// Workload is one compiled workload: exactly one of Collective, Inference
// and Training is set. Name labels its records; Key is what the
// collective simulation depends on (points that share it simulate once).
type Workload struct {
	Name       string
	Key        string
	Collective *CollectiveJob
	Inference  *InferenceJob
	Training   *train.Config
	Serve      *ServeJob
}

// Key names t by what builds it: points that build the same topology
// share a key.
func (t Topology) Key() string {
	key := fmt.Sprintf("%s|%d|%v", t.Name, t.Domains, t.Overrides)
	if t.Transport != "" {
		key += "|" + t.Transport
	}
	if len(t.Faults) > 0 {
		key += fmt.Sprintf("|faults%q", t.FaultSpecs)
	}
	return key
}

// Build builds t: its preset or file with the domains and overrides, then
// its faults; errors name it as topology ti of source.
func (t Topology) Build(source string, ti int) (*topology.Topology, error) {
	top, err := topology.LoadOpts(t.Name, topology.LoadOptions{Domains: t.Domains, Overrides: t.Overrides, Transport: t.Transport})
	if err != nil {
		return nil, fmt.Errorf("%s: topologies[%d] (%s): %w", source, ti, t.Label, err)
	}
	if len(t.Faults) > 0 {
		if top, err = top.WithFaults(t.Faults); err != nil {
			return nil, fmt.Errorf("%s: topologies[%d].faults (%s): %w", source, ti, t.Label, err)
		}
	}
	return top, nil
}

// sizes lists workload w's simulations: a collective's message sizes, or
// one entry for any other workload.
func (w Workload) sizes() []int64 {
	if w.Collective != nil {
		return w.Collective.Sizes
	}
	if w.Serve != nil && !w.Serve.FindMax {
		// One simulation per offered rate, by index.
		out := make([]int64, w.Serve.Loads())
		for i := range out {
			out[i] = int64(i)
		}
		return out
	}
	return []int64{0}
}

// Units is how many simulations point p holds.
func (p *Point) Units() int {
	n := 0
	for range p.Topologies {
		for _, w := range p.Workloads {
			n += len(w.sizes())
		}
	}
	return n
}

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
	// PointDone, if set, receives each point's rows as soon as all its
	// units have finished without error, whatever order points finish in.
	PointDone func(point int, rows [][]any) error
	// Stop, if it returns true, stops the run between work units; Run then
	// returns ErrStopped with the points finished so far.
	Stop func() bool
	// KeepRequests keeps every served request's record in its
	// ServeRecord (Result.PerRequest), for a front door that charts the
	// per-request distributions (the HTML report); rows do not change.
	KeepRequests bool
}

// ErrStopped is returned when Options.Stop ended a run early.
var ErrStopped = fmt.Errorf("run stopped")

// unit is one simulation: a point (its index in Study.Points), a
// topology, a workload, a size.
type unit struct {
	point, topo, work int
	size              int64
}

// Run simulates the study's points (the shard's, less those done) on
// o.Jobs workers and returns their records (each point's Lead, then the
// record schema, study.All) in point order: the finished points before
// the first unfinished one when stopped.
func (s *Study) Run(o Options) ([][]any, error) {
	rows, _, err := s.run(o)
	return rows, err
}

// Records runs the study as Run does and returns the typed records
// instead of their rows, in the same order: for a front door that reads
// results (compare) rather than writes them.
func (s *Study) Records(o Options) ([]Record, error) {
	_, recs, err := s.run(o)
	return recs, err
}

// RunRecords runs the study as Run does and returns both its rows and
// their typed records, record i behind row i: for a front door that
// writes the rows and charts what they summarise (the HTML report).
func (s *Study) RunRecords(o Options) ([][]any, []Record, error) {
	return s.run(o)
}

// run is Run, keeping each unit's typed record beside its row.
func (s *Study) run(o Options) ([][]any, []Record, error) {
	shards := max(o.Shards, 1)
	var units []unit
	pointUnits := map[int]int{}
	var points []int
	for pi, p := range s.Points {
		if p.Index%shards != o.Shard || (o.Done != nil && o.Done(p.Index)) {
			continue
		}
		points = append(points, pi)
		for ti := range p.Topologies {
			for wi, w := range p.Workloads {
				for _, sz := range w.sizes() {
					units = append(units, unit{pi, ti, wi, sz})
					pointUnits[pi]++
				}
			}
		}
	}
	left, failed := map[int]int{}, map[int]bool{}
	for k, v := range pointUnits {
		left[k] = v
	}
	first := map[int]int{} // point -> first unit index
	for i, u := range units {
		if _, ok := first[u.point]; !ok {
			first[u.point] = i
		}
	}
	// Finished hands a point to PointDone once all its units have
	// finished without error, whichever order points finish in, so a
	// journal loses only what was running; the runner calls it under its
	// lock, and a point's rows are all written before its last unit
	// reports.
	var cbErr error
	rows := make([][]any, len(units)) // by unit, filled by the workers
	recs := make([]Record, len(units))
	r := Runner{Jobs: o.Jobs, Stop: o.Stop, Progress: o.Progress, Finished: func(i int, err error) {
		p := units[i].point
		left[p]--
		if err != nil {
			failed[p] = true
		}
		if left[p] == 0 && !failed[p] && o.PointDone != nil && cbErr == nil {
			start := first[p]
			cbErr = o.PointDone(s.Points[p].Index, rows[start:start+pointUnits[p]])
		}
	}}
	shared := &simCache{m: map[string]*simEntry{}}
	_, errs, stopped := Map(r, len(units), func() *worker { w := newWorker(s, shared); w.keep = o.KeepRequests; return w }, func(w *worker, i int) (struct{}, error) {
		rec, err := w.run(units[i])
		if err == nil {
			recs[i] = rec
			rows[i] = append(append([]any{}, s.Points[units[i].point].Lead...), All().Row(rec)...)
		}
		return struct{}{}, err
	})
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	if cbErr != nil {
		return nil, nil, cbErr
	}
	var out [][]any
	var outRecs []Record
	for _, p := range points {
		if left[p] != 0 {
			break
		}
		start := first[p]
		out = append(out, rows[start:start+pointUnits[p]]...)
		outRecs = append(outRecs, recs[start:start+pointUnits[p]]...)
	}
	if stopped {
		return out, outRecs, ErrStopped
	}
	return out, outRecs, nil
}

// CheckPlacements builds every topology of every point and places each
// collective workload's ranks and groups on it, without simulating: the
// errors a run would stop at first (too many ranks, groups that do not
// divide them, faults that name nothing).
func (s *Study) CheckPlacements() error {
	built := map[string]*topology.Topology{}
	for pi, p := range s.Points {
		for ti, t := range p.Topologies {
			top, ok := built[t.Key()]
			if !ok {
				var err error
				if top, err = t.Build(s.Source, ti); err != nil {
					return err
				}
				built[t.Key()] = top
			}
			for wi, w := range p.Workloads {
				if w.Collective == nil {
					continue
				}
				if _, err := w.Collective.Place(w.Collective.Fabric(top)); err != nil {
					return s.workloadError(unit{point: pi, topo: ti, work: wi}, "collective", err)
				}
			}
		}
	}
	return nil
}

// worker runs units, keeping built fabrics and engines for reuse.
type worker struct {
	s        *Study
	fabric   map[string]*network.Fabric
	engines  map[string]*infer.Engine
	trainers map[string]*train.Engine
	cache    *simCache
	keep     bool // keep served requests' records (Options.KeepRequests)
}

func newWorker(s *Study, c *simCache) *worker {
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

// run simulates one unit. A configuration that is well formed but cannot
// run as asked (infer.InfeasibleError) is a record too: its point,
// topology, workload and phase, feasible false and the reason; every other
// field is empty. Any other error names the sweep point and its values.
func (w *worker) run(u unit) (Record, error) {
	p := &w.s.Points[u.point]
	rec, err := w.simulate(u)
	var inf *infer.InfeasibleError
	switch wl := p.Workloads[u.work]; {
	case err == nil:
	case errors.As(err, &inf) && wl.Inference != nil:
		rec = &InfeasibleRecord{Workload: wl.Name, Phase: string(wl.Inference.Config.Phase), Why: inf.Reason}
		if wl.Inference.Disagg != nil {
			rec.(*InfeasibleRecord).Phase = string(DisaggPhase)
		}
	case errors.As(err, &inf) && wl.Serve != nil:
		rec = &InfeasibleRecord{Workload: wl.Name, Phase: ServePhase, Why: inf.Reason}
	default:
		if p.Describe != "" {
			err = fmt.Errorf("%s: %w", p.Describe, err)
		}
		return nil, err
	}
	rec.Label(p.Topologies[u.topo].Label, p.Workloads[u.work].Name, p.Cost)
	return rec, nil
}

// simulate runs unit u on its topology's fabric (built once per worker).
func (w *worker) simulate(u unit) (Record, error) {
	p := &w.s.Points[u.point]
	t, wl := p.Topologies[u.topo], p.Workloads[u.work]
	key := t.Key()
	// A collective that keeps traffic off the scale-up fabric routes on
	// a fabric of its own scope; every other workload shares one.
	scope := network.ScopeAll
	if wl.Collective != nil {
		scope = wl.Collective.Scope
	}
	fkey := key
	if scope != network.ScopeAll {
		fkey += "|scope=" + scope.String()
	}
	fab, ok := w.fabric[fkey]
	if !ok {
		top, err := t.Build(w.s.Source, u.topo)
		if err != nil {
			return nil, err
		}
		fab = network.NewScopedFabric(top, scope)
		w.fabric[fkey] = fab
	}
	switch {
	case wl.Inference != nil:
		return w.inference(u, key, fab)
	case wl.Serve != nil:
		return w.serve(u, key, fab)
	case wl.Training != nil:
		return w.training(u, key, fab)
	}
	job := wl.Collective
	gs, err := job.Place(fab)
	if err != nil {
		return nil, w.s.workloadError(u, "collective", err)
	}
	r, err := w.cache.get(fmt.Sprintf("%s|%s|%d", key, wl.Key, u.size), func() (collective.Result, error) {
		r, _, err := job.Run(gs, u.size, false)
		return r, err
	})
	if err != nil {
		return nil, w.s.workloadError(u, "collective", err)
	}
	e, err := power.Account(fab.Topo, p.Mode, r.TimeS, r.Activity)
	if err != nil {
		return nil, err
	}
	return &CollectiveRecord{Result: r, Energy: e}, nil
}

// inference runs an inference unit: the compiled job resolved on the
// topology; engines (and their collective-time caches) are kept per
// topology.
func (w *worker) inference(u unit, key string, fab *network.Fabric) (Record, error) {
	p := &w.s.Points[u.point]
	job, err := p.Workloads[u.work].Inference.For(fab.Topo)
	if err != nil {
		return nil, w.s.workloadError(u, "inference", err)
	}
	if job.Disagg != nil && len(p.Topologies[u.topo].Faults) > 0 {
		return nil, w.s.workloadError(u, "inference", errors.New("faults do not combine with phase disagg yet; run the prefill or decode phase alone with faults"))
	}
	job.SetPowerMode(p.Mode)
	eng, ok := w.engines[key]
	if !ok {
		eng = infer.NewEngine(fab.Topo)
		w.engines[key] = eng
	}
	rec, err := job.Run(eng, nil)
	if err != nil {
		return nil, w.s.workloadError(u, "inference", err)
	}
	return rec, nil
}

// serve runs a served unit: one offered rate of the job (the unit's size
// is the rate's index), or the search of the highest rate within the
// SLOs; engines are shared with inference units on the topology.
func (w *worker) serve(u unit, key string, fab *network.Fabric) (Record, error) {
	p := &w.s.Points[u.point]
	job, err := p.Workloads[u.work].Serve.For(fab.Topo)
	if err != nil {
		return nil, w.s.workloadError(u, "serve", err)
	}
	job.SetPowerMode(p.Mode)
	eng, ok := w.engines[key]
	if !ok {
		eng = infer.NewEngine(fab.Topo)
		w.engines[key] = eng
	}
	var rec *ServeRecord
	if job.Search {
		// A scenario's record is the search's best deployment.
		var recs []*ServeRecord
		var best int
		if recs, best, _, err = job.SearchDeployments(eng, nil); err == nil {
			rec = recs[best]
		}
	} else if job.FindMax {
		var recs []*ServeRecord
		if recs, err = job.Run(eng, w.keep, nil); err == nil {
			rec = recs[0]
		}
	} else {
		rec, err = job.RunLoad(eng, int(u.size), w.keep)
	}
	if err != nil {
		return nil, w.s.workloadError(u, "serve", err)
	}
	return rec, nil
}

// training runs a training unit; engines are kept per topology.
func (w *worker) training(u unit, key string, fab *network.Fabric) (Record, error) {
	p := &w.s.Points[u.point]
	cfg := *p.Workloads[u.work].Training
	cfg.PowerMode = p.Mode
	eng, ok := w.trainers[key]
	if !ok {
		eng = train.NewEngine(fab.Topo)
		w.trainers[key] = eng
	}
	r, err := eng.Run(cfg)
	if err != nil {
		return nil, w.s.workloadError(u, "training", err)
	}
	accels := cfg.Accelerators
	if accels == 0 {
		accels = len(fab.Topo.Accels)
	}
	return &TrainingRecord{Result: r, Accelerators: accels}, nil
}

// workloadError says where a workload failed on a topology: at the field
// the error names, where the source wrote it (Study.At), or at the
// workload.
func (s *Study) workloadError(u unit, kind string, err error) error {
	label := s.Points[u.point].Topologies[u.topo].Label
	var fe *field.Error
	if errors.As(err, &fe) && fe == err && s.At != nil {
		if placed := s.At(u.point, u.work, kind, label, fe); placed != nil {
			return placed
		}
	}
	return fmt.Errorf("%s: workloads[%d] on %s: %w", s.Source, u.work, label, err)
}
