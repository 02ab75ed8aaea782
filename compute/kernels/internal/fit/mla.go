package main

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/cardsea/cardsea/compute/kernels"
	"github.com/cardsea/cardsea/compute/kernels/internal/nm"
)

// fitMLA fits one MLA model per (system, phase, KV dtype) TensorRT-LLM
// table: its rows are mapped onto kernels.MLAGeometry and fitted exactly
// as attention tables are, the split keyed by the MLA shape.
func fitMLA(out string) {
	groups := map[agroup][]kernels.AttentionRow{}
	keys := map[agroup][]string{}
	var order []agroup
	for _, s := range systems {
		rows, err := kernels.MLASample(s)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows {
			g := agroup{r.System, r.Engine, r.Phase, r.Dtype, r.KVDtype}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			h, kvh, d := kernels.MLAGeometry(r.Phase, r.Heads)
			groups[g] = append(groups[g], kernels.AttentionRow{System: r.System, Engine: r.Engine, Phase: r.Phase, Dtype: r.Dtype, KVDtype: r.KVDtype,
				Batch: r.Batch, Seq: r.Seq, Heads: h, KVHeads: kvh, HeadDim: d, Seconds: r.Seconds})
			keys[g] = append(keys[g], kernels.MLAKey(r.Batch, r.Seq, r.Heads, r.TP))
		}
	}
	fmt.Printf("\n%-9s %-17s %-10s %-5s %-5s %4s %7s %4s | %6s %6s | %4s %6s %6s   (MLA)\n", "system", "engine", "phase", "dtype", "kv", "tile", "group", "nfit",
		"fitMed", "fitP90", "nchk", "chkMed", "chkP90")
	if phaseOnly != "" {
		var keep []agroup
		for _, g := range order {
			if g.phase == phaseOnly {
				keep = append(keep, g)
			}
		}
		order = keep
	}
	split := func(g agroup) (fitRows, chkRows []kernels.AttentionRow) {
		for i, r := range groups[g] {
			if kernels.Held(keys[g][i]) {
				chkRows = append(chkRows, r)
			} else {
				fitRows = append(fitRows, r)
			}
		}
		return fitRows, chkRows
	}
	models := make([]kernels.AttentionModel, len(order))
	parallel(len(order), func(i int) {
		f, _ := split(order[i])
		if order[i].phase == kernels.Generation && mlaGenDispatch(order[i].system) {
			models[i] = fitMLAGen(order[i], f)
			return
		}
		models[i] = fitAttnGroup(order[i], f, false)
	})
	var fits []kernels.AttentionModel
	for i, g := range order {
		fitRows, chkRows := split(g)
		m := models[i]
		fs, cs := mlastats(&m, fitRows), mlastats(&m, chkRows)
		m.CheckN, m.CheckMedian, m.CheckP90 = cs.N, cs.Median, cs.P90
		m.Source = fmt.Sprintf("AIConfigurator %s/mla/%s/%s_mla_perf.csv.gz (default): fit part, %d of the %d shapes in data/mla_%s.csv.gz",
			g.system, g.engine, g.phase, len(fitRows), len(groups[g]), g.system)
		fits = append(fits, m)
		fmt.Printf("%-9s %-17s %-10s %-5s %-5s %4d %7d %4d | %5.1f%% %5.1f%% | %4d %5.1f%% %5.1f%%\n", g.system, g.engine, g.phase, g.dtype, g.kv,
			m.TileQ, m.GroupMax, fs.N, 100*fs.Median, 100*fs.P90, cs.N, 100*cs.Median, 100*cs.P90)
		if m.Dispatch == kernels.DispatchMLAGen {
			fmt.Printf("    eff_c %.3f keeps %.3f eff_m %.3f quant %.2f launch %.2fus p %.2f q %.2f ctabw %.0fGB/s tok %.4fB cta %.2fns red %.2fns sep %.2fus cgamax %.0f l2 %.0fMB x%.2f reuse %.2f\n",
				m.EffCompute, m.MHAMem, m.EffMemory, m.Quant, m.LaunchS*1e6, m.P, m.Q, m.CTABW/1e9, m.TokenBytes, m.HeadS*1e9, m.GroupS*1e9, m.GroupLaunchS*1e6, m.KMin, m.L2Bytes/1e6, m.L2Gain, m.Reuse)
			if dumpMLA != "" {
				f, err := os.OpenFile(dumpMLA, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
				if err != nil {
					log.Fatal(err)
				}
				mm := kernels.MLAModel{AttentionModel: m}
				for _, r := range groups[g] {
					p := mm.Time(r.Batch, r.Seq, r.Heads)
					fmt.Fprintf(f, "%s %s %d %d %d %.2f %.2f %.3f %s\n", g.system, g.kv, r.Batch, r.Seq, r.Heads, r.Seconds*1e6, p*1e6, p/r.Seconds-1, kernels.MLAGenLaunchString(r.Batch, r.Seq, r.Heads, m.SMs))
				}
				f.Close()
			}
		}
	}
	if out != "" {
		if phaseOnly != "" {
			fits = keepOthers(kernels.MLAModels(), fits, phaseOnly)
		}
		src := strings.Replace(renderAttn(fits), "var attentionFits = []AttentionModel{", "var mlaFits = []AttentionModel{", 1)
		src = strings.Replace(src, "// attentionFits are the fitted attention models, one per (system,\n// engine, phase, dtype, KV dtype) table, each with the table it came from.",
			"// mlaFits are the fitted MLA models (on MLAGeometry), one per (system,\n// engine, phase, dtype, KV dtype) table, each with the table it came from.", 1)
		if err := os.WriteFile(filepath.Join(out, "mla_fits.go"), []byte(src), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// dumpMLA, when set (env CARDSEA_MLA_DUMP), receives the Blackwell MLA
// generation rows with their predictions and launches.
var dumpMLA = os.Getenv("CARDSEA_MLA_DUMP")

// mlaGenDispatch reports whether a system's MLA decode runs TensorRT-LLM's
// trtllm-gen kernels (Blackwell, SM 100), which kernels.DispatchMLAGen
// lays out.
func mlaGenDispatch(system string) bool { return dispatchOf(system) == kernels.DispatchTRTLLMGen }

// mlaGenCGAMenu is the menu of the CGA fallback bound (KMin: the launch
// size, in 512-wide value CTAs, above which clusters of 9-16 splits run
// global-memory reduction); the largest means never.
var mlaGenCGAMenu = []float64{32, 64, 128, 1 << 20}

// fitMLAGen fits one Blackwell MLA generation table on the
// kernels.DispatchMLAGen form: for each CGA bound of the menu,
// Nelder-Mead over the continuous coefficients in transformed space,
// minimising the mean squared log ratio predicted/measured.
func fitMLAGen(g agroup, rows []kernels.AttentionRow) kernels.AttentionModel {
	acc, ok := kernels.AccelOf(g.system)
	if !ok {
		log.Fatalf("no datasheet for %s", g.system)
	}
	base := kernels.AttentionModel{System: g.system, Engine: g.engine, Phase: g.phase, Dtype: g.dtype, KVDtype: g.kv,
		Peak: acc.Peak[g.dtype], HBM: acc.HBM, SMs: acc.SMs, TileQ: 1, GroupMax: 1 << 20, Dispatch: kernels.DispatchMLAGen, ExpRate: 1e15}
	var best kernels.AttentionModel
	bestLoss := math.Inf(1)
	for _, kmin := range mlaGenCGAMenu {
		m := base
		m.KMin = kmin
		set := func(x []float64) {
			m.EffCompute = math.Min(math.Exp(x[0]), 4)
			m.EffMemory = math.Min(math.Exp(x[1]), 4)
			m.Quant = 0 // the launch's waves as a fraction: a step in the batch would defeat the serving grid's interpolation (serve.TestPricerError); x[2] unused
			m.LaunchS = math.Exp(x[3]) * 1e-6
			m.P = math.Min(1+math.Exp(x[4]), 64)
			m.CTABW = math.Min(math.Exp(x[5])*1e9, 1e15)
			m.TokenBytes = math.Max(math.Exp(x[6]), 1e-6)
			m.HeadS = math.Max(math.Exp(x[7])*1e-9, 1e-15)
			m.GroupS = math.Max(math.Exp(x[8])*1e-9, 1e-15)
			m.Q = math.Min(1+math.Exp(x[9]), 64)
			m.MHAMem = math.Min(math.Max(math.Exp(x[10]), 0.1), 10)
			m.GroupLaunchS = math.Exp(x[11]) * 1e-6
			m.L2Bytes = math.Min(math.Exp(x[12])*1e6, 1e10)
			m.L2Gain = math.Min(1+math.Exp(x[13]), 100)
			m.Reuse = math.Min(1+math.Exp(x[14]), 64)
		}
		mm := kernels.MLAModel{}
		loss := func(x []float64) float64 {
			set(x)
			mm.AttentionModel = m
			s := 0.0
			for _, r := range rows {
				d := math.Log(mm.Time(r.Batch, r.Seq, r.Heads) / r.Seconds)
				s += d * d
			}
			return s / float64(len(rows))
		}
		starts := [][]float64{
			{math.Log(0.3), math.Log(0.8), 0, math.Log(8), math.Log(2), math.Log(50), math.Log(0.01), math.Log(0.03), math.Log(100), 0, 0, math.Log(3), math.Log(100), 0, 0},
			{math.Log(0.1), math.Log(0.6), 2, math.Log(10), math.Log(0.5), math.Log(20), math.Log(0.1), math.Log(0.01), math.Log(300), 1, 0, math.Log(1), math.Log(60), 1, 1},
			{math.Log(0.6), math.Log(0.9), -2, math.Log(6), math.Log(8), math.Log(150), math.Log(0.001), math.Log(0.05), math.Log(30), -1, 0.5, math.Log(6), math.Log(150), -1, -1},
		}
		step := []float64{0.3, 0.3, 1, 0.5, 0.5, 1, 1, 1, 1, 1, 0.3, 1, 0.5, 1, 1}
		for _, x0 := range starts {
			x, l := nm.Minimize(loss, x0, step, 3000, 2)
			set(x)
			if l < bestLoss {
				best, bestLoss = m, l
			}
		}
	}
	return best
}

// mlastats is the error of an MLA model on rows mapped onto MLAGeometry
// (their Heads are the MLA heads in both phases).
func mlastats(a *kernels.AttentionModel, rows []kernels.AttentionRow) kernels.ErrStats {
	m := kernels.MLAModel{AttentionModel: *a}
	pred := make([]float64, len(rows))
	meas := make([]float64, len(rows))
	for i, r := range rows {
		pred[i] = m.Time(r.Batch, r.Seq, r.Heads)
		meas[i] = r.Seconds
	}
	return kernels.Summarise(pred, meas)
}
