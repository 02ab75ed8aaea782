package main

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/compute/kernels"
	"github.com/cardsea/cardsea/compute/kernels/internal/nm"
)

type agroup struct{ system, engine, phase, dtype, kv string }

func attnKey(r kernels.AttentionRow) string {
	return kernels.AttentionKey(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim)
}

// fitAttention fits one AttentionModel per (system, engine, phase, dtype,
// KV dtype) table of the embedded sample, on its fit part, and prints the
// held-out error.
func fitAttention(out, dump, check string) {
	groups := map[agroup][]kernels.AttentionRow{}
	var order []agroup
	for _, s := range systems {
		rows, err := kernels.AttentionSample(s)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows {
			g := agroup{r.System, r.Engine, r.Phase, r.Dtype, r.KVDtype}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], r)
		}
	}
	split := func(g agroup) (fit, chk []kernels.AttentionRow) {
		return splitRows(groups[g], attnKey)
	}
	if phaseOnly != "" {
		var keep []agroup
		for _, g := range order {
			if g.phase == phaseOnly {
				keep = append(keep, g)
			}
		}
		order = keep
	}
	models := make([]kernels.AttentionModel, len(order))
	parallel(len(order), func(i int) {
		f, _ := split(order[i])
		models[i] = fitAttnGroup(order[i], f, true)
	})
	var full map[agroup][]kernels.AttentionRow
	if check != "" {
		full = loadFullAttention(check)
	}
	fmt.Printf("\n%-9s %-17s %-10s %-5s %-5s %4s %7s %4s | %6s %6s | %4s %6s %6s | %6s %6s %6s\n", "system", "engine", "phase", "dtype", "kv", "tile", "group", "nfit",
		"fitMed", "fitP90", "nchk", "chkMed", "chkP90", "nfull", "fulMed", "fulP90")
	for i, g := range order {
		fitRows, chkRows := split(g)
		m := &models[i]
		fs, cs := astats(m, fitRows), astats(m, chkRows)
		if dump != "" {
			f, err := os.OpenFile(dump, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				log.Fatal(err)
			}
			for _, r := range groups[g] {
				p := m.Time(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim)
				fmt.Fprintf(f, "%s %s %s %s %d %d %d %d %d %.2f %.2f %.3f\n", g.system, g.phase, g.dtype, g.kv, r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim, r.Seconds*1e6, p*1e6, p/r.Seconds-1)
			}
			f.Close()
		}
		m.CheckN, m.CheckMedian, m.CheckP90 = cs.N, cs.Median, cs.P90
		m.Source = fmt.Sprintf("AIConfigurator %s/attention/%s/%s_attention_perf.csv.gz (%s, window 0): fit part, %d of the %d shapes in data/attention_%s.csv.gz",
			g.system, g.engine, g.phase, groups[g][0].Source, len(fitRows), len(groups[g]), g.system)
		line := fmt.Sprintf("%-9s %-17s %-10s %-5s %-5s %4d %7d %4d | %5.1f%% %5.1f%% | %4d %5.1f%% %5.1f%%", g.system, g.engine, g.phase, g.dtype, g.kv,
			m.TileQ, m.GroupMax, fs.N, 100*fs.Median, 100*fs.P90, cs.N, 100*cs.Median, 100*cs.P90)
		if full != nil {
			var held []kernels.AttentionRow
			for _, r := range full[g] {
				if kernels.Held(attnKey(r)) {
					held = append(held, r)
				}
			}
			hs := astats(m, held)
			line += fmt.Sprintf(" | %6d %5.1f%% %5.1f%%", hs.N, 100*hs.Median, 100*hs.P90)
		}
		fmt.Println(line)
		fmt.Printf("    reuse %.2f q %.2f mhamem %.2f dim %.4fns overlap %.3f mhacta %.3f dispatch %s ungated %t glaunch %.2fus\n", m.Reuse, m.Q, m.MHAMem, m.DimS*1e9, m.Overlap, m.MHACTA, m.Dispatch, m.Ungated, m.GroupLaunchS*1e6)
		fmt.Printf("    eff_c %.3f eff_m %.3f quant %.2f launch %.2fus p %.2f kmin %.0f ctabw %.0fGB/s tok %.3fB head %.2fns group %.2fns exp %.1fT/s\n",
			m.EffCompute, m.EffMemory, m.Quant, m.LaunchS*1e6, m.P, m.KMin, m.CTABW/1e9, m.TokenBytes, m.HeadS*1e9, m.GroupS*1e9, m.ExpRate/1e12)
	}
	if out != "" {
		if phaseOnly != "" {
			models = keepOthers(kernels.AttentionModels(), models, phaseOnly)
		}
		if err := os.WriteFile(filepath.Join(out, "attention_fits.go"), []byte(renderAttn(models)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func astats(m *kernels.AttentionModel, rows []kernels.AttentionRow) kernels.ErrStats {
	pred := make([]float64, len(rows))
	meas := make([]float64, len(rows))
	for i, r := range rows {
		pred[i] = m.Time(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim)
		meas[i] = r.Seconds
	}
	return kernels.Summarise(pred, meas)
}

// attnStarts are the Nelder-Mead starting points: efficiencies, quant,
// launch, P, KMin, CTA bandwidth, token bytes.
var attnStarts = [][]float64{
	{math.Log(0.5), math.Log(0.8), 0, math.Log(10), math.Log(2), math.Log(256), math.Log(100), math.Log(0.1), math.Log(10), math.Log(10), math.Log(30)},
	{math.Log(0.3), math.Log(0.6), 2, math.Log(20), math.Log(0.5), math.Log(1024), math.Log(30), math.Log(1), math.Log(3), math.Log(3), math.Log(10)},
	{math.Log(0.7), math.Log(0.9), -2, math.Log(5), math.Log(8), math.Log(64), math.Log(300), math.Log(0.01), math.Log(30), math.Log(30), math.Log(60)},
}

// fitAttnGroup fits one table; overlap adds generation's overlap of the
// fixed per-unit cost with the KV stream (Overlap) to the fitted terms
// (attention, not MLA).
func fitAttnGroup(g agroup, rows []kernels.AttentionRow, overlap bool) kernels.AttentionModel {
	acc, ok := kernels.AccelOf(g.system)
	if !ok {
		log.Fatalf("no datasheet for %s", g.system)
	}
	base := kernels.AttentionModel{System: g.system, Engine: g.engine, Phase: g.phase, Dtype: g.dtype, KVDtype: g.kv,
		Peak: acc.Peak[g.dtype], HBM: acc.HBM, SMs: acc.SMs, TileQ: 1}
	if base.Peak == 0 {
		log.Fatalf("%s has no %s peak", g.system, g.dtype)
	}
	// Context fits the query tile, generation the group limit; the
	// other is fixed.
	menu := [][2]int{{64, 0}, {128, 0}, {256, 0}}
	if g.phase != kernels.Context {
		menu = [][2]int{{1, 4}, {1, 8}, {1, 16}, {1, 32}, {1, 64}, {1, 1 << 20}}
		if overlap {
			// Attention (not MLA) takes TensorRT-LLM's own dispatch
			// rules, which fix the group limit.
			base.Dispatch = dispatchOf(g.system)
			menu = [][2]int{{1, 32}}
			if base.Dispatch == kernels.DispatchTRTLLMGen {
				menu = [][2]int{{1, 16}}
			}
		}
	}
	var best kernels.AttentionModel
	bestLoss := math.Inf(1)
	// With a dispatch the fit also tries it with the fill gate off and
	// the plain GroupMax rule (no dispatch, group limit 32), and keeps
	// whichever fits the fit part best.
	type variant struct {
		dispatch string
		ungated  bool
	}
	variants := []variant{{base.Dispatch, false}}
	if base.Dispatch != "" {
		variants = append(variants, variant{base.Dispatch, true}, variant{"", false})
	}
	for _, v := range variants {
		for _, t := range menu {
			m := base
			m.TileQ, m.GroupMax = t[0], t[1]
			m.Dispatch, m.Ungated = v.dispatch, v.ungated
			if v.dispatch == "" && base.Dispatch != "" {
				m.GroupMax = 32
			}
			set := func(x []float64) {
				// Efficiencies at most 4 (a term that does not bind a
				// table drifts, and 4 says "not binding" plainly), the
				// softmax rate at most 10^15 scores/s.
				m.EffCompute = math.Min(math.Exp(x[0]), 4)
				m.EffMemory = math.Min(math.Exp(x[1]), 4)
				m.Quant = 1 / (1 + math.Exp(-x[2]))
				m.LaunchS = math.Exp(x[3]) * 1e-6
				m.P = math.Min(1+math.Exp(x[4]), 64)
				m.KMin = math.Min(math.Max(math.Exp(x[5]), 1), 1<<20)
				m.CTABW = math.Min(math.Exp(x[6])*1e9, 1e15)
				m.TokenBytes = math.Max(math.Exp(x[7]), 1e-6)
				m.HeadS = math.Max(math.Exp(x[8])*1e-9, 1e-15)
				m.ExpRate = math.Min(math.Exp(x[9])*1e12, 1e15)
				m.GroupS = math.Max(math.Exp(x[10])*1e-9, 1e-15)
				if len(x) > 11 {
					// generation: L2 reuse of the fallback's re-reads (1 to
					// 64) and the sharpness of the bandwidth limits (1 to 64)
					m.Reuse = math.Min(1+math.Exp(x[11]), 64)
					m.Q = math.Min(1+math.Exp(x[12]), 64)
					if m.Q < 1.001 {
						m.Q = 1 // the harmonic sum exactly: Time takes no math.Pow for it
					}
					m.MHAMem = math.Min(math.Max(math.Exp(x[13]), 0.1), 10)
					m.DimS = math.Max(math.Exp(x[14])*1e-9, 1e-18)
				}
				if len(x) > 15 {
					// generation: the fixed cost's share that overlaps the KV stream (0 to 1)
					m.Overlap = 1 / (1 + math.Exp(-x[15]))
					// and the per-head kernel's per-CTA bandwidth over CTABW (0.05 to 20)
					m.MHACTA = math.Min(math.Max(math.Exp(x[16]), 0.05), 20)
				}
				if len(x) > 17 {
					// generation: the grouped kernel's own launch cost
					m.GroupLaunchS = math.Exp(x[17]) * 1e-6
				}
			}
			loss := func(x []float64) float64 {
				set(x)
				s := 0.0
				for _, r := range rows {
					d := math.Log(m.Time(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim) / r.Seconds)
					s += d * d
				}
				return s / float64(len(rows))
			}
			step := []float64{0.3, 0.3, 1, 0.5, 0.5, 1, 1, 1, 1, 1, 1}
			starts := attnStarts
			if g.phase != kernels.Context {
				step = append(step, 1, 1, 0.3, 1)
				starts = nil
				for _, x0 := range attnStarts {
					x1 := append(append([]float64(nil), x0...), 0, 0, 0, math.Log(0.01))
					if overlap {
						x1 = append(x1, 0, 0, x0[3])
					}
					starts = append(starts, x1)
				}
				if overlap {
					step = append(step, 1, 0.5, 0.3)
				}
			}
			for _, x0 := range starts {
				x, l := nm.Minimize(loss, x0, step, 2000, 2)
				set(x)
				if l < bestLoss {
					best, bestLoss = m, l
				}
			}
		}
	}
	return best
}

// dispatchOf is TensorRT-LLM's decode dispatch on a system: XQA on
// Hopper (SM 90), trtllm-gen on Blackwell (SM 100).
func dispatchOf(system string) string {
	if strings.HasPrefix(system, "h100") || strings.HasPrefix(system, "h200") {
		return kernels.DispatchXQA
	}
	return kernels.DispatchTRTLLMGen
}

func renderAttn(fits []kernels.AttentionModel) string {
	var b strings.Builder
	b.WriteString("// Code generated by go run ./compute/kernels/internal/fit -out compute/kernels; DO NOT EDIT.\n\n")
	b.WriteString("package kernels\n\n")
	b.WriteString("// attentionFits are the fitted attention models, one per (system,\n")
	b.WriteString("// engine, phase, dtype, KV dtype) table, each with the table it came from.\n")
	b.WriteString("var attentionFits = []AttentionModel{\n")
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, m := range fits {
		fmt.Fprintf(&b, "\t{\n\t\tSystem: %q, Engine: %q, Phase: %q, Dtype: %q, KVDtype: %q,\n", m.System, m.Engine, m.Phase, m.Dtype, m.KVDtype)
		fmt.Fprintf(&b, "\t\tPeak: %s, HBM: %s, SMs: %d, TileQ: %d, GroupMax: %d,\n", f(m.Peak), f(m.HBM), m.SMs, m.TileQ, m.GroupMax)
		fmt.Fprintf(&b, "\t\tEffCompute: %s, EffMemory: %s, Quant: %s,\n", f(m.EffCompute), f(m.EffMemory), f(m.Quant))
		fmt.Fprintf(&b, "\t\tLaunchS: %s, P: %s, KMin: %s, CTABW: %s, TokenBytes: %s,\n", f(m.LaunchS), f(m.P), f(m.KMin), f(m.CTABW), f(m.TokenBytes))
		fmt.Fprintf(&b, "\t\tHeadS: %s, GroupS: %s, ExpRate: %s,\n", f(m.HeadS), f(m.GroupS), f(m.ExpRate))
		if m.Reuse != 0 || m.Q != 0 || m.MHAMem != 0 || m.DimS != 0 {
			fmt.Fprintf(&b, "\t\tReuse: %s, Q: %s, MHAMem: %s, DimS: %s,\n", f(m.Reuse), f(m.Q), f(m.MHAMem), f(m.DimS))
		}
		if m.Overlap != 0 {
			fmt.Fprintf(&b, "\t\tOverlap: %s, MHACTA: %s,\n", f(m.Overlap), f(m.MHACTA))
		}
		if m.Dispatch != "" || m.GroupLaunchS != 0 {
			fmt.Fprintf(&b, "\t\tDispatch: %q, Ungated: %t, GroupLaunchS: %s,\n", m.Dispatch, m.Ungated, f(m.GroupLaunchS))
		}
		if m.L2Bytes != 0 || m.L2Gain != 0 {
			fmt.Fprintf(&b, "\t\tL2Bytes: %s, L2Gain: %s,\n", f(m.L2Bytes), f(m.L2Gain))
		}
		fmt.Fprintf(&b, "\t\tSource: %q,\n", m.Source)
		fmt.Fprintf(&b, "\t\tCheckN: %d, CheckMedian: %s, CheckP90: %s,\n\t},\n", m.CheckN, f(m.CheckMedian), f(m.CheckP90))
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		log.Fatal(err)
	}
	return string(src)
}

// loadFullAttention reads AIConfigurator's TensorRT-LLM attention tables
// whole (window 0, beam 1), as the sampler sees them.
func loadFullAttention(src string) map[agroup][]kernels.AttentionRow {
	out := map[agroup][]kernels.AttentionRow{}
	for _, s := range systems {
		paths, _ := filepath.Glob(filepath.Join(src, s, "attention", "trtllm-*", "*_attention_perf.csv.gz"))
		for _, p := range paths {
			engine := filepath.Base(filepath.Dir(p))
			phase := strings.TrimSuffix(filepath.Base(p), "_attention_perf.csv.gz")
			eachRow(p, func(col map[string]int, rec []string) {
				if rec[col["window_size"]] != "0" || rec[col["beam_width"]] != "1" {
					return
				}
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
				r := kernels.AttentionRow{System: s, Engine: engine, Phase: phase, Source: rec[col["kernel_source"]],
					Dtype: kernels.DtypeName(rec[col["attn_dtype"]]), KVDtype: kernels.DtypeName(rec[col["kv_cache_dtype"]]),
					Batch: at("batch_size"), Seq: at("isl") + at("step"), Heads: at("num_heads"), KVHeads: at("num_key_value_heads"),
					HeadDim: at("head_dim"), Seconds: ms * 1e-3}
				g := agroup{s, engine, phase, r.Dtype, r.KVDtype}
				out[g] = append(out[g], r)
			})
		}
	}
	return out
}

// eachRow calls fn for every record of a gzipped CSV with its header's
// column indices.
func eachRow(path string, fn func(col map[string]int, rec []string)) {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		fn(col, rec)
	}
}
