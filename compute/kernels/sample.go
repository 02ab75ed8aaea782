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
