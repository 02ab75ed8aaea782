package study

import (
	"fmt"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// Sweep simulates every size of the job on top with jobs workers, each
// with its own fabric (Map); results come back in size order whatever the
// number of workers. With groups each size runs them all at once: the
// result is the slowest group's, and conc holds every group's, together
// and alone. links keeps per-link statistics.
func (job *CollectiveJob) Sweep(top *topology.Topology, links bool, jobs int) (results []collective.Result, conc []collective.Concurrent, err error) {
	sizes := job.Sizes
	type worker struct {
		gs  []*collective.Group
		err error
	}
	newWorker := func() *worker {
		gs, err := job.Place(job.Fabric(top))
		return &worker{gs, err}
	}
	type out struct {
		r collective.Result
		c *collective.Concurrent
	}
	outs, errs, _ := Map(Runner{Jobs: jobs}, len(sizes), newWorker, func(w *worker, i int) (out, error) {
		if w.err != nil {
			return out{}, w.err
		}
		r, c, err := job.Run(w.gs, sizes[i], links)
		return out{r, c}, err
	})
	results = make([]collective.Result, len(sizes))
	if job.Groups > 1 {
		conc = make([]collective.Concurrent, len(sizes))
	}
	for i, o := range outs {
		results[i] = o.r
		if conc != nil && o.c != nil {
			conc[i] = *o.c
		}
	}
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("size %s: %w", units.FormatBytesBinary(float64(sizes[i])), err)
		}
	}
	return results, conc, nil
}

// Record runs the operation of res (one result per group, as Sweep gave
// them) again on top, each group with the algorithm and protocol its
// result reports, and returns the recording of its timeline (transfers
// and link loads; Recording.AddTo draws it into a trace).
func (job *CollectiveJob) Record(top *topology.Topology, res []collective.Result) (*collective.Recording, error) {
	gs, err := job.Place(job.Fabric(top))
	if err != nil {
		return nil, err
	}
	op, opts := job.Op, job.Options
	var jobs []collective.Job
	for i, g := range gs {
		o := opts
		o.Protocol = res[i].Protocol
		jobs = append(jobs, collective.Job{Group: g, Op: op, Algorithm: res[i].Algorithm, Bytes: res[i].SizeBytes, Options: o})
	}
	var rec collective.Recording
	if _, err := collective.Execute(gs[0].Fabric, collective.Request{Jobs: jobs, Trace: &rec}); err != nil {
		return nil, err
	}
	return &rec, nil
}

// WithFaults parses fault specs (switch:NAME, plane:N, link:A-B, accel:N,
// degrade:A-B=F) and returns the topology without and with them: the same
// topology twice when there are none.
func WithFaults(top *topology.Topology, specs []string) (healthy, faulty *topology.Topology, err error) {
	if len(specs) == 0 {
		return top, top, nil
	}
	fs, err := topology.ParseFaults(specs)
	if err != nil {
		return nil, nil, err
	}
	ft, err := top.WithFaults(fs)
	if err != nil {
		return nil, nil, fmt.Errorf("on %s: %w", top.Name, err)
	}
	return top, ft, nil
}
