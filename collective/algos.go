package collective

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/cardsea/cardsea/sim"
)

// Options tune how an operation is compiled.
type Options struct {
	// Chunks splits each pipelined step into this many transfers; 0
	// chooses about ChunkBytes per chunk, up to 64.
	Chunks int
	// ChunkBytes is the target chunk size when Chunks is 0 (default 4 MiB).
	ChunkBytes float64
	// Matrix, for alltoall, gives the bytes rank i sends rank j; nil means
	// uniform (S/n to every rank).
	Matrix [][]float64
	// Protocol is LL or Simple; ProtoAuto lets Run choose (Compile then
	// uses Simple).
	Protocol Protocol
}

const defaultChunkBytes = 4 << 20

func (o Options) chunks(block float64) int {
	if o.Chunks > 0 {
		return o.Chunks
	}
	cb := o.ChunkBytes
	if cb <= 0 {
		cb = defaultChunkBytes
	}
	return int(math.Min(64, math.Max(1, math.Round(block/cb))))
}

// Compile builds the plan of op with algorithm algo (not Auto) for bytes
// per the nccl-tests size convention of op.
func Compile(g *Group, op Op, algo Algorithm, bytes float64, o Options) (*Plan, error) {
	ok := false
	for _, a := range supports[op] {
		ok = ok || a == algo
	}
	if !ok {
		return nil, fmt.Errorf("%s has no %s algorithm; it has %v", op, algo, supports[op])
	}
	if bytes < 0 || math.IsNaN(bytes) || math.IsInf(bytes, 0) {
		return nil, fmt.Errorf("size %g bytes is not a size", bytes)
	}
	proto := o.Protocol
	if proto == ProtoAuto {
		proto = Simple
	}
	if proto == LL && algo == NVLS {
		return nil, fmt.Errorf("nvls runs the simple (bulk) protocol only")
	}
	g = g.with(proto)
	if proto == LL {
		// Half of every LL store is flag: twice the bytes on the wire.
		bytes /= llPayload
		if o.Matrix != nil {
			m := make([][]float64, len(o.Matrix))
			for i, row := range o.Matrix {
				m[i] = make([]float64, len(row))
				for j, b := range row {
					m[i][j] = b / llPayload
				}
			}
			o.Matrix = m
		}
	}
	p := &Plan{Op: op, Algorithm: algo, Protocol: proto, Ranks: g.Size(), Overhead: g.over}
	all := make([]int, g.Size())
	for i := range all {
		all[i] = i
	}
	n := float64(g.Size())
	var err error
	switch algo {
	case Ring:
		switch op {
		case AllReduce:
			p.wholeRing(g, all, 2*(g.Size()-1), bytes/n, o.chunks(bytes/n))
		case AllGather, ReduceScatter:
			p.wholeRing(g, all, g.Size()-1, bytes/n, o.chunks(bytes/n))
		case Broadcast:
			p.chain(g, all, bytes, o.chunks(bytes))
		case Reduce:
			rev := make([]int, len(all))
			for i := range all {
				rev[i] = all[len(all)-1-i]
			}
			p.chain(g, rev, bytes, o.chunks(bytes))
		}
	case Tree:
		switch op {
		case AllReduce:
			rev := make([]int, len(all))
			for i := range all {
				rev[i] = all[len(all)-1-i]
			}
			p.tree(g, all, bytes/2, o.chunks(bytes/2), true, true)
			p.tree(g, rev, bytes/2, o.chunks(bytes/2), true, true)
		case Broadcast:
			p.tree(g, all, bytes, o.chunks(bytes), false, true)
		case Reduce:
			p.tree(g, all, bytes, o.chunks(bytes), true, false)
		}
	case HalvDoub:
		err = p.halvingDoubling(g, op, bytes)
	case Direct:
		p.direct(g, op, bytes, o.Matrix)
	case Pairwise:
		p.pairwise(g, bytes, o.Matrix)
	case NVLS:
		err = p.nvls(g, op, bytes, o.chunks(bytes/n))
	case Hier:
		err = p.hier(g, op, bytes, o)
	}
	if err != nil {
		return nil, err
	}
	if p.wanted > int64(len(p.xfers)) {
		return nil, &TooLargeError{Op: op, Algorithm: algo, Ranks: g.Size(), Transfers: p.wanted}
	}
	p.seal()
	return p, nil
}

