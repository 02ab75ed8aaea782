// Command fit fits package kernels' models to the fit part of the embedded
// sample and writes their coefficients as Go tables.
//
//	go run ./compute/kernels/internal/fit -out compute/kernels   # rewrite *_fits.go
//	go run ./compute/kernels/internal/fit -check ../shared/measurements/kernels
//
// -only gemm, attention, moe or mla fits one family; -phase context or
// generation refits one phase of attention and MLA and keeps the other's
// entries from the compiled tables. With -check it also
// reports the held-out error on the full tables' check part (every shape
// the split holds out, not only the sampled ones; none was fitted).
// Without -out it only prints the error tables.
package main

import (
	"flag"
	"fmt"
	"go/format"
	"log"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cardsea/cardsea/compute/kernels"
	"github.com/cardsea/cardsea/compute/kernels/internal/nm"
)

// phaseOnly restricts the attention and MLA fits to one phase (-phase);
// with -out the other phase's entries are copied from the compiled tables
// unchanged (a full run rewrites them byte for byte).
var phaseOnly string

// engineOnly restricts the GEMM fit to one engine's tables (-engine); with
// -out the other engines' entries are copied from the compiled table
// unchanged.
var engineOnly string

// gemmLoss is the loss of one row's log(predicted/measured): squared for
// TensorRT-LLM's tables, Huber (squared to 0.1, then linear) for SGLang's,
// whose rows carry heavy-tailed timing noise (rows m = 1-16 of one n, k
// scatter with a p90 of 11-27%, against 2-12% for TensorRT-LLM), so that
// a few noisy rows do not pull the fit.
func gemmLoss(engine string, d float64) float64 {
	if strings.HasPrefix(engine, "sglang") {
		const h = 0.1
		if a := math.Abs(d); a > h {
			return h * (2*a - h)
		}
	}
	return d * d
}

var systems = []string{"h100_sxm", "h200_sxm", "b200_sxm", "gb200"}

type group struct{ system, engine, dtype string }

func main() {
	out := flag.String("out", "", "write gemm_fits.go, attention_fits.go, moe_fits.go and mla_fits.go into this folder (compute/kernels)")
	only := flag.String("only", "", "fit one family: gemm, attention, moe or mla")
	check := flag.String("check", "", "AIConfigurator tables: also report the held-out error on their full check part")
	dump := flag.String("dump", "", "append rows with predictions to this file (GEMM: the full check part; attention: the sample)")
	flag.StringVar(&phaseOnly, "phase", "", "attention and mla: refit one phase only, keeping the other's entries")
	flag.StringVar(&engineOnly, "engine", "", "gemm: refit only the tables of engines with this prefix, keeping the others' entries")
	flag.Parse()
	if *only == "" || *only == "gemm" {
		fitGEMM(*out, *check, *dump)
	}
	if *only == "" || *only == "attention" {
		fitAttention(*out, *dump, *check)
	}
	if *only == "" || *only == "moe" {
		fitMoE(*out, *dump, *check)
	}
	if *only == "" || *only == "mla" {
		fitMLA(*out)
	}
}

