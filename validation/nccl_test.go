package validation

import (
	"strings"
	"testing"
)

// TestNCCLLoads checks the embedded nccl-tests sweeps: every system, op,
// dtype and GPU count with its 21 sizes of 512 B to 512 MiB.
func TestNCCLLoads(t *testing.T) {
	ps, err := NCCL()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3*504+336 {
		t.Errorf("%d points, want %d", len(ps), 3*504+336)
	}
	type series struct {
		sys, op, dtype string
		gpus           int
	}
	count := map[series]int{}
	for _, p := range ps {
		s := series{p.System, p.Op, p.DType, p.GPUs}
		count[s]++
		if p.Bytes < 512 || p.Bytes > 512<<20 || p.TimeUS < 1 || p.TimeUS > 1e4 {
			t.Errorf("%s:%d: %g B in %g us is outside the sweep", p.File, p.Line, p.Bytes, p.TimeUS)
		}
	}
	for _, sys := range NCCLSystems {
		gpus := []int{2, 4, 8}
		if sys == "gb200" {
			gpus = gpus[:2] // one tray
		}
		for _, op := range []string{"all_reduce", "all_gather", "reduce_scatter", "alltoall"} {
			for _, dt := range []string{"half", "int8"} {
				for _, n := range gpus {
					if c := count[series{sys, op, dt, n}]; c != 21 {
						t.Errorf("%s %s %s %d GPUs: %d sizes, want 21", sys, op, dt, n, c)
					}
				}
			}
		}
	}
	// A row checked by hand against the source: h100_sxm all_reduce half
	// 8 GPUs message_size 268435456 (elements), latency 2.11106 ms.
	for _, p := range ps {
		if p.System == "h100_sxm" && p.Op == "all_reduce" && p.DType == "half" && p.GPUs == 8 && p.Bytes == 512<<20 {
			if p.TimeUS != 2111.06 {
				t.Errorf("h100 8-GPU 512 MiB allreduce: %g us, want 2111.06", p.TimeUS)
			}
			return
		}
	}
	t.Error("no h100 8-GPU 512 MiB half allreduce")
}

func TestParseNCCLRejects(t *testing.T) {
	head := "# comment\nop,dtype,gpus,bytes,time_us\n"
	for _, tt := range []struct{ body, want string }{
		{"all_reduce,half,8,1024,5.5\n", ""},
		{"allreduce,half,8,1024,5.5\n", "x.csv:3: unknown op"},
		{"all_reduce,fp32,8,1024,5.5\n", "unknown dtype"},
		{"all_reduce,half,1,1024,5.5\n", "gpus"},
		{"all_reduce,half,8,1023,5.5\n", "whole number of half elements"},
		{"all_reduce,half,8,1024,0\n", "not a positive time"},
		{"all_reduce,half,8,1024\n", "wrong number of fields"},
		{"", "no points"},
	} {
		_, err := ParseNCCL("x.csv", "h100_sxm", []byte(head+tt.body))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.body, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: error %v, want %q", tt.body, err, tt.want)
		}
	}
	if _, err := ParseNCCL("x.csv", "h100_sxm", []byte("op,dtype,gpus,size,time_us\n")); err == nil || !strings.Contains(err.Error(), "header") {
		t.Errorf("bad header: %v", err)
	}
}

// TestNCCLSplit checks that the fit/held-out split of the nccl-tests
// points is what it was when the copy rates were fitted: about half held
// out in every system and size band, and the same points.
func TestNCCLSplit(t *testing.T) {
	ps, err := NCCL()
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	type key struct {
		sys   string
		large bool
	}
	n, h := map[key]int{}, map[key]int{}
	for _, p := range ps {
		k := key{p.System, p.Bytes >= 64<<20}
		n[k]++
		if p.HeldOut() {
			held++
			h[k]++
		}
	}
	if held != 974 {
		t.Errorf("%d of %d points held out, want %d: the split changed", held, len(ps), 974)
	}
	for k, c := range n {
		if f := float64(h[k]) / float64(c); f < 0.35 || f > 0.65 {
			t.Errorf("%s large=%v: %d of %d held out", k.sys, k.large, h[k], c)
		}
	}
	p := NCCLPoint{System: "h100_sxm", Op: "all_gather", DType: "half", GPUs: 8, Bytes: 1 << 29}
	if p.HeldOut() {
		t.Errorf("%+v is held out; it was in the fit half", p)
	}
}
