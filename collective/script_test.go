package collective

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/internal/script"
	"github.com/cardsea/cardsea/network"
)

// TestScripts runs testdata/*.txt (see internal/script); -rewrite writes
// the actual output into them. Commands:
//
//	topo <topology>              build a topology and its fabric
//	                             (script.Topology's arguments)
//	group [ranks=N] [per-server] [per-accel] [list=I,J,...]
//	                             place the ranks (default every die)
//	compile op=OP algo=ALGO size=SIZE [proto=P] [chunks=C] [chunk-bytes=B]
//	                             compile a plan: its transfers (joins
//	                             counted apart), its steps (see steps),
//	                             its bytes and overhead
//	run op=OP algo=ALGO size=SIZE [proto=P] [chunks=C] [chunk-bytes=B] [links]
//	                             simulate it alone (Run): time, algbw,
//	                             busbw and link use; auto and the default
//	                             protocol print what was chosen
//	groups n=N [strided] op=OP algo=ALGO size=SIZE [proto=P]
//	                             split the group into N and run op on all
//	                             at once (RunGroups)
//	moe tokens=T topk=K experts=E dispatch=B combine=B
//	    [groups=G topk-groups=H] [dedup] [phase=dispatch|combine]
//	                             one MoE dispatch or combine (RunMoE), B
//	                             the bytes per token and destination rank
//
// Times print in microseconds, bandwidths in GB/s, with fixed digits.
func TestScripts(t *testing.T) {
	script.RunDir(t, "testdata", func(t *testing.T) script.Handler {
		s := &collScript{}
		return s.do
	})
}

type collScript struct {
	f *network.Fabric
	g *Group
}

func usf(s float64) string { return fmt.Sprintf("%.3f us", s*1e6) }

func gbs(r float64) string { return fmt.Sprintf("%.3f GB/s", r/1e9) }

// spec reads an operation's arguments.
func spec(c *script.Command) (Op, Algorithm, float64, Options, error) {
	op, err := ParseOp(c.Need("op"))
	if err != nil {
		return "", "", 0, Options{}, err
	}
	algo, err := ParseAlgorithm(c.String("algo", "auto"))
	if err != nil {
		return "", "", 0, Options{}, err
	}
	proto, err := ParseProtocol(c.String("proto", "auto"))
	if err != nil {
		return "", "", 0, Options{}, err
	}
	o := Options{Protocol: proto, Chunks: c.Int("chunks", 0), ChunkBytes: c.Bytes("chunk-bytes", 0)}
	return op, algo, c.Bytes("size", 0), o, nil
}

