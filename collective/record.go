package collective

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
	"github.com/cardsea/cardsea/units"
)

// Recording is what RunJobsTraced saw of a run: each job's span, every
// transfer and every change of a channel's load, in simulated time. AddTo
// turns it into a trace. Recording costs memory in proportion to the
// transfers; runs without one record nothing.
type Recording struct {
	Fabric    *network.Fabric
	Jobs      []JobRecord
	Transfers []TransferRecord // in the order they entered the network
	Loads     []LoadSample     // in time order; at most one per channel and time

	last []int32 // per channel, its latest sample in Loads, or -1
}

// JobRecord is one job of a recorded run.
type JobRecord struct {
	Op        Op
	Algorithm Algorithm
	Protocol  Protocol
	Bytes     float64
	Dies      []topology.NodeID // the ranks
	// Start and End bound the job: End is when its last transfer arrived.
	Start, End sim.Time
}

// TransferRecord is one transfer of a recorded run.
type TransferRecord struct {
	Job      int
	Src, Dst network.Vertex
	// SrcRank and DstRank index the job's ranks (JobRecord.Dies); -1 is a
	// vertex that is no rank, such as a reducing switch class (NVLS).
	SrcRank, DstRank int
	Bytes            float64
	// Start is when the bytes entered the network (after the step
	// latency), Sent when the last byte left the source, Arrived when it
	// arrived (-1 if the run ended first).
	Start, Sent, Arrived sim.Time
}

// LoadSample is a channel's load (bytes/s) from At until its next sample.
type LoadSample struct {
	Ch        int32
	At        sim.Time
	BytesPerS float64
}

func (r *Recording) reset(f *network.Fabric) {
	*r = Recording{Fabric: f, last: make([]int32, len(f.Channels()))}
	for c := range r.last {
		r.last[c] = -1
	}
}

// LoadChanged implements network.Observer: it keeps the last load reported
// for a channel at one time, and drops repeats of an unchanged load.
func (r *Recording) LoadChanged(ch int32, at sim.Time, bytesPerS float64) {
	for int(ch) >= len(r.last) {
		r.last = append(r.last, -1)
	}
	if k := r.last[ch]; k >= 0 {
		s := &r.Loads[k]
		if s.At == at {
			s.BytesPerS = bytesPerS
			return
		}
		if s.BytesPerS == bytesPerS {
			return
		}
	} else if bytesPerS == 0 {
		return
	}
	r.last[ch] = int32(len(r.Loads))
	r.Loads = append(r.Loads, LoadSample{Ch: ch, At: at, BytesPerS: bytesPerS})
}

// finish fills in the jobs and the ranks of the transfers after a run.
func (r *Recording) finish(jobs []Job, plans []*Plan, ends []sim.Time) {
	rankOf := make([]map[network.Vertex]int, len(jobs))
	for i, j := range jobs {
		r.Jobs = append(r.Jobs, JobRecord{Op: j.Op, Algorithm: j.Algorithm, Protocol: plans[i].Protocol, Bytes: j.Bytes,
			Dies: j.Group.Dies, Start: sim.FromSeconds(j.Start), End: ends[i]})
		rankOf[i] = map[network.Vertex]int{}
		for k, v := range j.Group.verts {
			rankOf[i][v] = k
		}
	}
	for k := range r.Transfers {
		t := &r.Transfers[k]
		t.SrcRank, t.DstRank = -1, -1
		if k, ok := rankOf[t.Job][t.Src]; ok {
			t.SrcRank = k
		}
		if k, ok := rankOf[t.Job][t.Dst]; ok {
			t.DstRank = k
		}
	}
}

