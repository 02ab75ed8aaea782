package scenario

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
)

// DefaultPricePerKWh is the electricity price when a scenario gives none (USD).
const DefaultPricePerKWh = study.DefaultPricePerKWh

// Options control a run (study.Options).
type Options = study.Options

// ErrStopped is returned when Options.Stop ended a run early.
var ErrStopped = study.ErrStopped

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

// Run simulates the scenario on the study layer's runner and returns its
// records, in point order.
func (s *Scenario) Run(o Options) (*report.Sheet, error) {
	rows, err := s.Study().Run(o)
	if err != nil && !errors.Is(err, ErrStopped) {
		return nil, err
	}
	return &report.Sheet{Columns: s.Columns(), Rows: rows}, err
}

// RunRecords runs the scenario as Run does and returns, beside the
// sheet, each row's typed record (record i behind row i).
func (s *Scenario) RunRecords(o Options) (*report.Sheet, []study.Record, error) {
	rows, recs, err := s.Study().RunRecords(o)
	if err != nil && !errors.Is(err, ErrStopped) {
		return nil, nil, err
	}
	return &report.Sheet{Columns: s.Columns(), Rows: rows}, recs, err
}

// Units is how many simulations point p holds.
func (s *Scenario) Units(p int) int { return s.Study().Points[p].Units() }

// Study is the scenario compiled for the study layer: every point's
// topologies, workloads and power settings, typed, with errors about a
// workload's fields placed at their line and column.
func (s *Scenario) Study() *study.Study {
	s.once.Do(func() {
		st := &study.Study{Source: s.Path, At: s.fieldAt}
		for _, p := range s.Points {
			st.Points = append(st.Points, s.point(p))
		}
		s.study = st
	})
	return s.study
}

// point compiles point p for the study layer.
func (s *Scenario) point(p Point) study.Point {
	sp := study.Point{Index: p.Index, Lead: []any{or(s.File.Name, "scenario"), p.Index, len(s.Points)}, Mode: p.jobs.mode, Cost: p.jobs.cost}
	for _, v := range p.Values {
		sp.Lead = append(sp.Lead, v)
	}
	if len(s.Params) > 0 {
		sp.Describe = fmt.Sprintf("sweep point %d (%s)", p.Index, describePoint(s.Params, p.Values))
	}
	for ti, ref := range p.File.Topologies {
		ct := p.jobs.topos[ti]
		sp.Topologies = append(sp.Topologies, study.Topology{Label: ref.label(), Name: ref.topologyName(s.Path), Domains: ref.Domains,
			Transport: strings.ToLower(ref.ScaleOut), Overrides: ct.overrides, Faults: ct.faults, FaultSpecs: ref.Faults})
	}
	for wi, w := range p.File.Workloads {
		sw := study.Workload{Name: w.Name, Collective: p.jobs.coll[wi], Inference: p.jobs.infer[wi], Training: p.jobs.train[wi], Serve: p.jobs.serve[wi]}
		switch {
		case w.Collective != nil:
			sw.Key = fmt.Sprintf("%+v", *w.Collective)
			if sw.Name == "" {
				sw.Name = "collective " + w.Collective.Op
			}
		case w.Inference != nil && sw.Name == "":
			sw.Name = sw.Inference.String()
		case w.Training != nil && sw.Name == "":
			sw.Name = sw.Training.Model.Name + " training"
		case w.Serve != nil && sw.Name == "":
			sw.Name = sw.Serve.Instance.Config.Model.Name + " service"
		}
		sp.Workloads = append(sp.Workloads, sw)
	}
	return sp
}

// fieldAt places an error about a field of workload work of point pi at
// its line and column in the file, e.g. "s.yaml:7:21: field
// `workloads[0].inference.dp`: 3 x pp 1 does not divide the 8 serving
// dies (on hgx-h100)"; nil when the file has no such field.
func (s *Scenario) fieldAt(pi, work int, kind, topo string, fe *field.Error) error {
	path := fmt.Sprintf("workloads[%d].%s.%s", work, kind, fe.Field)
	n := strictyaml.Find(s.Points[pi].root, path)
	if n == nil {
		return nil
	}
	return at(s.Path, n, path, "%s (on %s)", fe.Message(), topo)
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