func (s *collScript) do(c *script.Command) (string, error) {
	if c.Name != "topo" && s.f == nil {
		return "", script.Usage("%s before topo", c.Name)
	}
	if s.g == nil && c.Name != "topo" && c.Name != "group" {
		g, err := NewGroup(s.f, Placement{})
		if err != nil {
			return "", err
		}
		s.g = g
	}
	var b strings.Builder
	switch c.Name {
	case "topo":
		top, err := script.Topology(c)
		if err != nil {
			return "", err
		}
		s.f, s.g = network.NewFabric(top), nil
		fmt.Fprintf(&b, "%s: %d dies in %d domains", top.Name, len(top.Dies()), top.Domains)
	case "group":
		g, err := NewGroup(s.f, Placement{Ranks: c.Int("ranks", 0), PerServer: c.Has("per-server"), PerAccel: c.Has("per-accel"), List: c.Ints("list")})
		if err != nil {
			return "", err
		}
		s.g = g
		var names []string
		for i, d := range g.Dies {
			if g.Size() > 4 && i == 3 {
				names = append(names, "...", s.f.Topo.Nodes[g.Dies[g.Size()-1]].Name)
				break
			}
			names = append(names, s.f.Topo.Nodes[d].Name)
		}
		fmt.Fprintf(&b, "%d ranks (%s) in %d domains", g.Size(), strings.Join(names, " "), g.Domains())
	case "compile":
		op, algo, size, o, err := spec(c)
		if err != nil {
			return "", err
		}
		p, err := Compile(s.g, op, algo, size, o)
		if err != nil {
			return "", err
		}
		joins := 0
		for _, x := range p.xfers {
			if x.join {
				joins++
			}
		}
		form := ""
		if len(p.rings) == 1 {
			form = ", ring form"
		} else if len(p.rings) > 1 {
			form = fmt.Sprintf(", ring form, %d rings", len(p.rings))
		}
		fmt.Fprintf(&b, "%s %s %s, %d ranks%s\n", p.Op, p.Algorithm, p.Protocol, p.Ranks, form)
		fmt.Fprintf(&b, "transfers %d (joins %d), steps %d\n", p.Transfers(), joins, steps(p))
		fmt.Fprintf(&b, "sent bytes %.6g, overhead %s", p.WireBytes(), usf(p.Overhead.Seconds()))
	case "run":
		op, algo, size, o, err := spec(c)
		if err != nil {
			return "", err
		}
		r, err := runTuned(s.g, op, algo, size, o, c.Has("links"))
		if err != nil {
			return "", err
		}
		writeResult(&b, r)
		for _, l := range r.Links {
			fmt.Fprintf(&b, "  %s: %.6g bytes, busy %s, peak %.4f\n", l.Name, l.Bytes, usf(l.BusyS), l.PeakUtil)
		}
	case "groups":
		n, strided := c.Int("n", 0), c.Has("strided")
		op, algo, size, o, err := spec(c)
		if err != nil {
			return "", err
		}
		gs, err := s.g.Split(n, strided)
		if err != nil {
			return "", err
		}
		res, err := runGroups(gs, op, algo, size, o, false)
		if err != nil {
			return "", err
		}
		for i, r := range res.Together {
			fmt.Fprintf(&b, "group %d (%s ...): %s %s, together %s, alone %s, slowdown %.4f\n", i, s.f.Topo.Nodes[gs[i].Dies[0]].Name,
				r.Algorithm, r.Protocol, usf(r.TimeS), usf(r.AloneS), r.TimeS/r.AloneS)
		}
		fmt.Fprintf(&b, "slowest group %d", res.Slowest)
	case "moe":
		m := MoE{
			TokensPerRank: c.Int("tokens", 0), TopK: c.Int("topk", 0), Experts: c.Int("experts", 0),
			Groups: c.Int("groups", 0), TopKGroups: c.Int("topk-groups", 0), DomainDedup: c.Has("dedup"),
		}
		m.DispatchBytesPerToken = c.Bytes("dispatch", 0)
		m.CombineBytesPerToken = c.Bytes("combine", 0)
		combine := false
		switch ph := c.String("phase", "dispatch"); ph {
		case "dispatch":
		case "combine":
			combine = true
		default:
			return "", script.Usage("phase=%s; want dispatch or combine", ph)
		}
		stages, err := m.Stages(s.g, combine)
		if err != nil {
			return "", err
		}
		for i, st := range stages {
			fmt.Fprintf(&b, "stage %d: %.6g bytes per rank\n", i, RowBytes(st))
		}
		r, err := runMoEOne(s.g, m, combine, false)
		if err != nil {
			return "", err
		}
		writeResult(&b, r)
	default:
		return "", script.Usage("unknown command %q", c.Name)
	}
	return b.String(), nil
}

func writeResult(b *strings.Builder, r Result) {
	fmt.Fprintf(b, "%s %s %s, %d ranks, %.6g bytes: %s\n", r.Op, r.Algorithm, r.Protocol, r.Ranks, r.SizeBytes, usf(r.TimeS))
	fmt.Fprintf(b, "algbw %s, busbw %s, transfers %d\n", gbs(r.AlgBW), gbs(r.BusBW), r.Transfers)
	fmt.Fprintf(b, "wire bytes %.6g, peak link %.4f, mean busy %.4f\n", r.WireBytes, r.PeakLinkUtil, r.MeanLinkBusy)
}

// steps is the most transfers (joins not counted) any chain of data
// dependencies in p holds, a transfer waiting for another to arrive: the
// plan's step count. A send that waits only for the rank's previous send
// to leave streams behind it (pipelining) and starts no new step.
// Builders add a transfer after everything it waits for, so one pass in
// index order settles every depth.
func steps(p *Plan) int {
	if p.rings != nil {
		// Step k's chunk c waits for step k-1's chunk c to arrive.
		return p.rings[0].steps
	}
	depth := make([]int, len(p.xfers))
	best := 0
	for i := range p.xfers {
		if !p.xfers[i].join {
			depth[i]++
		}
		best = max(best, depth[i])
		for _, j := range p.arrivalDeps(int32(i)) {
			depth[j] = max(depth[j], depth[i])
		}
	}
	return best
}
