package kernels

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
)

// MoESplitMargin is how much slower than a slice with at least as much
// work per GPU a (TP, EP) slice of an MoE table may be before
// MoESplitOutliers calls the whole slice inconsistent: 25%, room for
// timer noise and autotuner choices, not for any fit's error.
const MoESplitMargin = 0.25

// MoESplitRule says in one line which whole MoE slices are left out.
const MoESplitRule = "split consistency: a whole (TP, EP) slice whose median time over the token counts it shares (at least 3) " +
	"with a slice of the same kernel, dtype, distribution and layer at a TP and EP that divide its own is more than 25% slower " +
	"(splitting the experts or their width further never adds work per GPU: weights, FLOPs and padded rows all shrink or stay)"

// MoESlice is one (TP, EP) slice of an MoE table that MoESplitOutliers
// excludes: its key, the slice with at least as much work per GPU it is
// slowest against (ParentTP, ParentEP) and the median time ratio.
type MoESlice struct {
	Engine, Source, Dtype, Distribution  string
	Hidden, Inter, TopK, Experts, TP, EP int
	ParentTP, ParentEP                   int
	Ratio                                float64
}

func (s *MoESlice) family() string {
	return fmt.Sprintf("%s|%s|%s|%s|%d|%d|%d|%d", s.Engine, s.Source, s.Dtype, s.Distribution, s.Hidden, s.Inter, s.TopK, s.Experts)
}

// MoESplitOutliers returns the slices of rows (one system's full MoE
// tables) that fail MoESplitRule, sorted. With the same tokens, a slice
// at (TP, EP) does no more work per GPU than one at (TP', EP') with TP' |
// TP and EP' | EP: its experts are a subset of the other's rank (EP
// ranks are contiguous blocks of experts) and each is no wider, so its
// weight bytes, FLOPs and padded rows are no more, and its fixed costs
// the same. A slice measured well slower across the tokens both hold was
// not measured as labelled. Cost: O(F S^2 T) for F families of S slices
// of T token counts each, after an O(n log n) grouping of the n rows.
func MoESplitOutliers(rows []MoERow) []MoESlice {
	type slice struct {
		key MoESlice
		t   map[int]float64
	}
	byKey := map[string]*slice{}
	var keys []string
	for _, r := range rows {
		s := MoESlice{Engine: r.Engine, Source: r.Source, Dtype: r.Dtype, Distribution: r.Distribution,
			Hidden: r.Hidden, Inter: r.Inter, TopK: r.TopK, Experts: r.Experts, TP: r.TP, EP: r.EP}
		k := s.family() + "|" + strconv.Itoa(r.TP) + "|" + strconv.Itoa(r.EP)
		sl := byKey[k]
		if sl == nil {
			sl = &slice{key: s, t: map[int]float64{}}
			byKey[k] = sl
			keys = append(keys, k)
		}
		sl.t[r.Tokens] = r.Seconds
	}
	sort.Strings(keys)
	fams := map[string][]*slice{}
	var famKeys []string
	for _, k := range keys {
		sl := byKey[k]
		f := sl.key.family()
		if fams[f] == nil {
			famKeys = append(famKeys, f)
		}
		fams[f] = append(fams[f], sl)
	}
	var out []MoESlice
	var ratios []float64
	for _, f := range famKeys {
		for _, s := range fams[f] {
			worst := MoESlice{}
			for _, p := range fams[f] {
				if p == s || s.key.TP%p.key.TP != 0 || s.key.EP%p.key.EP != 0 {
					continue
				}
				ratios = ratios[:0]
				for tok, sec := range s.t {
					if ps, ok := p.t[tok]; ok && ps > 0 {
						ratios = append(ratios, sec/ps)
					}
				}
				if len(ratios) < 3 {
					continue
				}
				slices.Sort(ratios)
				med := median(ratios)
				if med > 1+MoESplitMargin && med > worst.Ratio {
					worst = s.key
					worst.ParentTP, worst.ParentEP, worst.Ratio = p.key.TP, p.key.EP, med
				}
			}
			if worst.Ratio > 0 {
				out = append(out, worst)
			}
		}
	}
	return out
}

// median of sorted v (not empty).
func median(v []float64) float64 {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// moeSlicesOut is the carried list of excluded slices per system
// (data/moeslices_<system>.csv.gz, written by internal/mksample from the
// full tables), decoded once.
var (
	moeSlicesOnce sync.Once
	moeSlicesOut  map[string]bool
	moeSlicesErr  error
)

func moeSliceKey(system, engine, source, dtype, dist string, h, i, k, e, tp, ep int) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d|%d|%d|%d|%d|%d", system, engine, source, dtype, dist, h, i, k, e, tp, ep)
}

func loadMoESlices() {
	moeSlicesOut = map[string]bool{}
	for _, a := range Accels {
		recs, err := sampleRecords("moeslices", a.System, 13)
		if err != nil {
			moeSlicesErr = err
			return
		}
		for _, rec := range recs {
			v, _, err := sampleNumbers(rec, 4, 6, "moeslices", a.System)
			if err != nil {
				moeSlicesErr = err
				return
			}
			moeSlicesOut[moeSliceKey(a.System, rec[0], rec[1], rec[2], rec[3], v[0], v[1], v[2], v[3], v[4], v[5])] = true
		}
	}
}

// MoESliceExcluded reports whether row r's (TP, EP) slice is in the
// carried list of slices that fail MoESplitRule on the full tables.
func MoESliceExcluded(r MoERow) bool {
	moeSlicesOnce.Do(loadMoESlices)
	return moeSlicesOut[moeSliceKey(r.System, r.Engine, r.Source, r.Dtype, r.Distribution, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP)]
}

// MoESlicesErr is the error, if any, of decoding the carried slice list.
func moeSlicesError() error {
	moeSlicesOnce.Do(loadMoESlices)
	return moeSlicesErr
}
