package scenario

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/train"
)

// DefaultPricePerKWh is the electricity price when a scenario gives none (USD).
const DefaultPricePerKWh = study.DefaultPricePerKWh

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
// each swept parameter, then the record schema (study.Fields).
func (s *Scenario) Columns() []report.Column {
	cols := []report.Column{
		{Key: "scenario", Header: "Scenario"},
		{Key: "point", Header: "Point"},
		{Key: "points", Header: "Points"},
	}
	for _, p := range s.Params {
		cols = append(cols, report.Column{Key: strings.ReplaceAll(p, ".", "_"), Header: p})
	}
	return append(cols, study.All().Columns()...)
}

// record is a record's cells in the scenario's columns after lead.
func record(lead []any, r study.Record) []any {
	return append(lead, study.All().Row(r)...)
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
			for wi := range p.File.Workloads {
				for _, sz := range p.jobs.sizes(wi) {
					units = append(units, unit{p.Index, ti, wi, sz})
					pointUnits[p.Index]++
				}
			}
		}
	}
	var (
		left   = map[int]int{}
		cbErr  error
		failed = map[int]bool{}
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
	shared := &simCache{m: map[string]*simEntry{}}
	// Finished hands point p to PointDone once all its units have finished
	// without error, whichever order points finish in, so a journal loses
	// only what was running; the runner calls it under its lock, and a
	// point's rows are all written before its last unit reports.
	pending := make([][]any, len(units)) // rows by unit, filled by the workers
	r := study.Runner{Jobs: o.Jobs, Stop: o.Stop, Progress: o.Progress, Finished: func(i int, err error) {
		p := units[i].point
		left[p]--
		if err != nil {
			failed[p] = true
		}
		if left[p] == 0 && !failed[p] && o.PointDone != nil && cbErr == nil {
			start := first[p]
			cbErr = o.PointDone(p, pending[start:start+pointUnits[p]])
		}
	}}
	_, errs, stopped := study.Map(r, len(units), func() *worker { return newWorker(s, shared) }, func(w *worker, i int) (struct{}, error) {
		row, err := w.run(units[i])
		pending[i] = row
		return struct{}{}, err
	})
	rows := pending
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
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
		return row, nil
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
	phase := or(wl.Inference.Phase, string(infer.Decode))
	name := wl.Name
	if name == "" {
		name = wl.Inference.Model + " " + phase
	}
	return record(w.lead(u), &study.InfeasibleRecord{Topology: ref.label(), Workload: name, Phase: phase, Why: inf.Reason}), nil
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
	mode, cost := p.jobs.mode, p.jobs.cost
	lead := w.lead(u)
	key := w.s.topologyKey(u.point, u.topo)
	fab, ok := w.fabric[key]
	if !ok {
		t, err := w.s.build(u.point, u.topo)
		if err != nil {
			return nil, err
		}
		fab = network.NewFabric(t)
		w.fabric[key] = fab
	}
	if wl.Inference != nil {
		return w.runInference(u, key, fab, ref, wl, mode, cost, lead)
	}
	if wl.Training != nil {
		return w.runTraining(u, key, fab, ref, wl, mode, cost, lead)
	}
	job := p.jobs.coll[u.work]
	gs, err := job.Place(fab)
	if err != nil {
		return nil, w.s.workloadError(u, "collective", ref, err)
	}
	simKey := fmt.Sprintf("%s|%+v|%d", key, *c, u.size)
	r, err := w.cache.get(simKey, func() (collective.Result, error) {
		r, _, err := job.Run(gs, u.size, false)
		return r, err
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
	return record(lead, &study.CollectiveRecord{Topology: ref.label(), Workload: wname, Result: r, Energy: e, Cost: cost}), nil
}

// runInference runs one inference workload unit: the point's compiled
// job, resolved on the topology and run by the study layer; engines (and
// their collective-time caches) are kept per topology.
func (w *worker) runInference(u unit, key string, fab *network.Fabric, ref TopologyRef, wl Workload, mode power.Mode, cost power.Cost, lead []any) ([]any, error) {
	where := func(err error) error { return w.s.workloadError(u, "inference", ref, err) }
	job, err := w.s.Points[u.point].jobs.infer[u.work].For(fab.Topo)
	if err != nil {
		return nil, where(err)
	}
	if job.Disagg != nil && len(ref.Faults) > 0 {
		return nil, where(fmt.Errorf("faults do not combine with phase disagg yet; run the prefill or decode phase alone with faults"))
	}
	job.SetPowerMode(mode)
	eng, ok := w.engines[key]
	if !ok {
		eng = infer.NewEngine(fab.Topo)
		w.engines[key] = eng
	}
	rec, err := job.Run(eng, nil)
	if err != nil {
		return nil, where(err)
	}
	name := wl.Name
	if name == "" {
		name = job.String()
	}
	rec.Label(ref.label(), name, cost)
	return record(lead, rec), nil
}

// runTraining runs one training workload unit; engines are kept per
// topology.
func (w *worker) runTraining(u unit, key string, fab *network.Fabric, ref TopologyRef, wl Workload, mode power.Mode, cost power.Cost, lead []any) ([]any, error) {
	cfg := *w.s.Points[u.point].jobs.train[u.work]
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
	return record(lead, &study.TrainingRecord{Topology: ref.label(), Workload: wname, Result: r, Cost: cost, Accelerators: accels}), nil
}

// Units is how many simulations point p holds.
func (s *Scenario) Units(p int) int {
	n := 0
	f := s.Points[p].File
	for range f.Topologies {
		for wi := range f.Workloads {
			n += len(s.Points[p].jobs.sizes(wi))
		}
	}
	return n
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

// workloadError says where a workload failed on a topology: at the field
// the error names (a field.Error from the study layer or a library) with
// its line and column in the file, e.g. "s.yaml:7:21: field
// `workloads[0].inference.dp`: 3 x pp 1 does not divide the 8 serving
// dies (on hgx-h100)", or at the workload.
func (s *Scenario) workloadError(u unit, kind string, ref TopologyRef, err error) error {
	var fe *field.Error
	if errors.As(err, &fe) && fe == err {
		path := fmt.Sprintf("workloads[%d].%s.%s", u.work, kind, fe.Field)
		if n := strictyaml.Find(s.Points[u.point].root, path); n != nil {
			return at(s.Path, n, path, "%s (on %s)", fe.Message(), ref.label())
		}
	}
	return fmt.Errorf("%s: workloads[%d] on %s: %w", s.Path, u.work, ref.label(), err)
}
