package validation

import (
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
)

//go:generate go run ./internal/ncclgen -src ../../shared/measurements -out nccl

//go:embed nccl/*.csv
var ncclFiles embed.FS

// NCCLSystems are the systems of the nccl-tests sweeps, in report order,
// as AIConfigurator names them.
var NCCLSystems = []string{"h100_sxm", "h200_sxm", "b200_sxm", "gb200"}

// NCCLPoint is one nccl-tests measurement: one operation, data type, GPU
// count and size, timed on one system.
type NCCLPoint struct {
	System string // AIConfigurator's system folder: "h100_sxm", "gb200"
	// Op is nccl-tests' name: all_reduce, all_gather, reduce_scatter, alltoall.
	Op    string
	DType string // "half" (2 bytes) or "int8"
	GPUs  int
	// Bytes is the nccl-tests size (the -b argument), per nccl-tests'
	// convention for Op: the per-rank buffer of all_reduce, the total
	// (all ranks') buffer of all_gather, reduce_scatter and alltoall.
	Bytes float64
	// TimeUS is nccl-tests' out-of-place time in microseconds (averaged
	// over ranks, -a 1).
	TimeUS float64
	// File and Line say where the point is: the embedded file's name
	// ("validation/nccl/nccl_perf_gb200.csv") and its 1-based line.
	File string
	Line int
}

// HeldOut is whether the point is in the held-out half of the sweeps,
// against which cardsea's NCCL figures are checked and never fitted (the
// rest is the fit half): the low bit of the 64-bit FNV-1a hash of its
// shape, "system,op,dtype,gpus,bytes" (bytes as a whole number). The
// split depends on nothing else, so it is stable under reordering and
// added points (TestNCCLSplit).
func (p NCCLPoint) HeldOut() bool {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s,%s,%s,%d,%d", p.System, p.Op, p.DType, p.GPUs, int64(p.Bytes))
	return h.Sum64()&1 == 1
}

// NCCLSource is how to cite a system's sweep.
func NCCLSource(system string) string {
	return fmt.Sprintf("AIConfigurator %s/comm/nccl-2.29.2/nccl_perf.csv.gz, github.com/ai-dynamo/aiconfigurator commit 095f58a51c4c, Apache-2.0", system)
}

// NCCL returns every embedded nccl-tests point, by system (NCCLSystems
// order) and then in file order (op, dtype, GPU count, size).
func NCCL() ([]NCCLPoint, error) {
	var all []NCCLPoint
	for _, sys := range NCCLSystems {
		name := "nccl/nccl_perf_" + sys + ".csv"
		data, err := ncclFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ps, err := ParseNCCL("validation/"+name, sys, data)
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	return all, nil
}

// ncclDTypeBytes are the bytes per element of the data types held.
var ncclDTypeBytes = map[string]float64{"half": 2, "int8": 1}

// ParseNCCL decodes one nccl_perf_<system>.csv (lines starting with # are
// comments; the header is op,dtype,gpus,bytes,time_us) and checks every
// row: a known op and dtype, 2 or more GPUs, a positive size that is a
// whole number of elements and a positive time. name is used in errors.
func ParseNCCL(name, system string, data []byte) ([]NCCLPoint, error) {
	r := csv.NewReader(strings.NewReader(string(data)))
	r.Comment = '#'
	r.FieldsPerRecord = 5
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if got, want := strings.Join(head, ","), "op,dtype,gpus,bytes,time_us"; got != want {
		return nil, fmt.Errorf("%s: header %q, want %q", name, got, want)
	}
	ops := map[string]bool{"all_reduce": true, "all_gather": true, "reduce_scatter": true, "alltoall": true}
	var ps []NCCLPoint
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
		}
		p := NCCLPoint{System: system, Op: rec[0], DType: rec[1], File: name, Line: line}
		if !ops[p.Op] {
			return nil, fail("unknown op %q", p.Op)
		}
		eb, ok := ncclDTypeBytes[p.DType]
		if !ok {
			return nil, fail("unknown dtype %q", p.DType)
		}
		if p.GPUs, err = strconv.Atoi(rec[2]); err != nil || p.GPUs < 2 {
			return nil, fail("gpus %q is not a count of 2 or more", rec[2])
		}
		b, err := strconv.ParseInt(rec[3], 10, 64)
		if err != nil || b <= 0 || b%int64(eb) != 0 {
			return nil, fail("bytes %q is not a positive whole number of %s elements", rec[3], p.DType)
		}
		p.Bytes = float64(b)
		if p.TimeUS, err = strconv.ParseFloat(rec[4], 64); err != nil || !(p.TimeUS > 0) {
			return nil, fail("time_us %q is not a positive time", rec[4])
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("%s: no points", name)
	}
	return ps, nil
}
