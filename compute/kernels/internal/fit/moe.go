package main

import (
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/compute/kernels"
	"github.com/cardsea/cardsea/compute/kernels/internal/nm"
)

type mgroup struct{ system, engine, source, dtype, dist string }

func moeKey(r kernels.MoERow) string {
	return kernels.MoEKey(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP)
}

// minMoERows is the least sample rows a (system, engine, kernel, dtype,
// distribution) table needs to be fitted: fewer leave too few held-out
// rows to report an error distribution.
const minMoERows = 60

// moeHuber is where the fit's loss turns from squared to linear in the
// log ratio of predicted to measured time (0.2: about 20%).
const moeHuber = 0.2

// fitMoE fits one MoEModel per (system, engine, kernel, dtype,
// distribution) table of the embedded sample with at least minMoERows
// rows, on its fit part, and prints the held-out error.
func fitMoE(out, dump, check string) {
	groups := map[mgroup][]kernels.MoERow{}
	var order []mgroup
	for _, s := range systems {
		rows, err := kernels.MoESample(s)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows {
			if !kernels.MoEKept(r) {
				continue // kernels.MoEExclusionRule and MoESplitRule
			}
			g := mgroup{r.System, r.Engine, r.Source, r.Dtype, r.Distribution}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], r)
		}
	}
	var full map[mgroup][]kernels.MoERow
	if check != "" {
		full = loadFullMoE(check)
	}
	fmt.Printf("\n%-9s %-17s %-34s %-17s %-14s %4s %4s | %6s %6s | %4s %6s %6s | %6s %6s %6s\n", "system", "engine", "kernel", "dtype", "distribution",
		"tile", "nfit", "fitMed", "fitP90", "nchk", "chkMed", "chkP90", "nfull", "fulMed", "fulP90")
	var fits []kernels.MoEModel
	split := func(g mgroup) (fitRows, chkRows []kernels.MoERow) {
		for _, r := range groups[g] {
			if kernels.Held(moeKey(r)) {
				chkRows = append(chkRows, r)
			} else {
				fitRows = append(fitRows, r)
			}
		}
		return fitRows, chkRows
	}
	// Tables are independent: fit them on GOMAXPROCS workers, each in its
	// own slot, so the output does not depend on scheduling.
	// One kernel runs every distribution of a (system, engine, kernel,
	// dtype): the routing differs (kernels.MoERouting), the coefficients
	// do not. So the three tables are fitted together, on the union of
	// their fit parts, and each gets an entry with its own Alpha.
	var joint []mgroup
	jrows := map[mgroup][]kernels.MoERow{}
	for _, g := range order {
		if len(groups[g]) < minMoERows {
			continue
		}
		j := g
		j.dist = ""
		if _, ok := jrows[j]; !ok {
			joint = append(joint, j)
		}
		f, _ := split(g)
		jrows[j] = append(jrows[j], f...)
	}
	jm := make([]kernels.MoEModel, len(joint))
	jok := make([]bool, len(joint))
	parallel(len(joint), func(i int) {
		jm[i], jok[i] = fitMoEGroup(joint[i], jrows[joint[i]])
	})
	models := make([]kernels.MoEModel, len(order))
	oks := make([]bool, len(order))
	for i, g := range order {
		j := g
		j.dist = ""
		for k := range joint {
			if joint[k] == j && len(groups[g]) >= minMoERows {
				models[i], oks[i] = jm[k], jok[k]
				models[i].Distribution, models[i].Alpha = g.dist, moeAlpha(g.dist)
			}
		}
	}
	for i, g := range order {
		fitRows, chkRows := split(g)
		if len(groups[g]) < minMoERows {
			fmt.Printf("%-9s %-17s %-34s %-17s %-14s not fitted: %d rows\n", g.system, g.engine, g.source, g.dtype, g.dist, len(groups[g]))
			continue
		}
		m, ok := models[i], oks[i]
		if !ok {
			continue
		}
		fs, cs := mstats(&m, fitRows), mstats(&m, chkRows)
		m.CheckN, m.CheckMedian, m.CheckP90 = cs.N, cs.Median, cs.P90
		j := g
		j.dist = ""
		m.Table = fmt.Sprintf("AIConfigurator %s/moe/%s/moe_perf.csv.gz (%s, %s, %s): fit part, %d of the %d shapes in data/moe_%s.csv.gz, fitted with the kernel's other distributions (%d rows in all)",
			g.system, g.engine, g.source, g.dtype, g.dist, len(fitRows), len(groups[g]), g.system, len(jrows[j]))
		fits = append(fits, m)
		line := fmt.Sprintf("%-9s %-17s %-34s %-17s %-14s %-14s %4d | %5.1f%% %5.1f%% | %4d %5.1f%% %5.1f%%", g.system, g.engine, g.source, g.dtype, g.dist,
			moeTileName(&m), fs.N, 100*fs.Median, 100*fs.P90, cs.N, 100*cs.Median, 100*cs.P90)
		if full != nil {
			var held []kernels.MoERow
			for _, r := range full[g] {
				if kernels.Held(moeKey(r)) && kernels.MoEKept(r) {
					held = append(held, r)
				}
			}
			hs := mstats(&m, held)
			line += fmt.Sprintf(" | %6d %5.1f%% %5.1f%%", hs.N, 100*hs.Median, 100*hs.P90)
		}
		fmt.Println(line)
		fmt.Printf("    eff_c %.3f eff_m %.3f launch %.2fus assign %.2fns p %.2f token %.2fns\n", m.EffCompute, m.EffMemory, m.LaunchS*1e6, m.AssignS*1e9, m.P, m.TokenS*1e9)
		if dump != "" {
			f, err := os.OpenFile(dump, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				log.Fatal(err)
			}
			for _, r := range groups[g] {
				p := m.Time(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP)
				fmt.Fprintf(f, "%s %s %s %s %d %d %d %d %d %d %d %.2f %.2f %.3f\n", g.system, g.source, g.dtype, g.dist,
					r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP, r.Seconds*1e6, p*1e6, p/r.Seconds-1)
			}
			f.Close()
		}
	}
	if out != "" {
		if err := os.WriteFile(filepath.Join(out, "moe_fits.go"), []byte(renderMoE(fits)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// moeTileName is a fit's tile heuristic in short: "16-128 x2 T" (range,
// scale, estimate by tokens) or "64" (fixed).
func moeTileName(m *kernels.MoEModel) string {
	if m.TileMin == m.TileMax {
		return fmt.Sprintf("%d n%d", m.TileMin, m.TileN)
	}
	s := fmt.Sprintf("%d-%d x%g n%d", m.TileMin, m.TileMax, m.TileScale, m.TileN)
	if m.TileByTokens {
		s += " T"
	}
	return s
}

func mstats(m *kernels.MoEModel, rows []kernels.MoERow) kernels.ErrStats {
	pred := make([]float64, len(rows))
	meas := make([]float64, len(rows))
	for i, r := range rows {
		pred[i] = m.Time(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP)
		meas[i] = r.Seconds
	}
	return kernels.Summarise(pred, meas)
}

var moeStarts = [][]float64{
	{math.Log(0.5), math.Log(0.7), math.Log(20), math.Log(5), math.Log(2), math.Log(5), 0},
	{math.Log(0.2), math.Log(0.4), math.Log(50), math.Log(20), math.Log(0.5), math.Log(0.5), -2},
	{math.Log(0.8), math.Log(0.9), math.Log(8), math.Log(1), math.Log(8), math.Log(20), 2},
}

// moeTile is one entry of the menu of tile heuristics.
type moeTile struct {
	min, max int
	scale    float64
	byTokens bool
	n        int
}

// moeTileMenu lists the tile heuristics a fit chooses from: every range
// of powers of two in 8-256, the estimate scaled by 1/2, 1 or 2, counted
// as rows per local expert or as tokens (a fixed tile once), each with a
// column tile of 64, 128 or 256.
func moeTileMenu() []moeTile {
	var menu []moeTile
	for _, n := range []int{64, 128, 256} {
		for lo := 8; lo <= 256; lo *= 2 {
			menu = append(menu, moeTile{lo, lo, 1, false, n})
			for hi := lo * 2; hi <= 256; hi *= 2 {
				for _, s := range []float64{0.5, 1, 2} {
					for _, bt := range []bool{false, true} {
						menu = append(menu, moeTile{lo, hi, s, bt, n})
					}
				}
			}
		}
	}
	return menu
}

// moeAlpha is the power-law exponent in a distribution's name, 0 for
// balanced.
func moeAlpha(dist string) float64 {
	if a, ok := strings.CutPrefix(dist, "power_law_"); ok {
		x, err := strconv.ParseFloat(a, 64)
		if err != nil {
			log.Fatalf("distribution %q: %v", dist, err)
		}
		return x
	}
	return 0
}

func fitMoEGroup(g mgroup, rows []kernels.MoERow) (kernels.MoEModel, bool) {
	acc, ok := kernels.AccelOf(g.system)
	if !ok {
		log.Fatalf("no datasheet for %s", g.system)
	}
	cd, wb, ok := kernels.MoEDtype(g.dtype)
	if !ok || acc.Peak[cd] == 0 {
		fmt.Printf("%-9s %-17s %-34s %-17s %-14s not fitted: no roofline for dtype\n", g.system, g.engine, g.source, g.dtype, g.dist)
		return kernels.MoEModel{}, false
	}
	base := kernels.MoEModel{System: g.system, Engine: g.engine, Source: g.source, Dtype: g.dtype, Distribution: g.dist,
		Peak: acc.Peak[cd], HBM: acc.HBM, WBytes: wb, Gated: !strings.Contains(g.source, "nongated"), AllSlots: g.source == "sglang_fused_moe_triton", Alpha: moeAlpha(g.dist), SMs: acc.SMs}
	routes := make([]kernels.MoERoute, len(rows))
	for i, r := range rows {
		routes[i] = kernels.MoERouting(moeAlpha(r.Distribution), r.Tokens, r.TopK, r.Experts, r.EP)
	}
	set := func(m *kernels.MoEModel, x []float64) {
		m.EffCompute = math.Min(math.Exp(x[0]), 4)
		m.EffMemory = math.Min(math.Exp(x[1]), 4)
		m.LaunchS = math.Exp(x[2]) * 1e-6
		m.AssignS = math.Max(math.Exp(x[3])*1e-9, 1e-15)
		m.P = math.Min(1+math.Exp(x[4]), 64)
		m.TokenS = math.Max(math.Exp(x[5])*1e-9, 1e-15)
		m.Quant = 1 / (1 + math.Exp(-x[6]))
	}
	type cand struct {
		t    moeTile
		x    []float64
		loss float64
	}
	fit := func(t moeTile, starts [][]float64, iters, restarts int) cand {
		m := base
		m.TileMin, m.TileMax, m.TileScale, m.TileByTokens, m.TileN = t.min, t.max, t.scale, t.byTokens, t.n
		loss := func(x []float64) float64 {
			set(&m, x)
			s := 0.0
			for i, r := range rows {
				// Huber loss on the log ratio: squared within 20%, linear
				// beyond, so a few autotuner outliers do not pull the fit.
				d := math.Abs(math.Log(m.RouteTime(&routes[i], r.Hidden, r.Inter, r.TP) / r.Seconds))
				if d < moeHuber {
					s += d * d
				} else {
					s += 2*moeHuber*d - moeHuber*moeHuber
				}
			}
			return s / float64(len(rows))
		}
		best := cand{t: t, loss: math.Inf(1)}
		for _, x0 := range starts {
			x, l := nm.Minimize(loss, x0, []float64{0.3, 0.3, 0.5, 1, 0.5, 1, 1}, iters, restarts)
			if l < best.loss {
				best.x, best.loss = x, l
			}
		}
		return best
	}
	// Screen the menu from one start, then refit the best few from all.
	var cands []cand
	for _, t := range moeTileMenu() {
		cands = append(cands, fit(t, moeStarts[:1], 300, 0))
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].loss < cands[j].loss })
	best := cand{loss: math.Inf(1)}
	for _, c := range cands[:4] {
		if r := fit(c.t, moeStarts, 2000, 2); r.loss < best.loss {
			best = r
		}
	}
	m := base
	m.TileMin, m.TileMax, m.TileScale, m.TileByTokens, m.TileN = best.t.min, best.t.max, best.t.scale, best.t.byTokens, best.t.n
	set(&m, best.x)
	return m, true
}

func renderMoE(fits []kernels.MoEModel) string {
	var b strings.Builder
	b.WriteString("// Code generated by go run ./compute/kernels/internal/fit -out compute/kernels; DO NOT EDIT.\n\n")
	b.WriteString("package kernels\n\n")
	b.WriteString("// moeFits are the fitted fused-MoE models, one per (system, engine,\n")
	b.WriteString("// kernel, dtype, distribution) table, each with the table it came from.\n")
	b.WriteString("var moeFits = []MoEModel{\n")
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, m := range fits {
		fmt.Fprintf(&b, "\t{\n\t\tSystem: %q, Engine: %q, Source: %q,\n\t\tDtype: %q, Distribution: %q,\n", m.System, m.Engine, m.Source, m.Dtype, m.Distribution)
		fmt.Fprintf(&b, "\t\tPeak: %s, HBM: %s, WBytes: %s, Gated: %v, AllSlots: %v, Alpha: %s, SMs: %d,\n", f(m.Peak), f(m.HBM), f(m.WBytes), m.Gated, m.AllSlots, f(m.Alpha), m.SMs)
		fmt.Fprintf(&b, "\t\tTileMin: %d, TileMax: %d, TileScale: %s, TileByTokens: %v, TileN: %d,\n", m.TileMin, m.TileMax, f(m.TileScale), m.TileByTokens, m.TileN)
		fmt.Fprintf(&b, "\t\tEffCompute: %s, EffMemory: %s, LaunchS: %s, AssignS: %s, P: %s, Quant: %s,\n", f(m.EffCompute), f(m.EffMemory), f(m.LaunchS), f(m.AssignS), f(m.P), f(m.Quant))
		fmt.Fprintf(&b, "\t\tTokenS: %s,\n", f(m.TokenS))
		fmt.Fprintf(&b, "\t\tTable: %q,\n", m.Table)
		fmt.Fprintf(&b, "\t\tCheckN: %d, CheckMedian: %s, CheckP90: %s,\n\t},\n", m.CheckN, f(m.CheckMedian), f(m.CheckP90))
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		log.Fatal(err)
	}
	return string(src)
}

// loadFullMoE reads every engine's moe_perf table whole.
func loadFullMoE(src string) map[mgroup][]kernels.MoERow {
	out := map[mgroup][]kernels.MoERow{}
	for _, s := range systems {
		paths, _ := filepath.Glob(filepath.Join(src, s, "moe", "*", "moe_perf.csv.gz"))
		for _, p := range paths {
			engine := filepath.Base(filepath.Dir(p))
			eachRow(p, func(col map[string]int, rec []string) {
				at := func(c string) int {
					x, err := strconv.Atoi(rec[col[c]])
					if err != nil {
						log.Fatalf("%s: %v", p, err)
					}
					return x
				}
				ms, err := strconv.ParseFloat(rec[col["latency"]], 64)
				if err != nil {
					log.Fatalf("%s: %v", p, err)
				}
				r := kernels.MoERow{System: s, Engine: engine, Source: rec[col["kernel_source"]], Dtype: kernels.DtypeName(rec[col["moe_dtype"]]),
					Distribution: rec[col["distribution"]], Tokens: at("num_tokens"), Hidden: at("hidden_size"), Inter: at("inter_size"),
					TopK: at("topk"), Experts: at("num_experts"), TP: at("moe_tp_size"), EP: at("moe_ep_size"), Seconds: ms * 1e-3}
				g := mgroup{s, engine, r.Source, r.Dtype, r.Distribution}
				out[g] = append(out[g], r)
			})
		}
	}
	return out
}
