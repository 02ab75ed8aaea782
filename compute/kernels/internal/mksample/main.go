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
	flag.Parse()
	for _, sys := range systems {
		if err := gemm(*src, *out, sys, *gemmRate); err != nil {
			log.Fatal(err)
		}
	}
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
