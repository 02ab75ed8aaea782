package kernels

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

//go:embed data/*.csv.gz
var dataFS embed.FS

// GEMMRow is one measured GEMM: a shape and its latency on one system
// under one engine's kernel.
type GEMMRow struct {
	System, Engine, Source, Dtype string
	M, N, K                       int
	Seconds                       float64
}

// GEMMSample returns the embedded sample of one system's GEMM tables (nil
// if there is none). Dtypes are cardsea's names: bf16, fp8, fp8_block,
// nvfp4. It decodes the file on every call.
func GEMMSample(system string) ([]GEMMRow, error) {
	b, err := dataFS.ReadFile("data/gemm_" + system + ".csv.gz")
	if err != nil {
		return nil, nil
	}
	return ReadGEMM(bytes.NewReader(b), system, "")
}

// ReadGEMM reads gzipped GEMM rows, either the embedded sample's columns
// (engine, kernel_source, dtype, m, n, k, latency_ms) or AIConfigurator's
// gemm_perf (kernel_source, gemm_dtype, m, n, k, latency in ms), in which
// case engine names the table's folder.
func ReadGEMM(r io.Reader, system, engine string) ([]GEMMRow, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(zr)
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	get := func(names ...string) int {
		for _, n := range names {
			if i, ok := col[n]; ok {
				return i
			}
		}
		return -1
	}
	ie, is, id := get("engine"), get("kernel_source"), get("dtype", "gemm_dtype")
	im, in, ik, il := get("m"), get("n"), get("k"), get("latency_ms", "latency")
	if is < 0 || id < 0 || im < 0 || in < 0 || ik < 0 || il < 0 || (ie < 0 && engine == "") {
		return nil, fmt.Errorf("gemm table: missing columns in %v", head)
	}
	var rows []GEMMRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		row := GEMMRow{System: system, Engine: engine, Source: rec[is], Dtype: DtypeName(rec[id])}
		if ie >= 0 {
			row.Engine = rec[ie]
		}
		var errs [4]error
		row.M, errs[0] = strconv.Atoi(rec[im])
		row.N, errs[1] = strconv.Atoi(rec[in])
		row.K, errs[2] = strconv.Atoi(rec[ik])
		var ms float64
		ms, errs[3] = strconv.ParseFloat(rec[il], 64)
		for _, e := range errs {
			if e != nil {
				return nil, fmt.Errorf("gemm table: %w", e)
			}
		}
		row.Seconds = ms * 1e-3
		rows = append(rows, row)
	}
}

// DtypeName maps AIConfigurator's dtype names to cardsea's ("bfloat16" is
// "bf16"); others pass through.
func DtypeName(s string) string {
	switch strings.ToLower(s) {
	case "bfloat16", "bf16":
		return "bf16"
	case "float16", "fp16":
		return "fp16"
	case "fp4", "nvfp4":
		return "nvfp4"
	}
	return s
}

// AttentionRow is one measured attention call.
type AttentionRow struct {
	System, Engine, Phase, Source, Dtype, KVDtype string
	Batch, Seq, Heads, KVHeads, HeadDim           int
	Seconds                                       float64
}

// AttentionSample returns the embedded sample of one system's attention
// tables (TensorRT-LLM, full attention; nil if there is none). Seq is the
// prompt length for context rows and the KV length for generation rows.
func AttentionSample(system string) ([]AttentionRow, error) {
	recs, err := sampleRecords("attention", system, 11)
	if err != nil || recs == nil {
		return nil, err
	}
	rows := make([]AttentionRow, 0, len(recs))
	for _, rec := range recs {
		r := AttentionRow{System: system, Engine: rec[0], Phase: rec[1], Source: rec[2], Dtype: rec[3], KVDtype: rec[4]}
		v, sec, err := sampleNumbers(rec, 5, 5, "attention", system)
		if err != nil {
			return nil, err
		}
		r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim, r.Seconds = v[0], v[1], v[2], v[3], v[4], sec
		rows = append(rows, r)
	}
	return rows, nil
}

// MoERow is one measured fused MoE layer.
type MoERow struct {
	System, Engine, Source, Dtype, Distribution  string
	Tokens, Hidden, Inter, TopK, Experts, TP, EP int
	Seconds                                      float64
}

// MoESample returns the embedded sample of one system's fused-MoE tables
// (nil if there is none).
func MoESample(system string) ([]MoERow, error) {
	recs, err := sampleRecords("moe", system, 12)
	if err != nil || recs == nil {
		return nil, err
	}
	rows := make([]MoERow, 0, len(recs))
	for _, rec := range recs {
		r := MoERow{System: system, Engine: rec[0], Source: rec[1], Dtype: rec[2], Distribution: rec[3]}
		v, sec, err := sampleNumbers(rec, 4, 7, "moe", system)
		if err != nil {
			return nil, err
		}
		r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP, r.Seconds = v[0], v[1], v[2], v[3], v[4], v[5], v[6], sec
		rows = append(rows, r)
	}
	return rows, nil
}

// sampleRecords reads the embedded sample data/FAMILY_SYSTEM.csv.gz of
// width columns and returns its records without the header (nil when the
// system has none).
func sampleRecords(family, system string, width int) ([][]string, error) {
	b, err := dataFS.ReadFile("data/" + family + "_" + system + ".csv.gz")
	if err != nil {
		return nil, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || len(recs[0]) != width {
		return nil, fmt.Errorf("%s sample %s: bad header", family, system)
	}
	return recs[1:], nil
}

// sampleNumbers parses a sample record's n integer columns from index
// from, and the latency in milliseconds right after them, as seconds.
func sampleNumbers(rec []string, from, n int, family, system string) ([]int, float64, error) {
	v := make([]int, n)
	for i := range v {
		var err error
		if v[i], err = strconv.Atoi(rec[from+i]); err != nil {
			return nil, 0, fmt.Errorf("%s sample %s: %w", family, system, err)
		}
	}
	ms, err := strconv.ParseFloat(rec[from+n], 64)
	if err != nil {
		return nil, 0, fmt.Errorf("%s sample %s: %w", family, system, err)
	}
	return v, ms * 1e-3, nil
}
