package collective

import (
	"math"
	"strings"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// NCCL's copy-rate limit inside one NVLink domain.
//
// Physics. NCCL moves a collective's bytes with its own kernels: a few
// thread blocks per channel load each slice from HBM (or from a peer's
// buffer) and store it to the next rank's buffer over NVLink, so a rank
// sends no faster than its channels can copy, whatever the links could
// carry. On an HGX H100 the 18 NVLink 4 links carry 450 GB/s a direction
// (369 GB/s at the fabric's efficiency) while nccl-tests' ring all_gather
// reaches 336 GB/s of bus bandwidth on 8 GPUs and 258 GB/s on 2; NCCL's
// own tuner caps the LL and LL128 protocols alike (src/graph/tuning.cc,
// NCCL 2.29.2: llMaxBws, 141 GB/s on one Hopper node and twice that on
// Blackwell; perChMaxRingLL128Bws, 36.7 GB/s a channel on Hopper, 34.5 on
// Blackwell, against its ring Simple busBw of nChannels x bwIntra).
//
// Model. Within one scale-up domain of Hopper or Blackwell GPUs (by the
// accelerator's name), an NCCL operation's rank moves the bytes it sends
// to peers at 1/remote seconds a byte and the bytes of its own shard
// (the out-of-place copy of its part of an all_gather's output, its own
// block of a reduce-scatter, all-reduce or alltoall: a 1/(n-1) share of
// what it sends to n-1 peers) at 1/local seconds a byte, one after the
// other in the same kernel loop: a rank of n sends at most
//
//	C(n) = 1 / (1/remote + 1/(local·(n-1)))
//
// bytes a second to its peers, which is why 2 GPUs reach less bus
// bandwidth than 8. The Simple protocol runs at C(n); LL128 at C(n) with
// 120 data bytes in every 128 on the wire (NCCL's 0.92); LL at NCCL's
// llMaxBw. Where C is below the rate the rank's links to its scale-up
// switches carry (efficiency included), every byte of the plan takes
// that much longer on the network (Plan.pace: the bytes handed to the
// network are scaled by rate/C, and the per-channel statistics scaled
// back, so wire bytes and link use stay what crossed the links); where
// the links are slower (H800's 8 NVLinks, a degraded link), they limit
// and the model changes nothing. NVLS (the switch reduces and
// multicasts; its reduce_efficiency is fitted to it), MoE dispatch and
// combine (DeepEP-style kernels, not NCCL's), groups across scale-up
// domains (the NIC limits) and accelerators of other families are not
// capped. Under contention between groups a capped rank holds its share
// of a shared link at its line rate rather than at C; groups on disjoint
// GPUs of one NVSwitch domain share no link, so it does not arise there.
//
// Cost: one pass over the ranks' channels when a plan is compiled; the
// run is unchanged.

// ncclFamily is a GPU generation whose NCCL copy rates are known.
type ncclFamily int

const (
	noFamily ncclFamily = iota
	hopper
	blackwell
)

// familyOf is the NCCL family of an accelerator, by its name: H100,
// H200, H800 and H20 are Hopper (SM90); B200 and B300, in HGX or Grace
// Blackwell systems, are Blackwell (SM100).
func familyOf(name string) ncclFamily {
	n := strings.ToUpper(name)
	switch {
	case strings.Contains(n, "H100"), strings.Contains(n, "H200"), strings.Contains(n, "H800"), strings.Contains(n, "H20"):
		return hopper
	case strings.Contains(n, "B200"), strings.Contains(n, "B300"):
		return blackwell
	}
	return noFamily
}

// opClass groups operations whose NCCL kernels copy alike: gathers copy,
// reductions load two operands and store one (all-reduce, a
// reduce-scatter and an all-gather in one kernel, is its own class),
// alltoall runs NCCL's point-to-point send/recv over its p2p channels.
type opClass int

const (
	gatherClass opClass = iota
	reduceClass
	allReduceClass
	p2pClass
	numClasses
)

func classOf(op Op) opClass {
	switch op {
	case AllReduce:
		return allReduceClass
	case ReduceScatter, Reduce:
		return reduceClass
	case AllToAll, SendRecv:
		return p2pClass
	}
	return gatherClass
}

// copyRate is one family's Simple-protocol copy rates for one op class,
// in bytes a second: remote for the bytes a rank sends to peers, local
// for its own shard (see the model above).
type copyRate struct{ remote, local float64 }

// ncclCopyRates are fitted, by least squares on the relative error of
// the simulated time (Hopper's ring classes together with ringFillS,
// below), to the fit half of the nccl-tests points of 64 MiB and above
// (validation.NCCLPoint.HeldOut false; AIConfigurator commit
// 095f58a51c4c, NCCL 2.29.2; Hopper: H100 and H200 SXM, Blackwell: B200
// SXM and the GB200 tray), with the algorithm NCCL runs there: ring
// all_gather, ring reduce_scatter, ring int8 all_reduce (NVLS cannot
// reduce int8), direct alltoall. TestNCCLCopyRateFit refits them and fails if a
// figure here drifts from its fit by more than 0.5%.
var ncclCopyRates = [...][numClasses]copyRate{
	hopper: {
		gatherClass:    {remote: 354.0e9, local: 1023e9},  // fit: Hopper ring all_gather, fit half >= 64 MiB, with ringFillS, AIConfigurator 095f58a51c4c, NCCL 2.29.2
		reduceClass:    {remote: 359.2e9, local: 719.6e9}, // fit: Hopper ring reduce_scatter, fit half >= 64 MiB, as above
		allReduceClass: {remote: 371.9e9, local: 2155e9},  // fit: Hopper ring int8 all_reduce, fit half >= 64 MiB, as above
		p2pClass:       {remote: 314.6e9, local: 3290e9},  // fit: Hopper direct alltoall, fit half >= 64 MiB, with p2pFixed, as above
	},
	blackwell: {
		gatherClass:    {remote: 717.5e9, local: 962.6e9}, // fit: Blackwell ring all_gather, fit half >= 64 MiB, as above
		reduceClass:    {remote: 737.8e9, local: 735.9e9}, // fit: Blackwell ring reduce_scatter, fit half >= 64 MiB, as above
		allReduceClass: {remote: 733.6e9, local: 1560e9},  // fit: Blackwell ring int8 all_reduce, fit half >= 64 MiB, as above
		p2pClass:       {remote: 642e9, local: 727.2e9},   // fit: Blackwell direct alltoall, fit half >= 64 MiB, with p2pFixed, as above
	},
}

// ncclLLMaxBW is NCCL's cap on the LL protocol's bus bandwidth on one
// node, by family, in bytes a second.
var ncclLLMaxBW = [...]float64{
	hopper:    141e9, // source: NVIDIA/nccl v2.29.2 src/graph/tuning.cc, llMaxBws Hopper-N1, 141.0 GB/s
	blackwell: 282e9, // source: NVIDIA/nccl v2.29.2 src/graph/tuning.cc, llMaxBws Blackwell-N1, 2*141.0 GB/s
}

// ll128Payload is the fraction of LL128 bytes that are data: 120 of
// every 128-byte line (NVIDIA/nccl src/device/prims_ll128.h; tuning.cc
// rounds it to 0.92).
const ll128Payload = 120.0 / 128

// ll128Extra is how much longer an LL128 step takes than an LL step
// within one NVLink domain, by algorithm: NCCL 2.29.2's hwLatencies over
// NVLink, ring LL128 1.9 us less LL 0.6 us, tree 1.25 less 0.6
// (src/graph/tuning.cc). An LL128 step pays the accelerator's fitted LL
// step_latency plus this.
var (
	ll128ExtraRing = sim.FromSeconds((1.9 - 0.6) * 1e-6)
	ll128ExtraTree = sim.FromSeconds((1.25 - 0.6) * 1e-6)
)

// NCCL 2.29's fixed costs on Hopper within one NVLink domain. The
// Hopper presets' op_overhead (7.6 us) and LL step_latency (0.97 us)
// were solved from older NCCL's 1 KiB all-reduces (case C17: 25.6 us on
// 8 H100s); NCCL 2.29.2 takes 15.6 us there and 5.3 us for a 2-GPU
// all_gather. Fitted by least squares, t = overhead + steps x step, to
// the means of the fit-half Hopper points of 16 KiB and below per op and
// GPU count (ring steps: n-1 for all_gather and reduce_scatter, 2(n-1)
// for all_reduce; AIConfigurator 095f58a51c4c, NCCL 2.29.2), step 0.86
// us of which the route's two NVLink hops take 0.31 us; NCCL's own tuner
// gives 0.6 us a ring LL step over NVLink (src/graph/tuning.cc
// hwLatencies), within the fit's reach. TestNCCLLatencyFit refits
// them. Simple's bulk step latency (fitted to case C08's 128 MiB
// reduce-scatter; on Hopper rings in one domain, ringFill instead) and
// Blackwell's figures (whose presets match NCCL
// 2.29's small sizes already) are left as the presets give them.
var (
	hopperOpOverhead = sim.FromSeconds(4.97e-6)  // fit: Hopper fit half <= 16 KiB intercept, AIConfigurator 095f58a51c4c, NCCL 2.29.2
	hopperLLStep     = sim.FromSeconds(0.551e-6) // fit: as above, slope 0.861 us a step less 0.31 us of NVLink hops
)

// p2pFixed is what an NCCL 2.29 send/recv (alltoall, sendrecv) within
// one NVLink domain costs beyond the model's op overhead and step
// latency, by family and protocol: a + b x (n-1) microseconds for n
// ranks (the p2p kernel's per-peer work items, one per round of
// NCCL's p2p schedule, and Simple's chunk handshake, which LL has not).
// Simple: fitted by least squares, over the GPU counts, to the median
// residual (measured less simulated with no such cost) of the fit-half
// alltoall points of a peer's share above 16 KiB and at most 64 KiB,
// one p2p channel's smallest part (AIConfigurator 095f58a51c4c, NCCL
// 2.29.2); b = 0 and a the mean where fewer than three GPU counts have
// points or the slope comes out negative. LL: a, b and p2pLLChannel's
// per-channel time, c, fitted together by least squares, relative to the
// measured time, to the residuals of every fit-half LL alltoall point (a peer's share at most 16 KiB).
// TestP2PFixedFit refits them.
var p2pFixed = [...][2]struct{ a, b, c float64 }{ // [family][0: LL, 1: Simple]; a, b us, c us a MiB of a peer's share
	hopper:    {{0.609, 0.256, 118.9}, {-1.325, 0.040, 0}}, // fit: Hopper fit half, as above
	blackwell: {{0.327, 0.309, 148.1}, {0.802, 0.330, 0}},  // fit: Blackwell fit half, as above
}

// p2pCosts turns p2pFixed off (TestP2PFixedFit measures the residuals
// it fits without it).
var p2pCosts = true

// p2pMinPart is the least bytes NCCL splits a peer's send into on one
// p2p channel: the p2p chunk over 8 within one node (NVLink's 512 KiB
// NCCL_P2P_NVL_CHUNKSIZE), over 2 across nodes (the network's 128 KiB
// NCCL_P2P_NET_CHUNKSIZE); both 64 KiB (NVIDIA/nccl v2.29.2
// src/enqueue.cc addP2pToPlan: minPartSize; src/init.cc
// computeBuffSizes). GB200 across nodes doubles the net chunk; the
// LL cost below does not reach that far.
const p2pMinPart = 64 << 10

// p2pPeerChannels is how many of NCCL's p2p channels a send of bytes to
// one peer is split over, NVIDIA/nccl v2.29.2 src/enqueue.cc
// addP2pToPlan: min(nChannelsMin, ceil(bytes/minPart)), doubled, up to
// nChannelsMax, while a part exceeds maxPart (the chunk x 32 in one
// node, the chunk across nodes). nChannelsMax is p2pnChannelsPerPeer
// and nChannelsMin that halved while nChannelsMin x nRanks exceeds
// p2pnChannels (scheduleP2pTasksToPlan; src/graph/paths.cc
// ncclTopoComputeP2pChannels), which cardsea does not derive: it only
// uses that a share of at most minPart rides one channel, whatever they
// are. Cost: O(log nChannelsMax).
func p2pPeerChannels(bytes, minPart, maxPart float64, nChannelsMin, nChannelsMax int) int {
	if bytes <= 0 {
		return 1
	}
	n := max(1, min(nChannelsMin, int(math.Ceil(bytes/minPart))))
	part := math.Max(minPart, math.Ceil(bytes/float64(n)))
	for part > maxPart && n <= nChannelsMax/2 {
		n *= 2
		part = math.Ceil(bytes / float64(n))
	}
	return n
}

// NCCL's p2p channels in one node. p2pNChannels is p2pnChannels, the
// channels NCCL's send/recv stripes over: the coll channels rounded up
// to a power of 2 (NVIDIA/nccl v2.29.2 src/graph/paths.cc
// ncclTopoComputeP2pChannels), which NCCL's INFO line on 8 H100 SXM
// gives as "24 coll channels, ..., 32 p2p channels, 32 p2p channels per
// peer" (public nccl-tests and vLLM logs); assumed the same on
// Blackwell, for which no log is held. p2pnChannelsPerPeer is as many
// (twice the 18 NVLinks, 36, rounded up to 64 and capped at
// p2pnChannels). p2pNVLChunk is NCCL_P2P_NVL_CHUNKSIZE's default, the
// Simple step of a p2p channel over NVLink (src/init.cc).
const (
	p2pNChannels = 32
	p2pNVLChunk  = 512 << 10
)

// p2pChannelsMin is NCCL's nChannelsMin for n ranks: p2pnChannelsPerPeer
// halved while it times n exceeds p2pnChannels, so that a rank's n
// sends (its own included) use every channel once (src/enqueue.cc
// scheduleP2pTasksToPlan). Cost: O(log p2pNChannels).
func p2pChannelsMin(n int) int {
	c := p2pNChannels
	for c*n > p2pNChannels && c > 1 {
		c /= 2
	}
	return c
}

// p2pFill is the pipeline fill of NCCL's Simple send/recv in one NVLink
// domain, in microseconds for a full step: each channel moves its part
// of a peer's share (p2pPeerChannels) in steps of p2pNVLChunk, the
// receiver's copy of a step waiting on the sender's, so the first step
// is paid once more than the rate accounts for: p2pFill x min(part,
// chunk)/chunk. Fitted by least squares on the relative error to the
// fit-half Simple alltoall points of a peer's share above 64 KiB and
// below 64 MiB in all (where the part grows to a chunk), with every
// other figure in place (AIConfigurator 095f58a51c4c, NCCL 2.29.2).
// TestP2PFillFit refits them.
var p2pFill = [...]float64{
	hopper:    14.078, // fit: Hopper fit half, as above
	blackwell: 13.216, // fit: Blackwell fit half, as above
}

// p2pFills turns p2pFill off (TestP2PFillFit measures the residuals it
// fits without it).
var p2pFills = true

// p2pOverhead is p2pFixed's and p2pFill's cost for op of bytes under
// proto on g, 0 where they do not apply (not NCCL p2p, across domains,
// an unfitted family). Under LL it adds the time a peer's share takes
// on its p2p channel: LL runs only while a peer's share is at most 16
// KiB a channel (p2pProtocol), below p2pMinPart, so the share rides one
// channel (p2pPeerChannels) whose LL loop moves it at 1/c MiB a
// microsecond, each peer on its own channel at once: c x share. Under
// Simple it adds p2pFill's first step. Cost: O(log p2pNChannels).
func p2pOverhead(g *Group, op Op, proto Protocol, bytes float64) sim.Time {
	if g.hccl || !g.nccl || g.spans || classOf(op) != p2pClass {
		return 0
	}
	fam := ncclFamilyOf(g)
	if fam == noFamily {
		return 0
	}
	k := 1
	if proto == LL {
		k = 0
	}
	c := p2pFixed[fam][k]
	per := p2pShare(g, op, bytes)
	var us float64
	if p2pCosts {
		us = c.a + c.b*float64(g.Size()-1)
		if c.c > 0 {
			// A share of at most p2pMinPart rides one channel.
			parts := p2pPeerChannels(per, p2pMinPart, 32*p2pNVLChunk, 1, 1)
			us += c.c * per / float64(parts) / (1 << 20)
		}
	}
	if p2pFills && proto != LL {
		parts := p2pPeerChannels(per, p2pMinPart, 32*p2pNVLChunk, p2pChannelsMin(g.Size()), p2pNChannels)
		us += p2pFill[fam] * math.Min(per/float64(parts), p2pNVLChunk) / p2pNVLChunk
	}
	return sim.FromSeconds(max(0, us) * 1e-6)
}

// p2pShare is the bytes op of bytes sends to one peer: bytes/n for
// alltoall (nccl-tests' size is a rank's whole buffer), bytes for
// sendrecv.
func p2pShare(g *Group, op Op, bytes float64) float64 {
	if op == AllToAll && g.Size() > 0 {
		return bytes / float64(g.Size())
	}
	return bytes
}

// ncclLatencies sets g (a copy made by Group.with) up for NCCL 2.29's
// fixed costs of proto on g's family within one domain: Hopper's
// overhead and LL step above, LL128's step the LL step plus NCCL's
// LL128 extra for algo (and across domains NCCL's NET less NVLINK
// LL128 figures, netlat.go); a pipelined Simple ring or tree of op
// (ringPipelined) no step latency.
func (g *Group) ncclLatencies(op Op, proto Protocol, algo Algorithm) {
	hop := g.nccl && !g.spans && ncclFamilyOf(g) == hopper
	if hop {
		g.over = hopperOpOverhead
	}
	if ringPipelined(g, op, algo, proto) {
		g.alpha = make([]sim.Time, len(g.bulk))
	}
	if proto != LL && proto != LL128 {
		return
	}
	var extra sim.Time
	if proto == LL128 {
		extra = ll128ExtraRing
		if algo == Tree {
			extra = ll128ExtraTree
		}
		g.netRing, g.netTree, g.proxy = netRingLL128, netTreeLL128, proxyLL
	}
	if !hop && extra == 0 {
		return
	}
	a := make([]sim.Time, len(g.ll))
	for i, l := range g.ll {
		if hop {
			l = hopperLLStep
		}
		a[i] = l + extra
	}
	g.alpha = a
}

// copyLimits turns the copy-rate table off (TestNCCLCopyRateFit
// measures the uncapped plans against which it fits).
var copyLimits = true

// ncclFamilyOf is the family of g's ranks, noFamily unless all share one.
func ncclFamilyOf(g *Group) ncclFamily {
	t := g.Fabric.Topo
	fam := noFamily
	for i, d := range g.Dies {
		f := familyOf(t.Accels[t.Nodes[d].Index].Spec.Name)
		if i > 0 && f != fam {
			return noFamily
		}
		fam = f
	}
	return fam
}

// scaleUpRate is the least, over g's ranks, of what the channels from a
// rank's vertex to scale-up switches carry a second (efficiency
// included): the rate a rank could send at if its kernels kept up.
func scaleUpRate(g *Group) float64 {
	f := g.Fabric
	least := 0.0
	for i, v := range g.verts {
		sum := 0.0
		for _, ch := range f.Channels() {
			if ch.From != v {
				continue
			}
			if m := f.Members(ch.To); len(m) > 0 && f.Topo.Nodes[m[0]].Kind == topology.KindSwitch {
				sum += ch.BytesPerS
			}
		}
		if i == 0 || sum < least {
			least = sum
		}
	}
	return least
}

// ncclPace is by how much NCCL's copy rate slows g's operation op with
// algo and proto below what the links carry: the factor, at least 1, by
// which the plan's bytes are scaled on the network (see the model).
func ncclPace(g *Group, op Op, algo Algorithm, proto Protocol) float64 {
	if !copyLimits || !g.nccl || g.spans || algo == NVLS || algo == Hier {
		return 1
	}
	fam := ncclFamilyOf(g)
	if fam == noFamily {
		return 1
	}
	rate := scaleUpRate(g)
	if rate <= 0 {
		return 1
	}
	var c float64
	switch proto {
	case LL:
		// The links carry rate·llPayload of data under LL.
		c, rate = ncclLLMaxBW[fam], rate*llPayload
	default:
		// LL128's payload is paid on the wire (compile), its copy rate
		// is Simple's.
		r := ncclCopyRates[fam][classOf(op)]
		if r.remote <= 0 {
			return 1
		}
		per := 1 / r.remote
		if n := g.Size(); r.local > 0 && ownShard(op) {
			per += 1 / (r.local * float64(n-1))
		}
		c = 1 / per
	}
	if c <= 0 || c >= rate {
		return 1
	}
	return rate / c
}

// ownShard is whether op's NCCL kernel copies the rank's own shard
// besides what it sends: every operation whose buffers hold a block per
// rank.
func ownShard(op Op) bool {
	switch op {
	case AllGather, ReduceScatter, AllReduce, AllToAll:
		return true
	}
	return false
}

// autoProtocols lists the protocols Auto tries on g for op of bytes:
// Simple and LL, and LL128 within one NVLink domain of Hopper or
// Blackwell GPUs, where NCCL 2.29 enables it by default
// (src/graph/tuning.cc: LL128 on by default only on Hopper and
// Blackwell, over NVLink and P2C/PXN). Point-to-point operations
// (alltoall, send/recv) are NCCL's send/recv, whose protocol is not
// tuned but set by p2pProtocol; HCCL's are tuned as collectives.
func autoProtocols(g *Group, op Op, bytes float64) []Protocol {
	if !g.hccl && classOf(op) == p2pClass {
		return []Protocol{p2pProtocol(g, op, bytes)}
	}
	if !g.spans && ncclFamilyOf(g) != noFamily {
		return []Protocol{Simple, LL, LL128}
	}
	return []Protocol{Simple, LL}
}

// p2pLLThreshold is the most bytes a send to one peer carries per p2p
// channel under LL (NVIDIA/nccl v2.29.2 src/enqueue.cc,
// NCCL_P2P_LL_THRESHOLD, default 16384).
const p2pLLThreshold = 16384

// p2pProtocol is the protocol NCCL 2.29's send/recv runs for op of bytes
// on g: LL when a peer's share (bytes/n for alltoall) is at most
// nChannels x p2pLLThreshold, Simple otherwise; never LL128, which p2p
// does not have (src/enqueue.cc addP2pToPlan). nChannels, the channels a
// peer's send is split over, is 1 up to the smallest part NCCL splits
// off (a p2p chunk over 8 in one node, over 2 across nodes: 64 KiB of
// NVLink's 512 KiB chunk, 64 KiB of the network's 128 KiB) and grows
// with the bytes, so whatever the channel count the rule comes to a
// peer's share of at most 16 KiB. Cost: O(1).
func p2pProtocol(g *Group, op Op, bytes float64) Protocol {
	if p2pShare(g, op, bytes) <= p2pLLThreshold {
		return LL
	}
	return Simple
}

// unpace scales the channel statistics of a run of plans back from the
// paced bytes to the bytes that crossed the links, when every plan ran
// at one pace (a run of plans at different paces keeps its statistics
// as run).
func unpace(plans []*Plan, stats []network.ChannelStats) []network.ChannelStats {
	if len(plans) == 0 {
		return stats
	}
	k := plans[0].pace
	for _, p := range plans[1:] {
		if p.pace != k {
			return stats
		}
	}
	if k <= 1 {
		return stats
	}
	out := make([]network.ChannelStats, len(stats))
	for c, st := range stats {
		out[c] = network.ChannelStats{Bytes: st.Bytes / k, Busy: st.Busy, PeakUtil: st.PeakUtil / k}
	}
	return out
}

// NCCL's ring pipeline fill within one NVLink domain.
//
// Physics. A Simple ring collective moves each channel's part of the
// buffer in loops of n chunks, one a rank, of stepSize x chunkSteps
// bytes (4 MiB of Simple buffer over NCCL_STEPS 8 steps, times
// ALLREDUCE_CHUNKSTEPS, ALLGATHER_ or REDUCESCATTER_ 4: 2 MiB), in
// slices of SLICESTEPS 2 steps, up to 8 steps in flight a connection
// (NVIDIA/nccl v2.29.2 src/enqueue.cc calcCollChunking,
// src/include/collectives.h, src/init.cc DEFAULT_BUFFSIZE,
// src/device/all_reduce.h runRing). A slice's handshake with the next
// rank overlaps the slices in flight behind it, so once the pipeline
// runs the ring's steps add no latency each: what is paid is its fill
// and drain, once a pass round the ring. The nccl-tests sweeps agree:
// fitted as t = a + S/B over 64 to 512 MiB, a is 36 to 65 us on H100
// and H200 for 2, 4 and 8 GPUs alike, every op, where the preset's
// Simple step latency (7.02 us, fitted to case C08's 8 GPUs) times the
// ring's n-1 or 2(n-1) steps gave 7 us to a 2-GPU all-gather and 103 us
// to an 8-GPU all-reduce, and the copy-rate fit took up the difference
// (case C05: 293 GB/s of bus bandwidth simulated on 2 H100s).
//
// Model. Within one NVLink domain of Hopper GPUs, an NCCL Simple ring
// or tree (NCCL's chain in one node) pays no per-step latency beyond
// its route's hops, and ringFillS once a pass round the ring (twice
// for all-reduce: ncclPatternRingTwice, calcCollChunking). ringFillS
// is fitted with Hopper's copy rates of every ring op class
// (TestNCCLCopyRateFit); fitted by class instead it comes to 26 us for
// all-gather, 25 for reduce-scatter and 24 a pass of all-reduce, one
// figure. At 25 us it is a third of one 1 MiB slice on each of NCCL's
// 24 coll channels (its INFO line on 8 H100 SXM) at a rank's 340 GB/s.
// Blackwell is left as it was: its intercept grows at 8 GPUs (22 us on
// 2 and 4 B200s, 36 on 8) and its fit half holds only 64 MiB points of
// all-gather and reduce-scatter above 32 MiB, which cannot tell a fill
// from a rate. NVLS, hierarchical, p2p, LL and LL128 plans, other
// families and groups across domains keep the presets' step latencies.
//
// Cost: O(ranks) when a plan is compiled (ncclFamilyOf).

// ringFillS is a ring pass's fill by family, in seconds (see above).
var ringFillS = [...]float64{
	hopper:    25.27e-6, // fit: Hopper fit half >= 64 MiB with the copy rates, AIConfigurator 095f58a51c4c, NCCL 2.29.2
	blackwell: 0,        // not fitted: Blackwell keeps its per-step latency (see above)
}

// ringFills turns the ring fill's time off, its step latencies staying
// off (TestNCCLCopyRateFit measures the plans without it).
var ringFills = true

// ringPipelined is whether op with algo and proto on g runs as the
// model above: no per-step latency, one fill a pass.
func ringPipelined(g *Group, op Op, algo Algorithm, proto Protocol) bool {
	return g.nccl && !g.hccl && !g.spans && proto == Simple && (algo == Ring || algo == Tree) && classOf(op) != p2pClass && ncclFamilyOf(g) == hopper
}

// ringPasses is how many times op's NCCL ring goes round: twice for
// all-reduce, once for the rest.
func ringPasses(op Op) float64 {
	if op == AllReduce {
		return 2
	}
	return 1
}

// ringFill is the fill of op with algo and proto on g, 0 where the
// model does not apply.
func ringFill(g *Group, op Op, algo Algorithm, proto Protocol) sim.Time {
	if !ringFills || !ringPipelined(g, op, algo, proto) {
		return 0
	}
	return sim.FromSeconds(ringFillS[ncclFamilyOf(g)] * ringPasses(op))
}