// firstChunk is the software latency of chunk c of a pipelined step: the
// step's hand-off is paid once, by its first chunk; later chunks stream
// behind it.
func firstChunk(c int, alpha sim.Time) sim.Time {
	if c == 0 {
		return alpha
	}
	return 0
}

// ring adds a ring of steps steps over ranks, each rank sending block
// bytes to its successor per step in chunks, step k's chunk c waiting for
// the predecessor's step k-1 chunk c and for the rank's previous send.
// start, if >= 0, gates the first sends. It returns each rank's last transfer.
func (p *Plan) ring(g *Group, ranks []int, steps int, block float64, chunks int, start int32) []int32 {
	n := len(ranks)
	if n < 2 || steps < 1 {
		return nil
	}
	if p.tooMany(int64(steps) * int64(n) * int64(chunks)) {
		return nil
	}
	p.reserve(steps*n*chunks, steps*n*chunks)
	base := int32(len(p.xfers))
	id := func(k, i, c int) int32 { return base + int32((k*n+i)*chunks+c) }
	chunk := block / float64(chunks)
	for k := range steps {
		for i := range n {
			// The ring's neighbours, without a division per transfer.
			prev, next := i-1, i+1
			if i == 0 {
				prev = n - 1
			}
			if next == n {
				next = 0
			}
			from, to := ranks[i], ranks[next]
			for c := range chunks {
				deps := [3]int32{-1, -1, -1}
				if k > 0 {
					deps[0] = id(k-1, prev, c)
				}
				switch {
				case c > 0:
					deps[1] = afterSent(id(k, i, c-1))
				case k > 0:
					deps[1] = afterSent(id(k-1, i, chunks-1))
				}
				if k == 0 && c == 0 {
					deps[2] = start
				}
				p.add(g.verts[from], g.verts[to], chunk, firstChunk(c, g.alpha[from]), deps[:]...)
			}
		}
	}
	last := make([]int32, n)
	for i := range n {
		last[i] = id(steps-1, i, chunks-1)
	}
	return last
}

// chain pipelines bytes down order[0] -> order[1] -> ... in chunks.
func (p *Plan) chain(g *Group, order []int, bytes float64, chunks int) {
	n := len(order)
	base := int32(len(p.xfers))
	id := func(i, c int) int32 { return base + int32(i*chunks+c) }
	for i := range n - 1 {
		for c := range chunks {
			deps := [2]int32{-1, -1}
			if i > 0 {
				deps[0] = id(i-1, c)
			}
			if c > 0 {
				deps[1] = afterSent(id(i, c-1))
			}
			p.add(g.verts[order[i]], g.verts[order[i+1]], bytes/float64(chunks), firstChunk(c, g.alpha[order[i]]), deps[:]...)
		}
	}
}

