// Command mksample draws the compact kernel sample embedded in package
// kernels from AIConfigurator's measured tables.
//
//	go run ./compute/kernels/internal/mksample -src ../shared/measurements/kernels
//
// It reads <src>/<system>/gemm/<engine>/gemm_perf.csv.gz for every system
// and engine present and writes compute/kernels/data/gemm_<system>.csv.gz.
// A row is kept when kernels.Sampled(shape, perMille) holds, an FNV-1a hash
// of the shape with its own salt, so the sample is a deterministic function
// of the tables: run it twice and the files are byte-identical (gzip without
// a timestamp, rows sorted). Latency keeps 5 significant digits.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/compute/kernels"
)

// Systems sampled, in AIConfigurator's folder names.
var systems = []string{"h100_sxm", "h200_sxm", "b200_sxm", "gb200"}

func main() {
	src := flag.String("src", "../shared/measurements/kernels", "AIConfigurator tables (one folder per system)")
	out := flag.String("out", "compute/kernels/data", "output folder")
	gemmRate := flag.Uint64("gemm-per-mille", kernels.GEMMSamplePerMille, "GEMM shapes kept per thousand")
	attnRate := flag.Uint64("attention-per-mille", kernels.AttentionSamplePerMille, "attention shapes kept per thousand")
	moeRows := flag.Uint64("moe-rows", kernels.MoESampleRows, "MoE rows to draw per table (about)")
	mlaRate := flag.Uint64("mla-per-mille", kernels.MLASamplePerMille, "MLA shapes kept per thousand")
	flag.Parse()
	for _, sys := range systems {
		if err := gemm(*src, *out, sys, *gemmRate); err != nil {
			log.Fatal(err)
		}
		if err := attention(*src, *out, sys, *attnRate); err != nil {
			log.Fatal(err)
		}
		if err := moe(*src, *out, sys, *moeRows); err != nil {
			log.Fatal(err)
		}
		if err := mla(*src, *out, sys, *mlaRate); err != nil {
			log.Fatal(err)
		}
	}
}

