package kernels

import (
	"fmt"
	"math"
	"strings"
)

// MoEFloorMargin is how far below its HBM floor (MoEFloor) a measured
// MoE row may fall before MoEPhysical calls it impossible: 10%, room for
// the datasheet bandwidth being a rounded figure and for timer noise, not
// for any fit's error.
const MoEFloorMargin = 0.10

// MoEExclusionRule says in one line which MoE rows the fits and the
// held-out report leave out, and why.
const MoEExclusionRule = "roofline floor: a row more than 10% faster than the larger of the HBM time of the expert weights it must read " +
	"(experts its tokens touch x hidden x inter/TP x 3 or 2 matrices x the dtype's bytes, at the datasheet HBM bandwidth) " +
	"and the compute time of its GEMMs (2 x assignments x hidden x inter/TP x matrices FLOPs at the dtype's dense peak) is physically impossible"

// MoEFloor is the least time one fused MoE call of row r can take on its
// system's GPU, seconds: the HBM time of the weights it must at least
// read once, those of the local experts its tokens touch (Accels' HBM
// bandwidth; weight bytes per element as the model's, moeDtype; 3
// matrices, or 2 for a "nongated" kernel, each hidden x inter/TP). The
// experts touched are counted without the model's routing replay, from
// what the collector's routing guarantees: balanced routing spreads the
// rank's A = ceil(T K / ep) assignments evenly, so it touches min(E/ep, A)
// experts; under a power law the busiest rank has at least A assignments
// and an expert takes at most one per token, so it touches at least
// min(E/ep, ceil(A / T)). Nor can it beat the compute roofline of its
// GEMMs, 2 A x hidden x inter/TP x matrices FLOPs at the dtype's dense
// datasheet peak; the floor is the larger of the two times (a kernel may
// overlap them, not skip either). The second result is false when the system or
// dtype has no datasheet figure. Cost: O(1).
func MoEFloor(r MoERow) (float64, bool) {
	acc, ok := AccelOf(r.System)
	if !ok || r.Tokens <= 0 || r.TopK <= 0 || r.Experts <= 0 || r.TP <= 0 || r.EP <= 0 {
		return 0, false
	}
	cd, wb, ok := moeDtype(r.Dtype)
	if !ok || acc.Peak[cd] == 0 {
		return 0, false
	}
	el := float64(max(1, r.Experts/r.EP))
	a := math.Ceil(float64(r.Tokens) * float64(r.TopK) / float64(r.EP))
	touched := math.Min(el, a)
	if r.Distribution != "balanced" {
		touched = math.Min(el, math.Ceil(a/float64(r.Tokens)))
	}
	mats := 3.0
	if strings.Contains(r.Source, "nongated") {
		mats = 2
	}
	mat := float64(r.Hidden) * float64(r.Inter) / float64(r.TP)
	tm := touched * mat * mats * wb / acc.HBM
	tc := 2 * a * mat * mats / acc.Peak[cd]
	return math.Max(tm, tc), true
}

// MoEPhysical reports whether a measured MoE row is physically possible
// under MoEExclusionRule: not more than MoEFloorMargin below MoEFloor. A
// row without a floor (no datasheet figure) is kept. Cost: O(1).
func MoEPhysical(r MoERow) bool {
	f, ok := MoEFloor(r)
	return !ok || r.Seconds >= (1-MoEFloorMargin)*f
}

// MoEKept reports whether the MoE fits and the held-out report use row r:
// it is physically possible (MoEPhysical) and its (TP, EP) slice passes
// MoESplitRule on the full table (MoESliceExcluded). Cost: O(1) after the
// carried slice list is decoded once.
func MoEKept(r MoERow) bool { return MoEPhysical(r) && !MoESliceExcluded(r) }

// MoEExclusion counts the rows of one system's MoE table (one engine's
// moe_perf, as sampled) that MoEKept leaves out: below the roofline floor
// (Floor) and, of the rest, in a slice that fails the split-consistency
// rule (Split).
type MoEExclusion struct {
	System, Engine     string
	Floor, Split, Rows int
}

// String is "SYSTEM ENGINE moe_perf: excluded N of M rows (rule: roofline
// floor A, split consistency B)"; MoEExclusionRule and MoESplitRule state
// the rules.
func (e MoEExclusion) String() string {
	return fmt.Sprintf("%s %s moe_perf: excluded %d of %d rows (rule: roofline floor %d, split consistency %d)",
		e.System, e.Engine, e.Floor+e.Split, e.Rows, e.Floor, e.Split)
}

// MoEExclusions returns the exclusion counts of every MoE table in the
// embedded sample, by system (Accels order) and engine (sample order,
// which is sorted). Cost: decodes each system's MoE sample once.
func MoEExclusions() ([]MoEExclusion, error) {
	if err := moeSlicesError(); err != nil {
		return nil, err
	}
	var out []MoEExclusion
	for _, a := range Accels {
		rows, err := MoESample(a.System)
		if err != nil {
			return nil, err
		}
		first := len(out)
		for _, r := range rows {
			i := first
			for i < len(out) && out[i].Engine != r.Engine {
				i++
			}
			if i == len(out) {
				out = append(out, MoEExclusion{System: a.System, Engine: r.Engine})
			}
			out[i].Rows++
			switch {
			case !MoEPhysical(r):
				out[i].Floor++
			case MoESliceExcluded(r):
				out[i].Split++
			}
		}
	}
	return out, nil
}
