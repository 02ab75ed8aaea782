package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeRaggedShard: a record with fewer fields than its header is
// refused, naming the file and line, and no output is written (the fuzzer
// found merge writing a file encoding/csv could not read).
func TestMergeRaggedShard(t *testing.T) {
	dir := t.TempDir()
	a, b, o := filepath.Join(dir, "A.csv"), filepath.Join(dir, "B.csv"), filepath.Join(dir, "o.csv")
	header := "scenario,point,points,topology\n"
	if err := os.WriteFile(a, []byte(header), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(header+",0,001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code := run("merge", a, b, "--out", o)
	if code == 0 || !strings.Contains(errs, b+":2:") || !strings.Contains(errs, "3 fields under a header of 4") {
		t.Errorf("exit %d, stderr %q: want a refusal naming %s:2", code, errs, b)
	}
	if _, err := os.Stat(o); err == nil {
		t.Error("merge wrote o.csv from a ragged shard")
	}
}
