package scenario

import (
	"fmt"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/trace"
)

// TraceLast adds to tr the timeline of the scenario's last simulation (the
// last point, topology, workload and size): a collective's transfers and
// link loads, or an inference step's layers.
func (s *Scenario) TraceLast(tr *trace.Trace) error {
	p := s.Points[len(s.Points)-1]
	f := p.File
	ref := f.Topologies[len(f.Topologies)-1]
	wl := f.Workloads[len(f.Workloads)-1]
	t, err := s.Study().Points[len(s.Points)-1].Topologies[len(f.Topologies)-1].Build(s.Path, len(f.Topologies)-1)
	if err != nil {
		return err
	}
	if wl.Inference != nil {
		job, err := p.jobs.infer[len(f.Workloads)-1].For(t)
		if err != nil {
			return fmt.Errorf("%s: %w", ref.label(), err)
		}
		if job.Disagg != nil {
			return fmt.Errorf("%s: traces of phase disagg are not written yet; trace the prefill or decode phase alone", ref.label())
		}
		rec, err := job.Run(infer.NewEngine(t), nil)
		if err != nil {
			return err
		}
		infer.AddTrace(tr, t, rec.(*study.InferenceRecord).Result)
		return nil
	}
	if wl.Training != nil {
		return fmt.Errorf("%s: traces of training steps are not written yet; trace a collective or inference workload", ref.label())
	}
	job := p.jobs.coll[len(f.Workloads)-1]
	size := float64(job.Sizes[len(job.Sizes)-1])
	fab := network.NewFabric(t)
	gs, err := job.Place(fab)
	if err != nil {
		return err
	}
	// Each group with the algorithm and protocol fastest for it alone,
	// as the run chose them.
	r, conc, err := job.Run(gs, int64(size), false)
	if err != nil {
		return fmt.Errorf("%s: %w", ref.label(), err)
	}
	last := []collective.Result{r}
	if conc != nil {
		last = conc.Together
	}
	rec, err := job.Record(t, last)
	if err != nil {
		return err
	}
	rec.AddTo(tr)
	return nil
}