// tree runs a binary tree over order (position 0 is the root, the parent
// of position i is (i-1)/2): up reduces chunks to the root, down
// broadcasts them from it, pipelined chunk by chunk.
func (p *Plan) tree(g *Group, order []int, bytes float64, chunks int, up, down bool) {
	n := len(order)
	chunk := bytes / float64(chunks)
	upID := make([]int32, n*chunks)   // position i's send to its parent, chunk c
	downID := make([]int32, n*chunks) // parent's send to position i, chunk c
	for i := range upID {
		upID[i], downID[i] = -1, -1
	}
	children := func(i int) []int {
		var cs []int
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < n {
				cs = append(cs, c)
			}
		}
		return cs
	}
	for c := range chunks {
		if up {
			// Children before parents: positions from the last to 1.
			for i := n - 1; i >= 1; i-- {
				var deps []int32
				for _, ch := range children(i) {
					deps = append(deps, upID[ch*chunks+c])
				}
				if c > 0 {
					deps = append(deps, afterSent(upID[i*chunks+c-1]))
				}
				upID[i*chunks+c] = p.add(g.verts[order[i]], g.verts[order[(i-1)/2]], chunk, firstChunk(c, g.alpha[order[i]]), deps...)
			}
		}
		if down {
			for i := 1; i < n; i++ {
				par := (i - 1) / 2
				var deps []int32
				if par == 0 {
					if up {
						for _, ch := range children(0) {
							deps = append(deps, upID[ch*chunks+c])
						}
					}
				} else {
					deps = append(deps, downID[par*chunks+c])
				}
				if c > 0 {
					deps = append(deps, afterSent(downID[i*chunks+c-1]))
				}
				downID[i*chunks+c] = p.add(g.verts[order[par]], g.verts[order[i]], chunk, firstChunk(c, g.alpha[order[par]]), deps...)
			}
		}
	}
}

// halvingDoubling is recursive halving (reduce-scatter) and recursive
// doubling (allgather); the rank count must be a power of two.
func (p *Plan) halvingDoubling(g *Group, op Op, bytes float64) error {
	n := g.Size()
	if n&(n-1) != 0 {
		return fmt.Errorf("hd (recursive halving-doubling) needs a power-of-two number of ranks, got %d; use ring or tree", n)
	}
	steps := bits.TrailingZeros(uint(n))
	prev := make([]int32, n) // each rank's last send
	recv := make([]int32, n) // each rank's last receive
	for i := range prev {
		prev[i], recv[i] = -1, -1
	}
	step := func(dist int, size float64) {
		sent := make([]int32, n)
		for i := range n {
			j := i ^ dist
			sent[i] = p.add(g.verts[i], g.verts[j], size, g.alpha[i], prev[i], recv[i])
		}
		for i := range n {
			prev[i] = sent[i]
			recv[i] = sent[i^dist]
		}
	}
	if op == AllReduce || op == ReduceScatter {
		for k := range steps {
			step(n>>(k+1), bytes/float64(int(1)<<(k+1)))
		}
	}
	if op == AllReduce {
		for k := steps - 1; k >= 0; k-- {
			step(n>>(k+1), bytes/float64(int(1)<<(k+1)))
		}
	}
	if op == AllGather {
		for k := range steps {
			step(1<<k, bytes/float64(n)*float64(int(1)<<k))
		}
	}
	return nil
}

// direct sends every rank's data straight to every other rank at once.
func (p *Plan) direct(g *Group, op Op, bytes float64, m [][]float64) {
	n := g.Size()
	if op != SendRecv && p.tooMany(int64(n)*int64(n-1)) {
		return
	}
	p.reserve(n*(n-1), 0)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			var b float64
			switch op {
			case AllReduce:
				b = bytes
			case AllGather, ReduceScatter:
				b = bytes / float64(n)
			case AllToAll, MoEDispatch, MoECombine:
				b = bytes / float64(n)
				if m != nil {
					b = m[i][j]
				}
			case SendRecv:
				if j != (i+1)%n {
					continue
				}
				b = bytes
			}
			p.add(g.verts[i], g.verts[j], b, g.alpha[i])
		}
	}
}

// pairwise runs alltoall in n-1 steps: in step k rank i sends to i+k.
func (p *Plan) pairwise(g *Group, bytes float64, m [][]float64) {
	n := g.Size()
	if p.tooMany(int64(n) * int64(n-1)) {
		return
	}
	prev := make([]int32, n)
	for i := range prev {
		prev[i] = -1
	}
	for k := 1; k < n; k++ {
		for i := range n {
			j := (i + k) % n
			b := bytes / float64(n)
			if m != nil {
				b = m[i][j]
			}
			prev[i] = p.add(g.verts[i], g.verts[j], b, g.alpha[i], prev[i])
		}
	}
}