// AddTo adds the recording to a trace as three processes:
//
//   - "ranks": a thread per rank (accelerator die), with a span for every
//     stretch of time it was sending, named by whom it sent to ("send to
//     acc1", or "send to 7 peers" when sends overlap); the gaps are the
//     rank waiting (for data, or its step latency). Transfers that leave a
//     switch class (in-network reduction) get a thread per class in a
//     "switches" process.
//   - "links": a counter per channel class that carried traffic, its
//     utilisation in percent (load / capacity) over time.
//   - "op": a thread per job with one span for the whole operation.
func (r *Recording) AddTo(t *trace.Trace) {
	f := r.Fabric
	// Senders: rank dies first (in die order), then other vertices.
	type sender struct {
		v     network.Vertex
		rank  bool
		spans []span
	}
	senders := map[network.Vertex]*sender{}
	for _, j := range r.Jobs {
		for _, d := range j.Dies {
			v := f.Vertex(d)
			if senders[v] == nil {
				senders[v] = &sender{v: v, rank: true}
			}
		}
	}
	for _, x := range r.Transfers {
		s := senders[x.Src]
		if s == nil {
			s = &sender{v: x.Src}
			senders[x.Src] = s
		}
		if x.Sent >= x.Start {
			s.spans = append(s.spans, span{x.Start, x.Sent, x.Dst})
		}
	}
	order := make([]*sender, 0, len(senders))
	for _, s := range senders {
		order = append(order, s)
	}
	slices.SortFunc(order, func(a, b *sender) int {
		if a.rank != b.rank {
			if a.rank {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.v, b.v)
	})
	ranks := t.Process("ranks")
	switches := -1
	for _, s := range order {
		pid := ranks
		if !s.rank {
			if switches < 0 {
				switches = t.Process("switches")
			}
			pid = switches
		}
		tid := t.Thread(pid, f.Name(s.v))
		for _, seg := range segments(s.spans) {
			t.Span(pid, tid, sendName(f, seg.to), seg.from.Seconds(), seg.until.Seconds(), nil)
		}
	}

	links := t.Process("links")
	chans := f.Channels()
	for _, l := range r.Loads {
		c := chans[l.Ch]
		u := 100 * l.BytesPerS / c.BytesPerS
		u = math.Round(u*1e6) / 1e6
		t.Counter(links, f.ChannelName(int(l.Ch))+" (%)", l.At.Seconds(), u)
	}

	op := t.Process("op")
	for i, j := range r.Jobs {
		name := fmt.Sprintf("%s %s %s %s", j.Op, j.Algorithm, j.Protocol, units.FormatBytesBinary(j.Bytes))
		thread := string(j.Op)
		if len(r.Jobs) > 1 {
			thread = fmt.Sprintf("job %d: %s", i, j.Op)
		}
		tid := t.Thread(op, thread)
		t.Span(op, tid, name, j.Start.Seconds(), j.End.Seconds(), map[string]any{"bytes": j.Bytes, "ranks": len(j.Dies)})
	}
}

// span is one transfer's time on its sender: [from, until) to a vertex.
type span struct {
	from, until sim.Time
	to          network.Vertex
}

// segment is a stretch of time with one set of peers being sent to.
type segment struct {
	from, until sim.Time
	to          []network.Vertex // sorted, distinct
}

// segments cuts possibly overlapping spans into consecutive stretches with
// a constant set of peers, so that a track never holds overlapping spans;
// neighbouring stretches with the same peers merge.
func segments(spans []span) []segment {
	type point struct {
		at   sim.Time
		d    int
		peer network.Vertex
	}
	var pts []point
	for _, s := range spans {
		if s.until > s.from {
			pts = append(pts, point{s.from, 1, s.to}, point{s.until, -1, s.to})
		}
	}
	slices.SortFunc(pts, func(a, b point) int { return cmp.Compare(a.at, b.at) })
	active := map[network.Vertex]int{}
	var out []segment
	for i := 0; i < len(pts); {
		at := pts[i].at
		for ; i < len(pts) && pts[i].at == at; i++ {
			active[pts[i].peer] += pts[i].d
			if active[pts[i].peer] == 0 {
				delete(active, pts[i].peer)
			}
		}
		if len(active) == 0 || i == len(pts) {
			continue
		}
		peers := make([]network.Vertex, 0, len(active))
		for v := range active {
			peers = append(peers, v)
		}
		slices.Sort(peers)
		next := pts[i].at
		if k := len(out) - 1; k >= 0 && out[k].until == at && slices.Equal(out[k].to, peers) {
			out[k].until = next
			continue
		}
		out = append(out, segment{at, next, peers})
	}
	return out
}

func sendName(f *network.Fabric, to []network.Vertex) string {
	if len(to) > 3 {
		return fmt.Sprintf("send to %d peers", len(to))
	}
	names := make([]string, len(to))
	for i, v := range to {
		names[i] = f.Name(v)
	}
	return "send to " + strings.Join(names, ", ")
}
