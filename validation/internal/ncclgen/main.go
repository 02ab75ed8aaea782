// Command ncclgen writes validation/nccl/nccl_perf_<system>.csv, cardsea's
// compact copy of AIConfigurator's nccl-tests measurements, from the
// project's shared measurements (which users do not have):
//
//	go generate ./validation   (runs: go run ./internal/ncclgen -src ../../shared/measurements -out nccl)
//
// Source: AIConfigurator <system>/comm/nccl-<version>/nccl_perf.csv.gz,
// github.com/ai-dynamo/aiconfigurator commit 095f58a51c4c, Apache-2.0.
// One source row is one nccl-tests run (collector/network/collect_nccl.py:
// `<op>_perf -b S -e S -g N -d <dtype> -w 40 -n 100|60 -c 0 -a 1`, one
// process driving N GPUs), with message_size = S / bytes per element and
// latency = nccl-tests' out-of-place time in ms.
//
// The reduction: the columns that are the same on every row of a file
// (framework, version, device, kernel_source) go into a comment line;
// message_size becomes bytes again (S, the -b argument: x2 for half, x1
// for int8); latency becomes microseconds, as nccl-tests prints it (two
// decimals, which every source value has exactly; a value that does not
// is an error, not rounded away). Every row is kept, sorted by op, dtype,
// GPU count and size.
package main

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// systems are the AIConfigurator system folders copied.
var systems = []string{"h100_sxm", "h200_sxm", "b200_sxm", "gb200"}

// elementBytes is the size of an nccl-tests dtype (collect_nccl.py:
// bytes_per_element = 2 if dtype == "half" else 1).
var elementBytes = map[string]int64{"half": 2, "int8": 1}

const commit = "095f58a51c4c"

func main() {
	src := flag.String("src", "../shared/measurements", "the shared measurements folder (holding kernels/)")
	out := flag.String("out", "validation/nccl", "folder to write nccl_perf_<system>.csv into")
	flag.Parse()
	for _, sys := range systems {
		if err := convert(*src, *out, sys); err != nil {
			fmt.Fprintln(os.Stderr, "ncclgen:", err)
			os.Exit(1)
		}
	}
}

type row struct {
	op, dtype   string
	gpus        int
	bytes       int64
	centiMicros int64 // time in units of 0.01 us
}

func convert(src, out, sys string) error {
	files, err := filepath.Glob(filepath.Join(src, "kernels", sys, "comm", "nccl-*", "nccl_perf.csv.gz"))
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%s: want one comm/nccl-*/nccl_perf.csv.gz, found %d", sys, len(files))
	}
	version := strings.TrimPrefix(filepath.Base(filepath.Dir(files[0])), "nccl-")
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	r := csv.NewReader(z)
	head, err := r.Read()
	if err != nil {
		return err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, h := range []string{"framework", "version", "device", "op_name", "kernel_source", "nccl_dtype", "num_gpus", "message_size", "latency"} {
		if _, ok := col[h]; !ok {
			return fmt.Errorf("%s: no column %q", files[0], h)
		}
	}
	constant := map[string]string{}
	var rows []row
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		for _, h := range []string{"framework", "version", "device", "kernel_source"} {
			v := rec[col[h]]
			if c, ok := constant[h]; ok && c != v {
				return fmt.Errorf("%s:%d: %s %q differs from %q", files[0], line, h, v, c)
			}
			constant[h] = v
		}
		if constant["version"] != version {
			return fmt.Errorf("%s:%d: version %s in folder nccl-%s", files[0], line, constant["version"], version)
		}
		dt := rec[col["nccl_dtype"]]
		eb, ok := elementBytes[dt]
		if !ok {
			return fmt.Errorf("%s:%d: unknown dtype %q", files[0], line, dt)
		}
		gpus, err := strconv.Atoi(rec[col["num_gpus"]])
		if err != nil {
			return fmt.Errorf("%s:%d: %w", files[0], line, err)
		}
		elems, err := strconv.ParseInt(rec[col["message_size"]], 10, 64)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", files[0], line, err)
		}
		ms, err := strconv.ParseFloat(rec[col["latency"]], 64)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", files[0], line, err)
		}
		c := ms * 1e5 // 0.01 us
		if math.Abs(c-math.Round(c)) > 1e-6*math.Max(1, c) || c <= 0 {
			return fmt.Errorf("%s:%d: latency %v ms is not a positive whole number of 0.01 us", files[0], line, ms)
		}
		rows = append(rows, row{rec[col["op_name"]], dt, gpus, elems * eb, int64(math.Round(c))})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := strings.Compare(a.op, b.op); c != 0 {
			return c
		}
		if c := strings.Compare(a.dtype, b.dtype); c != 0 {
			return c
		}
		if a.gpus != b.gpus {
			return a.gpus - b.gpus
		}
		return int(a.bytes - b.bytes)
	})
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if a.op == b.op && a.dtype == b.dtype && a.gpus == b.gpus && a.bytes == b.bytes {
			return fmt.Errorf("%s: two rows for %s %s %d GPUs %d B", files[0], a.op, a.dtype, a.gpus, a.bytes)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# AIConfigurator %s/comm/nccl-%s/nccl_perf.csv.gz, github.com/ai-dynamo/aiconfigurator commit %s, Apache-2.0.\n", sys, version, commit)
	fmt.Fprintf(&b, "# device %q, nccl-tests under NCCL %s (framework column %q, kernel_source %q). Written by validation/internal/ncclgen.\n",
		constant["device"], version, constant["framework"], constant["kernel_source"])
	b.WriteString("# op,dtype,gpus: as measured; bytes: the nccl-tests size (-b); time_us: nccl-tests' out-of-place time.\n")
	b.WriteString("op,dtype,gpus,bytes,time_us\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "%s,%s,%d,%d,%s\n", r.op, r.dtype, r.gpus, r.bytes, strconv.FormatFloat(float64(r.centiMicros)/100, 'f', -1, 64))
	}
	name := filepath.Join(out, "nccl_perf_"+sys+".csv")
	return os.WriteFile(name, []byte(b.String()), 0o644)
}
