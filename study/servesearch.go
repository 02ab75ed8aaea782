package study

import (
	"fmt"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/topology"
)

// Deployments lists the deployments a deployment search tries on t for
// the job's accelerators (its instances' total, or the whole topology):
//
//   - colocated: instances of 1, 2, 4, ... accelerators (powers of two
//     that divide the total, and the total), as many as fill it; a dense
//     model runs TP over an instance's dies, a MoE model attention data
//     parallelism with EP over them;
//   - disaggregated (the spec gives a prefill instance's size): 1 to 8
//     prefill instances of that size, and one decode instance of the
//     rest.
//
// Cost: one job per deployment; a search runs the rate search on each.
func (j *ServeJob) Deployments(t *topology.Topology) ([]*ServeJob, error) {
	total := len(t.Accels) - j.Instance.Config.FirstAccelerator
	if a := j.Instance.Config.Accelerators; a > 0 {
		total = a * j.Config.Replicas
		if j.Prefill != nil {
			total += j.Prefill.Config.Accelerators * j.Config.PrefillReplicas
		}
	}
	dies := t.Accels[0].Spec.Dies
	m := j.Instance.Config.Model
	var out []*ServeJob
	if j.Prefill != nil {
		p := j.Prefill.Config.Accelerators
		for k := 1; k <= 8 && total-k*p >= p; k++ {
			c := j.clone()
			c.Config.PrefillReplicas, c.Config.Replicas = k, 1
			c.Instance.Config.Accelerators = total - k*p
			out = append(out, c)
		}
	} else {
		var sizes []int
		for s := 1; s < total; s *= 2 {
			if total%s == 0 {
				sizes = append(sizes, s)
			}
		}
		sizes = append(sizes, total)
		for _, s := range sizes {
			c := j.clone()
			c.Instance.Config.Accelerators, c.Config.Replicas = s, total/s
			if m.MoE == nil {
				tp := s * dies
				if m.Attention.Heads%tp != 0 {
					continue
				}
				c.Instance.Config.TP = tp
			} else {
				c.Instance.Config.TP, c.Instance.Config.EP = 1, 0
			}
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, field.Errorf("search_deployment", "no deployment of %s's %d accelerators to try", t.Name, total)
	}
	return out, nil
}

// clone copies the job with its own instance configurations.
func (j *ServeJob) clone() *ServeJob {
	c := *j
	inst := *j.Instance
	c.Instance = &inst
	if j.Prefill != nil {
		pre := *j.Prefill
		c.Prefill = &pre
	}
	c.FindMax = true
	return &c
}

// SearchDeployments runs the rate search (the highest rate within the
// SLOs) on each of Deployments and returns one record per deployment that
// can serve, in order, and the index of the best: the most output tokens
// per second per facility MW at its highest rate. A deployment that does
// not fit or meets the limits at no rate is skipped; if none can serve,
// the first reason is the error.
func (j *ServeJob) SearchDeployments(e *infer.Engine, progress func(done, total int)) (recs []*ServeRecord, best int, skipped []string, err error) {
	cands, err := j.Deployments(e.Topo)
	if err != nil {
		return nil, 0, nil, err
	}
	var out []*ServeRecord
	best = -1
	var first error
	for i, c := range cands {
		recs, err := c.maxRate(e, false, nil)
		if progress != nil {
			progress(i+1, len(cands))
		}
		if err != nil {
			// It does not fit, its parallelism does not divide, or no rate
			// meets the limits: the search goes on without it.
			if first == nil {
				first = fmt.Errorf("%s: %w", c.describe(), err)
			}
			skipped = append(skipped, fmt.Sprintf("%s: %v", c.describe(), err))
			continue
		}
		r := recs
		r.Deployment = c.describe()
		out = append(out, r)
		if best < 0 || r.Result.TokensPerSPerProvisionedMW > out[best].Result.TokensPerSPerProvisionedMW {
			best = len(out) - 1
		}
	}
	if best < 0 {
		return nil, 0, skipped, first
	}
	out[best].Best = true
	return out, best, skipped, nil
}

// describe names a deployment for messages.
func (j *ServeJob) describe() string {
	c := j.Instance.Config
	if j.Prefill != nil {
		return fmt.Sprintf("%s of %d accelerators and a decode instance of %d", plural(j.Config.PrefillReplicas, "prefill instance"), j.Prefill.Config.Accelerators, c.Accelerators)
	}
	return fmt.Sprintf("%s of %d accelerators (TP %d)", plural(j.Config.Replicas, "instance"), c.Accelerators, c.TP)
}

// plural is "1 instance" or "n instances".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
