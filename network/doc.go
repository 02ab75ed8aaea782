// Package network is cardsea's flow-level (fluid) model of data moving
// across a fabric, with contention, on the sim event kernel.
//
// A transfer is a flow between two vertices. Its rate is the max-min fair
// share (progressive filling) across every directed channel it crosses;
// rates are recomputed only for the connected set of flows that a start or
// a finish touches, and every start and finish at one timestamp is batched
// into one recomputation. A flow completes when its bytes have drained and
// the first-byte latency of its path (wire and switch hops) has passed.
//
// # Parallel planes are a bundle
//
// Network works on a quotient of the topology: switch chips that are
// interchangeable (same tier, same neighbours: NVL72's 18 NVLink switches,
// the 16 L2 chips of every CloudMatrix sub-plane and its 7 sub-planes, the
// 7 L1 chips of one CloudMatrix node) merge into one switch class, and the
// links between two classes into one channel with their summed capacity.
// This is exact when traffic spreads over parallel elements in proportion to
// their capacity, as NVLink and UB hardware spread it; it turns the 112
// paths between two CloudMatrix dies into one, so a 384-rank all-to-all is
// 147,072 flows of four channels each rather than 16 million subflows.
// Where the quotient still offers several shortest routes (tori, leaf/spine
// networks) a flow splits over them in proportion to their path counts
// (ECMP).
//
// # Merged flows
//
// k flows along one route that start together with the same bytes run as
// one flow with multiplicity k (Fabric.Merged: every share k times as
// large), exactly under max-min fairness: each of the k gets the fair
// share, a channel carries it k times, and the channel statistics are
// those of the k flows run apart (merge.go says why, and to what
// tolerance in floating point). An all-to-all over interchangeable ranks
// is then a flow per class of pairs, not per pair.
//
// Channel capacity is the raw link rate times the link's protocol
// efficiency from the preset. Per-channel statistics (bytes carried, busy
// time, peak utilisation: the highest load held for a positive time)
// accumulate for every run.
//
// Everything is deterministic: vertices, channels and flows are dense
// integers and no map is iterated to produce a result.
package network
