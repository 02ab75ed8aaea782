package collective

import (
	"fmt"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

// Op is a collective operation.
type Op string

// Operations.
const (
	AllReduce     Op = "allreduce"
	AllGather     Op = "allgather"
	ReduceScatter Op = "reducescatter"
	AllToAll      Op = "alltoall"
	Broadcast     Op = "broadcast"
	Reduce        Op = "reduce"
	SendRecv      Op = "sendrecv"
	MoEDispatch   Op = "moe_dispatch"
	MoECombine    Op = "moe_combine"
)

// Ops lists every operation.
var Ops = []Op{AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast, Reduce, SendRecv, MoEDispatch, MoECombine}

// ParseOp parses an operation name.
func ParseOp(s string) (Op, error) {
	for _, o := range Ops {
		if strings.EqualFold(s, string(o)) {
			return o, nil
		}
	}
	names := make([]string, len(Ops))
	for i, o := range Ops {
		names[i] = string(o)
	}
	msg := fmt.Sprintf("unknown op %q", s)
	if n := strictyaml.Nearest(s, names); n != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", n)
	}
	return "", fmt.Errorf("%s; want one of %s", msg, strings.Join(names, ", "))
}

// BusFactor is the nccl-tests factor from algorithm bandwidth to bus
// bandwidth for n ranks.
func (o Op) BusFactor(n int) float64 {
	if n < 2 {
		return 1
	}
	switch o {
	case AllReduce:
		return 2 * float64(n-1) / float64(n)
	case AllGather, ReduceScatter, AllToAll, MoEDispatch, MoECombine:
		return float64(n-1) / float64(n)
	}
	return 1
}

// Algorithm is how an operation is carried out.
type Algorithm string

// Algorithms.
const (
	Auto     Algorithm = "auto"
	Ring     Algorithm = "ring"
	Tree     Algorithm = "tree"
	HalvDoub Algorithm = "hd"
	Direct   Algorithm = "direct"
	Pairwise Algorithm = "pairwise"
	NVLS     Algorithm = "nvls"
	Hier     Algorithm = "hier"
)

// Algorithms lists every algorithm name.
var Algorithms = []Algorithm{Auto, Ring, Tree, HalvDoub, Direct, Pairwise, NVLS, Hier}

// ParseAlgorithm parses an algorithm name.
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range Algorithms {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	names := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		names[i] = string(a)
	}
	if why, ok := ncclOnly[strings.ToLower(strings.ReplaceAll(s, "_", ""))]; ok {
		return "", fmt.Errorf("algorithm %q (NCCL_ALGO): %s; want one of %s", s, why, strings.Join(names, ", "))
	}
	return "", fmt.Errorf("unknown algorithm %q; want one of %s", s, strings.Join(names, ", "))
}

// ncclOnly names NCCL_ALGO values (NCCL 2.30.7) cardsea does not run as
// such, and what to run instead. NCCL's Ring, Tree and NVLS are ring,
// tree and nvls here.
var ncclOnly = map[string]string{
	"nvlstree":      "NVLS within each NVLink domain and a tree across them; hier runs the same levels (rings within the domain, across, and within again) without the in-switch reduction",
	"collnet":       "in-network reduction in the scale-out switches (SHARP) is not modelled; ring or tree is what runs without it",
	"collnetdirect": "in-network reduction in the scale-out switches (SHARP) is not modelled; ring or tree is what runs without it",
	"collnetchain":  "in-network reduction in the scale-out switches (SHARP) is not modelled; ring or tree is what runs without it",
	"pat":           "PAT (allgather and reduce-scatter at one rank per node) is not modelled; ring is what NCCL runs otherwise",
}

// supports lists the algorithms each operation has.
var supports = map[Op][]Algorithm{
	AllReduce:     {Ring, Tree, HalvDoub, Direct, NVLS, Hier},
	AllGather:     {Ring, HalvDoub, Direct, Hier},
	ReduceScatter: {Ring, HalvDoub, Direct, NVLS, Hier},
	AllToAll:      {Direct, Pairwise},
	Broadcast:     {Ring, Tree},
	Reduce:        {Ring, Tree},
	SendRecv:      {Direct},
	MoEDispatch:   {Direct},
	MoECombine:    {Direct},
}

// AlgorithmsFor lists the algorithms an operation has, in the order auto tries them.
func AlgorithmsFor(o Op) []Algorithm { return supports[o] }

// Protocol is how data moves within an algorithm, after NCCL's protocols:
// the low-latency protocol (LL) hands off each step quickly but carries
// only half payload (4 data bytes and a 4-byte flag per 8-byte store); the
// bulk protocol (Simple) carries full payload at the link's efficiency but
// pays a larger per-step latency; LL128 carries 120 data bytes in every
// 128-byte line (a flag in the last 8) with a step latency between the
// two (nccltune.go).
type Protocol string

// Protocols.
const (
	ProtoAuto Protocol = ""
	LL        Protocol = "ll"
	Simple    Protocol = "simple"
	LL128     Protocol = "ll128"
)

// llPayload is the fraction of LL bytes that are data.
const llPayload = 0.5

// ParseProtocol parses "auto", "ll", "ll128" or "simple".
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return ProtoAuto, nil
	case "ll":
		return LL, nil
	case "simple":
		return Simple, nil
	case "ll128":
		return LL128, nil
	}
	return "", fmt.Errorf("unknown protocol %q; want auto, ll, ll128 or simple", s)
}

func (p Protocol) String() string {
	if p == ProtoAuto {
		return "auto"
	}
	return string(p)
}
