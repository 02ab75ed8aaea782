package collective

// NVLS (NVLink SHARP): the switches reduce in the network. Every rank sends
// its chunk up to its switch class once; when all n have arrived the
// switch multicasts the reduced chunk down to every rank. Chunks pipeline:
// a rank sends chunk c+1 up as soon as chunk c has left.
//
//	allreduce      S in c chunks (c = chunks(S/n)): per chunk n sends up,
//	               one join, n sends down of S/c: c·(2n+1) transfers
//	               (joins included), 2 steps (up, down); the chunks
//	               pipeline, so it takes about c+1 chunk times
//	reducescatter  as allreduce, each rank receiving S/(c·n) per chunk
//
// Bytes up and down are scaled by the link efficiency over the switch's
// reduce_efficiency, and the operation pays the switch's reduce_latency
// in place of a smaller op_overhead. It needs every rank attached to one
// reducing switch class and runs the Simple protocol only.

import (
	"fmt"

	"github.com/cardsea/cardsea/network"

	"github.com/cardsea/cardsea/sim"
)

// nvls reduces in the switches: every rank sends its data up once, the
// switch reduces and multicasts the result down, chunk by chunk. The
// operation pays the switch's reduce_latency (NCCL's NVLS set-up and
// synchronisation) in place of a smaller op_overhead.
func (p *Plan) nvls(g *Group, op Op, bytes float64, chunks int) error {
	switch sc := g.Fabric.Scope(); {
	case sc == network.ScopeNone:
		return fmt.Errorf("nvls needs the scale-up fabric, and p2p_disable keeps every transfer off it (use ring or tree)")
	case sc == network.ScopeServer && g.spans:
		servers, _ := domainsOf(g)
		return fmt.Errorf("nvls needs every rank in one NVLink domain; with mnnvl_disable each server is one, and the ranks span %d servers (use ring, tree or hier)", len(servers))
	}
	sw := g.Fabric.FirstHop(g.Dies[0])
	for i, d := range g.Dies {
		if h := g.Fabric.FirstHop(d); h != sw || h < 0 {
			return fmt.Errorf("nvls needs every rank on one set of switch chips; rank 0 and rank %d attach to different ones (use hier or ring)", i)
		}
	}
	red, eff := g.Fabric.IsReducing(sw)
	if !red {
		return fmt.Errorf("nvls needs switches that reduce in the network (NVLink SHARP); %s's %s do not (use ring, tree or direct)",
			g.Fabric.Topo.Name, g.Fabric.Name(sw))
	}
	n := g.Size()
	p.Overhead = max(p.Overhead, sim.FromSeconds(g.Fabric.ReductionLatency(sw)))
	// Switch reduction runs at eff times the raw port rate; the channels
	// already carry the link's protocol efficiency, so scale the bytes by
	// the ratio of the two.
	linkEff := 1.0
	for _, c := range g.Fabric.Channels() {
		if c.From == g.verts[0] && c.To == sw && c.RawBytesPerS > 0 {
			linkEff = c.BytesPerS / c.RawBytesPerS
		}
	}
	upBytes := bytes / float64(chunks) * linkEff / eff
	downBytes := upBytes
	if op == ReduceScatter {
		downBytes /= float64(n)
	}
	prevUp := make([]int32, n)
	prevDown := make([]int32, n)
	for i := range n {
		prevUp[i], prevDown[i] = -1, -1
	}
	ups := make([]int32, n)
	for c := range chunks {
		for i := range n {
			ups[i] = p.add(g.verts[i], sw, upBytes, firstChunk(c, g.alpha[i]), afterSent(prevUp[i]))
			prevUp[i] = ups[i]
		}
		j := p.join(ups)
		for i := range n {
			prevDown[i] = p.add(sw, g.verts[i], downBytes, 0, j, afterSent(prevDown[i]))
		}
	}
	return nil
}
