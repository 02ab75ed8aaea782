package collective

// Recursive halving-doubling (hd): for n = 2^L ranks, step k pairs rank i
// with rank i XOR distance and both send at once. Recursive halving
// (reduce-scatter) starts at distance n/2 with S/2 and halves distance and
// bytes every step; recursive doubling (allgather) starts at distance 1
// with S/n and doubles both. Every transfer waits for the rank's previous
// send and receive. There is no chunking.
//
//	allreduce      halving then doubling back: 2L steps, 2·n·L transfers
//	reducescatter  halving: L steps, n·L transfers
//	allgather      doubling: L steps, n·L transfers
//
// Other rank counts are refused (use ring or tree).

import (
	"fmt"
	"math/bits"
)

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
			sent[i] = p.add(g.verts[i], g.verts[j], size, g.ringHop(i), prev[i], recv[i])
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