// nvls reduces in the switches: every rank sends its data up once, the
// switch reduces and multicasts the result down, chunk by chunk. The
// operation pays the switch's reduce_latency (NCCL's NVLS set-up and
// synchronisation) in place of a smaller op_overhead.
func (p *Plan) nvls(g *Group, op Op, bytes float64, chunks int) error {
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

// hierTransferBudget bounds the transfers of a pipelined hier plan (its
// slices are its pipeline depth).
const hierTransferBudget = 2 << 20

// hierSliceSteps bounds the slices of a hier plan by its longest level:
// slices x steps of that level stays within it.
const hierSliceSteps = 64

// hier runs an operation in levels: within each scale-up domain, across
// domains between ranks of the same local index, and within domains again.
func (p *Plan) hier(g *Group, op Op, bytes float64, o Options) error {
	var domains [][]int
	index := map[int32]int{}
	for r, d := range g.domain {
		k, ok := index[d]
		if !ok {
			k = len(domains)
			index[d] = k
			domains = append(domains, nil)
		}
		domains[k] = append(domains[k], r)
	}
	if len(domains) < 2 {
		return fmt.Errorf("hier needs ranks in at least 2 scale-up domains; all %d ranks are in one (use ring, tree or nvls, or --domains)", g.Size())
	}
	local := len(domains[0])
	for _, d := range domains {
		if len(d) != local {
			return fmt.Errorf("hier needs the same number of ranks in every domain; got %d and %d", local, len(d))
		}
	}
	nd := len(domains)
	across := func(j int) []int {
		r := make([]int, nd)
		for k, d := range domains {
			r[k] = d[j]
		}
		return r
	}
	// The buffer goes through the levels in slices, pipelined as NCCL's
	// channels pipeline a multi-node ring: slice k enters a level once it
	// has left the previous one and slice k-1 has left this one, so the
	// scale-up and scale-out levels work at once. Each level's rings move a
	// slice in one chunk. The slice count follows the chunk size, bounded
	// by a budget of transfers.
	l := float64(local)
	type level struct {
		across bool
		steps  int
		block  float64 // bytes per rank per step, whole buffer
	}
	var levels []level
	switch op {
	case AllReduce:
		levels = []level{{false, local - 1, bytes / l}, {true, 2 * (nd - 1), bytes / l / float64(nd)}, {false, local - 1, bytes / l}}
	case ReduceScatter:
		levels = []level{{false, local - 1, bytes / l}, {true, nd - 1, bytes / l / float64(nd)}}
	case AllGather:
		levels = []level{{true, nd - 1, bytes / float64(g.Size())}, {false, local - 1, bytes / l}}
	}
	perSlice := 0
	for _, lv := range levels {
		perSlice += g.Size() * lv.steps
	}
	// Each slice pays every level's per-step latency again, so a level of
	// many steps (a ring over many domains) takes fewer slices: at most
	// hierSliceSteps steps of the longest level over all slices.
	maxSteps := 1
	for _, lv := range levels {
		maxSteps = max(maxSteps, lv.steps)
	}
	slices := o.chunks(bytes / l)
	slices = max(1, min(slices, 16, hierSliceSteps/maxSteps, hierTransferBudget/max(perSlice, 1)))
	prev := make([]int32, len(levels)) // each level's previous slice, joined
	for i := range prev {
		prev[i] = -1
	}
	for range slices {
		entered := int32(-1) // this slice left the previous level
		for li, lv := range levels {
			var gates []int32
			for _, d := range []int32{entered, prev[li]} {
				if d >= 0 {
					gates = append(gates, d)
				}
			}
			gate := int32(-1)
			if len(gates) > 0 {
				gate = p.join(gates)
			}
			var ends []int32
			block := lv.block / float64(slices)
			chunks := o.chunks(block)
			if lv.across {
				for j := range local {
					ends = append(ends, p.ring(g, across(j), lv.steps, block, chunks, gate)...)
				}
			} else {
				for _, d := range domains {
					ends = append(ends, p.ring(g, d, lv.steps, block, chunks, gate)...)
				}
			}
			done := p.join(ends)
			prev[li], entered = done, done
		}
	}
	return nil
}
