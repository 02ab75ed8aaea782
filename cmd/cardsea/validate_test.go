package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestValidateSaysWhy: every failing point of 'cardsea validate' points to
// a note under the table that says why the model misses it, numbered in
// order. (The fidelity package's tests fail on a point nobody explained.)
func TestValidateSaysWhy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every validation case")
	}
	out, errs, code := run("validate", "--format", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fails := regexp.MustCompile(`\| fail \[(\d+)\] +\|`).FindAllStringSubmatch(out, -1)
	if len(fails) == 0 {
		t.Fatal("no failing point carries a note number")
	}
	if n := strings.Count(out, "| fail "); n != len(fails) {
		t.Errorf("%d failing points, %d with a note", n, len(fails))
	}
	for i, f := range fails {
		if f[1] != strconv.Itoa(i+1) {
			t.Errorf("failing point %d points to note %s", i+1, f[1])
		}
		if !strings.Contains(out, "\n- ["+f[1]+"] ") {
			t.Errorf("no note [%s] under the table", f[1])
		}
	}
}

// TestValidateKernels: 'cardsea validate --kernels' reports every measured
// system's GEMM, attention, MLA and MoE fits with their held-out rows, and
// refuses --nccl beside it.
func TestValidateKernels(t *testing.T) {
	out, errs, code := run("validate", "--kernels", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "system,class,engine,band,n,median_abs_error,p90_abs_error,median_error,max_abs_error,meets_target" {
		t.Fatalf("header %q", lines[0])
	}
	for _, sys := range []string{"h100_sxm", "h200_sxm", "b200_sxm", "gb200"} {
		for _, class := range []string{"gemm", "attention_context", "attention_generation", "mla_context", "mla_generation", "moe"} {
			if !strings.Contains(out, "\n"+sys+","+class+",trtllm,all,") {
				t.Errorf("no %s %s trtllm all row", sys, class)
			}
		}
	}
	if _, _, code := run("validate", "--kernels", "--nccl"); code == 0 {
		t.Error("--kernels with --nccl: exit 0, want a usage error")
	}
}
