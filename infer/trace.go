package infer

import (
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
)

// AddTrace lays one step of r out as a timeline: a track per serving
// accelerator with each layer's computation followed by its exposed
// communication (the part micro-batching did not hide), and a track of the
// fabric with each layer's communication, overlapping or not. Every
// accelerator does the same work in lockstep, so their tracks match.
func AddTrace(tr *trace.Trace, t *topology.Topology, r Result) {
	acc := tr.Process("accelerators")
	fab := tr.Process("fabric")
	comm := tr.Thread(fab, "collectives (dispatch, combine, TP allreduce, PP send)")
	tids := make([]int, r.Accelerators)
	for i := range tids {
		tids[i] = tr.Thread(acc, t.Nodes[t.Accels[i].Dies[0]].Name)
	}
	at := 0.0
	for _, l := range r.Layers {
		compute := min(l.ComputeS, l.StepS)
		if l.Name == runtimeLayer {
			// The serving engine's share: the host's work the device
			// waits for, and the gap between steps.
			for _, tid := range tids {
				tr.Span(acc, tid, "engine runtime (host work, gap between steps)", at, at+l.StepS, nil)
			}
			at += l.StepS
			continue
		}
		for _, tid := range tids {
			if compute > 0 {
				tr.Span(acc, tid, l.Name+" compute", at, at+compute, nil)
			}
			if l.StepS > compute {
				tr.Span(acc, tid, l.Name+" waiting on the fabric", at+compute, at+l.StepS, nil)
			}
		}
		if l.CommS > 0 {
			// With overlap the communication runs beside the computation;
			// place it to end with the layer.
			start := max(at, at+l.StepS-l.CommS)
			tr.Span(fab, comm, l.Name+" communication", start, at+l.StepS, map[string]any{"hidden_s": max(0, l.CommS-(l.StepS-compute))})
		}
		at += l.StepS
	}
}