// attention samples one system's TensorRT-LLM context and generation
// attention tables, full attention only (window_size 0). The sequence
// column is isl + step: the prompt for context, the KV length (cached
// tokens and the new one) for generation, whose rows have isl 1.
func attention(src, out, sys string, rate uint64) error {
	paths, err := filepath.Glob(filepath.Join(src, sys, "attention", "trtllm-*", "*_attention_perf.csv.gz"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return fmt.Errorf("%s: no attention tables under %s", sys, src)
	}
	type arow struct {
		engine, phase, source, dt, kv string
		b, s, h, kvh, d               int
		ms                            string
	}
	var rows []arow
	for _, path := range paths {
		engine := filepath.Base(filepath.Dir(path))
		phase := strings.TrimSuffix(filepath.Base(path), "_attention_perf.csv.gz")
		err := readCSV(path, func(col map[string]int, rec []string) error {
			if rec[col["window_size"]] != "0" || rec[col["beam_width"]] != "1" {
				return nil
			}
			var v [6]int
			for i, c := range []string{"batch_size", "isl", "step", "num_heads", "num_key_value_heads", "head_dim"} {
				x, err := strconv.Atoi(rec[col[c]])
				if err != nil {
					return err
				}
				v[i] = x
			}
			ms, err := strconv.ParseFloat(rec[col["latency"]], 64)
			if err != nil {
				return err
			}
			r := arow{engine, phase, rec[col["kernel_source"]], kernels.DtypeName(rec[col["attn_dtype"]]), kernels.DtypeName(rec[col["kv_cache_dtype"]]),
				v[0], v[1] + v[2], v[3], v[4], v[5], strconv.FormatFloat(ms, 'g', 5, 64)}
			if !kernels.Sampled(kernels.AttentionKey(r.b, r.s, r.h, r.kvh, r.d), rate) {
				return nil
			}
			rows = append(rows, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	key := func(r arow) string {
		return fmt.Sprintf("%s %s %s %s %08d %08d %08d %08d %08d", r.engine, r.phase, r.dt, r.kv, r.b, r.s, r.h, r.kvh, r.d)
	}
	sort.Slice(rows, func(i, j int) bool { return key(rows[i]) < key(rows[j]) })
	lines := []string{"engine,phase,kernel_source,dtype,kv_dtype,batch,seq,heads,kv_heads,head_dim,latency_ms"}
	for _, r := range rows {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%s,%s,%d,%d,%d,%d,%d,%s", r.engine, r.phase, r.source, r.dt, r.kv, r.b, r.s, r.h, r.kvh, r.d, r.ms))
	}
	name := filepath.Join(out, "attention_"+sys+".csv.gz")
	if err := writeGz(name, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	log.Printf("%s: %d rows", name, len(rows))
	return nil
}

type row struct {
	engine, source, dtype string
	m, n, k               int
	ms                    float64
}

// gemm samples one system's GEMM tables, every engine folder.
func gemm(src, out, sys string, rate uint64) error {
	engines, err := filepath.Glob(filepath.Join(src, sys, "gemm", "*", "gemm_perf.csv.gz"))
	if err != nil {
		return err
	}
	if len(engines) == 0 {
		return fmt.Errorf("%s: no gemm tables under %s", sys, src)
	}
	var rows []row
	for _, path := range engines {
		engine := filepath.Base(filepath.Dir(path))
		err := readCSV(path, func(col map[string]int, rec []string) error {
			m, err1 := strconv.Atoi(rec[col["m"]])
			n, err2 := strconv.Atoi(rec[col["n"]])
			k, err3 := strconv.Atoi(rec[col["k"]])
			ms, err4 := strconv.ParseFloat(rec[col["latency"]], 64)
			for _, e := range []error{err1, err2, err3, err4} {
				if e != nil {
					return e
				}
			}
			if !kernels.Sampled(kernels.GEMMKey(m, n, k), rate) {
				return nil
			}
			rows = append(rows, row{engine, rec[col["kernel_source"]], rec[col["gemm_dtype"]], m, n, k, ms})
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.engine != b.engine {
			return a.engine < b.engine
		}
		if a.dtype != b.dtype {
			return a.dtype < b.dtype
		}
		if a.m != b.m {
			return a.m < b.m
		}
		if a.n != b.n {
			return a.n < b.n
		}
		return a.k < b.k
	})
	lines := []string{"engine,kernel_source,dtype,m,n,k,latency_ms"}
	for _, r := range rows {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%d,%d,%d,%s", r.engine, r.source, r.dtype, r.m, r.n, r.k,
			strconv.FormatFloat(r.ms, 'g', 5, 64)))
	}
	name := filepath.Join(out, "gemm_"+sys+".csv.gz")
	if err := writeGz(name, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	log.Printf("%s: %d rows", name, len(rows))
	return nil
}

// readCSV calls fn for every record of a gzipped CSV, with the header's
// column indices.
func readCSV(path string, fn func(col map[string]int, rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return err
	}
	r := csv.NewReader(zr)
	head, err := r.Read()
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(col, rec); err != nil {
			return err
		}
	}
}

// writeGz writes text gzipped with no name or timestamp in the header, so
// equal text gives equal bytes.
func writeGz(name, text string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(zw, text); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// moe samples one system's fused-MoE tables (moe_perf of every engine,
// not the wide-EP tables), every dtype, kernel and token distribution. The
// tables differ in size by 40x (TensorRT-LLM's Blackwell table holds only
// mxfp4 rows), so each is kept at the rate that draws about target rows:
// perMille = min(1000, ceil(target x 1000 / table rows)), written to the
// log and to data/README.md.
func moe(src, out, sys string, target uint64) error {
	paths, err := filepath.Glob(filepath.Join(src, sys, "moe", "*", "moe_perf.csv.gz"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		return fmt.Errorf("%s: no moe tables under %s", sys, src)
	}
	cols := []string{"num_tokens", "hidden_size", "inter_size", "topk", "num_experts", "moe_tp_size", "moe_ep_size"}
	type mrow struct {
		engine, source, dt, dist string
		v                        [7]int
		ms                       string
	}
	var rows []mrow
	sliceLines := []string{"engine,kernel_source,dtype,distribution,hidden,inter,topk,experts,tp,ep,parent_tp,parent_ep,ratio"}
	for _, path := range paths {
		engine := filepath.Base(filepath.Dir(path))
		var all []mrow
		err := readCSV(path, func(col map[string]int, rec []string) error {
			var r mrow
			for i, c := range cols {
				x, err := strconv.Atoi(rec[col[c]])
				if err != nil {
					return err
				}
				r.v[i] = x
			}
			ms, err := strconv.ParseFloat(rec[col["latency"]], 64)
			if err != nil {
				return err
			}
			r.engine, r.source, r.dt, r.dist = engine, rec[col["kernel_source"]], kernels.DtypeName(rec[col["moe_dtype"]]), rec[col["distribution"]]
			r.ms = strconv.FormatFloat(ms, 'g', 5, 64)
			all = append(all, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		// kernels.MoESplitRule is decided on the full table (the sample
		// holds too few shared token counts per slice) and carried as a
		// list; the sample keeps the rows, the package leaves them out.
		full := make([]kernels.MoERow, len(all))
		for i, r := range all {
			ms, _ := strconv.ParseFloat(r.ms, 64)
			full[i] = kernels.MoERow{System: sys, Engine: r.engine, Source: r.source, Dtype: r.dt, Distribution: r.dist,
				Tokens: r.v[0], Hidden: r.v[1], Inter: r.v[2], TopK: r.v[3], Experts: r.v[4], TP: r.v[5], EP: r.v[6], Seconds: ms * 1e-3}
		}
		outl := kernels.MoESplitOutliers(full)
		for _, o := range outl {
			sliceLines = append(sliceLines, fmt.Sprintf("%s,%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d,%s", o.Engine, o.Source, o.Dtype, o.Distribution,
				o.Hidden, o.Inter, o.TopK, o.Experts, o.TP, o.EP, o.ParentTP, o.ParentEP, strconv.FormatFloat(o.Ratio, 'f', 3, 64)))
		}
		log.Printf("%s: %d (TP, EP) slices fail the split-consistency rule", path, len(outl))
		rate := min(uint64(1000), (target*1000+uint64(len(all))-1)/uint64(len(all)))
		n := 0
		for _, r := range all {
			if kernels.Sampled(kernels.MoEKey(r.v[0], r.v[1], r.v[2], r.v[3], r.v[4], r.v[5], r.v[6]), rate) {
				rows = append(rows, r)
				n++
			}
		}
		log.Printf("%s: %d of %d rows at %d per mille", path, n, len(all), rate)
	}
	key := func(r mrow) string {
		k := r.engine + " " + r.source + " " + r.dt + " " + r.dist
		for _, x := range r.v {
			k += fmt.Sprintf(" %08d", x)
		}
		return k
	}
	sort.Slice(rows, func(i, j int) bool { return key(rows[i]) < key(rows[j]) })
	lines := []string{"engine,kernel_source,dtype,distribution,tokens,hidden,inter,topk,experts,tp,ep,latency_ms"}
	for _, r := range rows {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%s", r.engine, r.source, r.dt, r.dist,
			r.v[0], r.v[1], r.v[2], r.v[3], r.v[4], r.v[5], r.v[6], r.ms))
	}
	name := filepath.Join(out, "moe_"+sys+".csv.gz")
	if err := writeGz(name, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	log.Printf("%s: %d rows", name, len(rows))
	return writeGz(filepath.Join(out, "moeslices_"+sys+".csv.gz"), strings.Join(sliceLines, "\n")+"\n")
}

// mla samples one system's TensorRT-LLM context and generation MLA tables
// (not the wide-EP or module tables). seq is isl + step as for attention.
func mla(src, out, sys string, rate uint64) error {
	paths, err := filepath.Glob(filepath.Join(src, sys, "mla", "trtllm-*", "*_mla_perf.csv.gz"))
	if err != nil {
		return err
	}
	sort.Strings(paths)
	type lrow struct {
		engine, phase, dt, kv string
		b, s, h, tp           int
		ms                    string
	}
	var rows []lrow
	for _, path := range paths {
		base := filepath.Base(path)
		if base != "context_mla_perf.csv.gz" && base != "generation_mla_perf.csv.gz" {
			continue
		}
		engine := filepath.Base(filepath.Dir(path))
		phase := strings.TrimSuffix(base, "_mla_perf.csv.gz")
		err := readCSV(path, func(col map[string]int, rec []string) error {
			var v [5]int
			for i, c := range []string{"batch_size", "isl", "step", "num_heads", "tp_size"} {
				x, err := strconv.Atoi(rec[col[c]])
				if err != nil {
					return err
				}
				v[i] = x
			}
			r := lrow{engine, phase, kernels.DtypeName(rec[col["mla_dtype"]]), kernels.DtypeName(rec[col["kv_cache_dtype"]]), v[0], v[1] + v[2], v[3], v[4], ""}
			if !kernels.Sampled(kernels.MLAKey(r.b, r.s, r.h, r.tp), rate) {
				return nil
			}
			ms, err := strconv.ParseFloat(rec[col["latency"]], 64)
			if err != nil {
				return err
			}
			r.ms = strconv.FormatFloat(ms, 'g', 5, 64)
			rows = append(rows, r)
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no mla tables under %s", sys, src)
	}
	key := func(r lrow) string {
		return fmt.Sprintf("%s %s %s %s %08d %08d %08d %08d", r.engine, r.phase, r.dt, r.kv, r.b, r.s, r.h, r.tp)
	}
	sort.Slice(rows, func(i, j int) bool { return key(rows[i]) < key(rows[j]) })
	lines := []string{"engine,phase,dtype,kv_dtype,batch,seq,heads,tp,latency_ms"}
	for _, r := range rows {
		lines = append(lines, fmt.Sprintf("%s,%s,%s,%s,%d,%d,%d,%d,%s", r.engine, r.phase, r.dt, r.kv, r.b, r.s, r.h, r.tp, r.ms))
	}
	name := filepath.Join(out, "mla_"+sys+".csv.gz")
	if err := writeGz(name, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	log.Printf("%s: %d rows", name, len(rows))
	return nil
}