func fitGEMM(out, check, dump string) {
	groups := map[group][]kernels.GEMMRow{}
	var order []group
	for _, s := range systems {
		rows, err := kernels.GEMMSample(s)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rows {
			g := group{r.System, r.Engine, r.Dtype}
			if !strings.HasPrefix(g.engine, engineOnly) {
				continue
			}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], r)
		}
	}
	var full map[group][]kernels.GEMMRow
	if check != "" {
		full = loadFull(check)
	}
	var fits []kernels.GEMMModel
	fmt.Printf("%-9s %-18s %-9s %7s %5s | %6s %6s | %6s %6s %6s | %6s %6s %6s\n", "system", "engine", "dtype", "tile", "nfit",
		"fitMed", "fitP90", "nchk", "chkMed", "chkP90", "nfull", "fulMed", "fulP90")
	split := func(g group) (fitRows, chkRows []kernels.GEMMRow) {
		return splitRows(groups[g], func(r kernels.GEMMRow) string { return kernels.GEMMKey(r.M, r.N, r.K) })
	}
	// Groups are independent: fit them on GOMAXPROCS workers, each result
	// in its own slot, so the output does not depend on scheduling.
	models := make([]kernels.GEMMModel, len(order))
	parallel(len(order), func(i int) {
		f, _ := split(order[i])
		models[i] = fitGroup(order[i], f)
	})
	for i, g := range order {
		fitRows, chkRows := split(g)
		mdl := models[i]
		cs0 := stats(mdl, chkRows)
		mdl.CheckN, mdl.CheckMedian, mdl.CheckP90 = cs0.N, cs0.Median, cs0.P90
		mdl.Source = fmt.Sprintf("AIConfigurator %s/gemm/%s/gemm_perf.csv.gz (%s): fit part, %d of the %d shapes in data/gemm_%s.csv.gz",
			g.system, g.engine, groups[g][0].Source, len(fitRows), len(groups[g]), g.system)
		models[i] = mdl
		fits = append(fits, mdl)
		fs, cs := stats(mdl, fitRows), stats(mdl, chkRows)
		line := fmt.Sprintf("%-9s %-18s %-9s %3dx%-3d %5d | %5.1f%% %5.1f%% | %6d %5.1f%% %5.1f%%", g.system, g.engine, g.dtype,
			mdl.TileM, mdl.TileN, fs.N, 100*fs.Median, 100*fs.P90, cs.N, 100*cs.Median, 100*cs.P90)
		if full != nil {
			var held []kernels.GEMMRow
			for _, r := range full[g] {
				if kernels.Held(kernels.GEMMKey(r.M, r.N, r.K)) {
					held = append(held, r)
				}
			}
			hs := stats(mdl, held)
			if dump != "" {
				writeDump(dump, g, mdl, held)
			}
			line += fmt.Sprintf(" %6d | %5.1f%% %5.1f%%", hs.N, 100*hs.Median, 100*hs.P90)
		}
		fmt.Println(line)
		fmt.Printf("    menu %v adapt %v feed %.0fGB/s ", mdl.Menu, mdl.AdaptM, mdl.FeedBW/1e9)
		fmt.Printf("eff_c %.3f eff_m %.3f quant %.2f wave %.2fus launch %.2fus p %.2f kmin %.0f ctabw %.0fGB/s act %.2fB\n",
			mdl.EffCompute, mdl.EffMemory, mdl.Quant, mdl.WaveS*1e6, mdl.LaunchS*1e6, mdl.P, mdl.KMin, mdl.CTABW/1e9, mdl.ActBytes)
	}
	if out != "" {
		if engineOnly != "" {
			fits = keepOtherEngines(kernels.GEMMModels(), fits)
		}
		if err := os.WriteFile(filepath.Join(out, "gemm_fits.go"), []byte(render(fits)), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func stats(m kernels.GEMMModel, rows []kernels.GEMMRow) kernels.ErrStats {
	pred := make([]float64, len(rows))
	meas := make([]float64, len(rows))
	for i, r := range rows {
		pred[i] = m.Time(r.M, r.N, r.K)
		meas[i] = r.Seconds
	}
	return kernels.Summarise(pred, meas)
}

// tiles is the menu of CTA tile shapes (m x n) a fit chooses from.
var tiles = [][2]int{{64, 64}, {64, 128}, {64, 256}, {128, 64}, {128, 128}, {128, 256}, {256, 64}, {256, 128}, {256, 256}}

// starts are the Nelder-Mead starting points (transformed coefficients):
// efficiencies, quant, wave cost, launch, P, KMin, CTA bandwidth, ActBytes.
var starts = [][]float64{
	{math.Log(0.7), math.Log(0.8), 0, math.Log(1), math.Log(4), math.Log(2), math.Log(512), math.Log(100), math.Log(0.01), math.Log(300)},
	{math.Log(0.5), math.Log(0.6), 2, math.Log(0.3), math.Log(8), math.Log(0.5), math.Log(2048), math.Log(30), math.Log(2), math.Log(100)},
	{math.Log(0.9), math.Log(0.9), -2, math.Log(2), math.Log(2), math.Log(8), math.Log(8192), math.Log(300), math.Log(0.3), math.Log(1000)},
}

// fitModes are the (AdaptM, Menu) pairs a fit tries with each tile. The
// SGLang tables also try the tile menu with its L2 feed rate (Menu,
// FeedBW, one more coefficient); TensorRT-LLM's meet the targets with one
// tile and keep the smaller form.
func fitModes(engine string) [][2]bool {
	if strings.HasPrefix(engine, "sglang") {
		return [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}
	}
	return [][2]bool{{false, false}, {true, false}}
}

// fitGroup fits one (system, engine, dtype) table: for each tile shape,
// Nelder-Mead over the continuous coefficients in transformed space,
// minimising the mean loss (gemmLoss) of the log ratio predicted/measured; the tile with
// the lowest loss wins (earlier in the menu on a tie).
func fitGroup(g group, rows []kernels.GEMMRow) kernels.GEMMModel {
	acc, ok := kernels.AccelOf(g.system)
	if !ok {
		log.Fatalf("no datasheet for %s", g.system)
	}
	base := kernels.GEMMModel{System: g.system, Engine: g.engine, Dtype: g.dtype, Peak: acc.Peak[g.dtype], HBM: acc.HBM, SMs: acc.SMs}
	if base.Peak == 0 {
		log.Fatalf("%s has no %s peak", g.system, g.dtype)
	}
	var best kernels.GEMMModel
	bestLoss := math.Inf(1)
	for _, t := range tiles {
		for _, mode := range fitModes(g.engine) {
			adapt, menu := mode[0], mode[1]
			m := base
			m.TileM, m.TileN, m.AdaptM, m.Menu = t[0], t[1], adapt, menu
			set := func(x []float64) {
				m.EffCompute = math.Exp(x[0])
				if strings.HasPrefix(g.engine, "sglang") {
					m.EffCompute = math.Min(m.EffCompute, 1) // a feed-bound fit may not exceed the peak
				}
				m.EffMemory = math.Exp(x[1])
				m.Quant = 1 / (1 + math.Exp(-x[2]))
				m.WaveS = math.Exp(x[3]) * 1e-6
				m.LaunchS = math.Exp(x[4]) * 1e-6
				m.P = 1 + math.Exp(x[5])
				// Bounds keep the table finite where a term does not
				// matter to a table: split-K slices of 16 to 2^20 of k,
				// a CTA bandwidth cap of at most 1 PB/s, at least 1e-6 B
				// per element of quantisation pass, P at most 64.
				m.KMin = math.Min(math.Max(math.Exp(x[6]), 16), 1<<20)
				m.CTABW = math.Min(math.Exp(x[7])*1e9, 1e15)
				m.ActBytes = math.Max(math.Exp(x[8]), 1e-6)
				if len(x) > 9 {
					m.FeedBW = math.Min(math.Exp(x[9])*1e9, 1e15)
				}
				m.WaveS = math.Max(m.WaveS, 1e-12)
				m.P = math.Min(m.P, 64)
			}
			loss := func(x []float64) float64 {
				set(x)
				s := 0.0
				for _, r := range rows {
					s += gemmLoss(g.engine, math.Log(m.Time(r.M, r.N, r.K)/r.Seconds))
				}
				return s / float64(len(rows))
			}
			step := []float64{0.3, 0.3, 1, 1, 0.5, 0.5, 1, 1, 1, 1}
			for _, x0 := range starts {
				if !strings.HasPrefix(g.engine, "sglang") {
					x0, step = x0[:9], step[:9] // no FeedBW
				}
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

func loadFull(src string) map[group][]kernels.GEMMRow {
	out := map[group][]kernels.GEMMRow{}
	for _, s := range systems {
		paths, _ := filepath.Glob(filepath.Join(src, s, "gemm", "*", "gemm_perf.csv.gz"))
		sort.Strings(paths)
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				log.Fatal(err)
			}
			rows, err := kernels.ReadGEMM(f, s, filepath.Base(filepath.Dir(p)))
			f.Close()
			if err != nil {
				log.Fatalf("%s: %v", p, err)
			}
			for _, r := range rows {
				g := group{s, r.Engine, r.Dtype}
				out[g] = append(out[g], r)
			}
		}
	}
	return out
}

// render writes the fitted models as Go source, floats in their shortest
// exact form, so a refit that changes nothing changes no byte.
func render(fits []kernels.GEMMModel) string {
	var b strings.Builder
	b.WriteString("// Code generated by go run ./compute/kernels/internal/fit -out compute/kernels; DO NOT EDIT.\n\n")
	b.WriteString("package kernels\n\n")
	b.WriteString("// gemmFits are the fitted GEMM models, one per (system, engine, dtype)\n")
	b.WriteString("// table, each with the table it came from.\n")
	b.WriteString("var gemmFits = []GEMMModel{\n")
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, m := range fits {
		fmt.Fprintf(&b, "\t{\n\t\tSystem: %q, Engine: %q, Dtype: %q,\n", m.System, m.Engine, m.Dtype)
		fmt.Fprintf(&b, "\t\tPeak: %s, HBM: %s, SMs: %d,\n", f(m.Peak), f(m.HBM), m.SMs)
		fmt.Fprintf(&b, "\t\tTileM: %d, TileN: %d, AdaptM: %v,\n", m.TileM, m.TileN, m.AdaptM)
		fmt.Fprintf(&b, "\t\tEffCompute: %s, EffMemory: %s, Quant: %s,\n", f(m.EffCompute), f(m.EffMemory), f(m.Quant))
		fmt.Fprintf(&b, "\t\tWaveS: %s, LaunchS: %s, P: %s,\n", f(m.WaveS), f(m.LaunchS), f(m.P))
		fmt.Fprintf(&b, "\t\tKMin: %s, CTABW: %s, ActBytes: %s,\n", f(m.KMin), f(m.CTABW), f(m.ActBytes))
		fmt.Fprintf(&b, "\t\tMenu: %v, FeedBW: %s,\n", m.Menu, f(m.FeedBW))
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

func writeDump(name string, g group, m kernels.GEMMModel, rows []kernels.GEMMRow) {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for _, r := range rows {
		t := m.Terms(r.M, r.N, r.K)
		fmt.Fprintf(f, "%s %s %s %d %d %d %g %g %g %g %g\n", g.system, g.engine, g.dtype, r.M, r.N, r.K, r.Seconds*1e6, t.Time*1e6, t.Compute*1e6, t.Memory*1e6, t.Time/r.Seconds-1)
	}
}

// splitRows splits rows into the fit part and the held-out check part by
// the hash of each row's shape key (kernels.Held).
func splitRows[T any](rows []T, key func(T) string) (fit, check []T) {
	for _, r := range rows {
		if kernels.Held(key(r)) {
			check = append(check, r)
		} else {
			fit = append(fit, r)
		}
	}
	return fit, check
}

// parallel runs f(0) ... f(n-1) on GOMAXPROCS workers; each writes only
// its own result slot, so the output does not depend on scheduling.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// keepOtherEngines returns the compiled GEMM table with the refitted
// engine's entries replaced by fits (same system, engine and dtype), in the
// table's order.
func keepOtherEngines(table, fits []kernels.GEMMModel) []kernels.GEMMModel {
	var all []kernels.GEMMModel
	used := 0
	for _, m := range table {
		if strings.HasPrefix(m.Engine, engineOnly) {
			found := false
			for _, f := range fits {
				if f.System == m.System && f.Engine == m.Engine && f.Dtype == m.Dtype {
					m, found = f, true
					used++
				}
			}
			if !found {
				log.Fatalf("no refit for %s/%s/%s", m.System, m.Engine, m.Dtype)
			}
		}
		all = append(all, m)
	}
	if used != len(fits) {
		log.Fatalf("%d refits, %d table entries", len(fits), used)
	}
	return all
}

// keepOthers returns the compiled table with the entries of the refitted
// phase replaced by fits, in the table's order.
func keepOthers(table, fits []kernels.AttentionModel, phase string) []kernels.AttentionModel {
	var all []kernels.AttentionModel
	i := 0
	for _, m := range table {
		if m.Phase == phase {
			if i >= len(fits) || fits[i].System != m.System || fits[i].Engine != m.Engine || fits[i].Dtype != m.Dtype || fits[i].KVDtype != m.KVDtype {
				log.Fatalf("refit %s/%s/%s/%s is not in the table's order", m.System, m.Phase, m.Dtype, m.KVDtype)
			}
			m = fits[i]
			i++
		}
		all = append(all, m)
	}
	return all
}
