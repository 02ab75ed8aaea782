package collective

// Compiling an operation: Compile checks the operation, algorithm,
// protocol and size, then hands the plan to the algorithm's builder, one
// per file: ring.go (ring, and the chain of ring broadcast and reduce),
// tree.go (double binary tree), hd.go (recursive halving-doubling),
// direct.go (one-shot, also alltoall, sendrecv and MoE dispatch and
// combine), pairwise.go (pairwise alltoall), nvls.go (in-network
// reduction) and hier.go (hierarchical). Each file's comment gives the
// algorithm's transfer and step counts for n ranks and c chunks; a count
// of transfers is what Plan.Transfers reports, synchronisation points
// (joins) included; a step is one link of the longest chain of transfers
// each waiting for another to arrive, so chunks that stream behind each
// other add transfers, not steps. The scripts in testdata print both
// for every algorithm. plan.go holds the plan and its executor,
// ringplan.go the compact form of one ring over the whole group.

import (
	"fmt"
	"math"

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
	// Protocol is LL, LL128 or Simple; ProtoAuto lets Run choose
	// (Compile then uses Simple, or for an NCCL alltoall or send/recv the
	// protocol NCCL's send/recv runs: p2pProtocol).
	Protocol Protocol
	// Channels bounds the ring and tree channels across scale-up
	// domains, as NCCL_MAX_NCHANNELS does (0: NCCL's search, one per NIC
	// up to 32). Fewer channels than NICs leave NICs idle; more only copy
	// channels, which under max-min fairness changes nothing. Within one
	// domain it has no effect: every ring rotation loads the same ports.
	Channels int
	// MaxMemory bounds the memory of a plan, in bytes (0:
	// DefaultMaxMemory): a plan that would need more is refused before it
	// is built (TooLargeError).
	MaxMemory float64
	// Progress, when not nil, is kept up to date with what the run is
	// doing and how far it has got (progress.go); results never depend
	// on it.
	Progress *Progress
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
	return compile(g, op, algo, bytes, o, whole)
}

// compile is Compile; with dry other than whole it builds a dry plan
// (Plan.dry), for its egressBound (and with dryExact its lowerBound)
// only: the same builder adds the same transfers, counted and summed
// rather than stored, so that the bounds, and whether the plan is too
// large, are the stored plan's.
func compile(g *Group, op Op, algo Algorithm, bytes float64, o Options, dry dryMode) (*Plan, error) {
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
		if !g.hccl && classOf(op) == p2pClass {
			proto = p2pProtocol(g, op, bytes)
		}
	}
	if proto != Simple && algo == NVLS {
		return nil, fmt.Errorf("nvls runs the simple (bulk) protocol only")
	}
	g = g.with(proto, op)
	g.ncclLatencies(op, proto, algo)
	g.over += ringFill(g, op, algo, proto)
	g.over += p2pOverhead(g, op, proto, bytes)
	g.channels = o.Channels
	// Bytes on the network: LL's and LL128's flags ride with the data,
	// and NCCL's copy rate may hold a rank below its links (nccltune.go).
	pace := ncclPace(g, op, algo, proto)
	scale := pace
	switch proto {
	case LL:
		scale /= llPayload
	case LL128:
		scale /= ll128Payload
	}
	if scale != 1 {
		bytes *= scale
		if o.Matrix != nil {
			m := make([][]float64, len(o.Matrix))
			for i, row := range o.Matrix {
				m[i] = make([]float64, len(row))
				for j, b := range row {
					m[i][j] = b * scale
				}
			}
			o.Matrix = m
		}
	}
	p := &Plan{Op: op, Algorithm: algo, Protocol: proto, Ranks: g.Size(), Overhead: g.over, lim: transferLimit(algo, o.MaxMemory), pace: pace}
	if dry == dryHead {
		return p, nil
	}
	if dry != whole {
		p.lim = min(p.lim, pricingLimit)
		p.dry = &dryPlan{sent: make([]float64, g.Fabric.Vertices())}
		if dry == dryExact {
			p.dry.exact = &dryBound{f: g.Fabric, load: make([]float64, len(g.Fabric.Channels())), memo: make([]routeMemo, g.Fabric.Vertices())}
		}
	}
	p.setNetLag(g, algo)
	var err error
	switch algo {
	case Ring:
		p.ringOp(g, op, bytes, o)
	case Tree:
		p.treeOp(g, op, bytes, o)
	case HalvDoub:
		err = p.halvingDoubling(g, op, bytes)
	case Direct:
		p.direct(g, op, bytes, o.Matrix)
	case Pairwise:
		p.pairwise(g, bytes, o.Matrix)
	case NVLS:
		err = p.nvls(g, op, bytes, o.chunks(bytes/float64(g.Size())))
	case Hier:
		err = p.hier(g, op, bytes, o)
	}
	if err != nil {
		return nil, err
	}
	if p.dry != nil {
		p.dry.chain = nil // the chains are summed up in best
		if b := p.dry.exact; b != nil {
			b.sent, b.arrived, b.memo = nil, nil, nil // and these in path
		}
	}
	if p.wanted > int64(p.count()) {
		return nil, &TooLargeError{Op: op, Algorithm: algo, Ranks: g.Size(), Transfers: p.wanted, RingForm: p.ringRefused, maxMemory: o.MaxMemory, proto: proto, refused: p}
	}
	if dry == whole {
		p.seal()
	}
	return p, nil
}

// inOrder lists positions 0 to n-1: every rank of a group in order.
func inOrder(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// reversedOrder lists order back to front.
func reversedOrder(order []int) []int {
	rev := make([]int, len(order))
	for i := range order {
		rev[i] = order[len(order)-1-i]
	}
	return rev
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
