package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerated checks that the committed validation/nccl files are what
// the generator writes from the shared measurements, when they are here
// (they are not outside the project's own machines: then it skips).
func TestGenerated(t *testing.T) {
	src := filepath.Join("..", "..", "..", "..", "shared", "measurements")
	if _, err := os.Stat(filepath.Join(src, "kernels")); err != nil {
		t.Skipf("no shared measurements at %s", src)
	}
	out := t.TempDir()
	for _, sys := range systems {
		if err := convert(src, out, sys); err != nil {
			t.Fatal(err)
		}
		name := "nccl_perf_" + sys + ".csv"
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "nccl", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("validation/nccl/%s differs from what ncclgen writes from %s: run go generate ./validation", name, src)
		}
	}
}
