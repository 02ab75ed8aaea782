package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/cardsea/cardsea/compute/kernels"
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
		models[i] = fitAttnGroup(order[i], f, false)
	})
	var fits []kernels.AttentionModel
	for i, g := range order {
		fitRows, chkRows := split(g)
		m := models[i]
		fs, cs := astats(&m, fitRows), astats(&m, chkRows)
		m.CheckN, m.CheckMedian, m.CheckP90 = cs.N, cs.Median, cs.P90
		m.Source = fmt.Sprintf("AIConfigurator %s/mla/%s/%s_mla_perf.csv.gz (default): fit part, %d of the %d shapes in data/mla_%s.csv.gz",
			g.system, g.engine, g.phase, len(fitRows), len(groups[g]), g.system)
		fits = append(fits, m)
		fmt.Printf("%-9s %-17s %-10s %-5s %-5s %4d %7d %4d | %5.1f%% %5.1f%% | %4d %5.1f%% %5.1f%%\n", g.system, g.engine, g.phase, g.dtype, g.kv,
			m.TileQ, m.GroupMax, fs.N, 100*fs.Median, 100*fs.P90, cs.N, 100*cs.Median, 100*cs.P90)
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
