package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMistakes: plausible user mistakes are one-line errors that name the
// bad value, exit non-zero before anything runs and write nothing.
func TestMistakes(t *testing.T) {
	dir := t.TempDir()
	infer := []string{"infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b"}
	train := []string{"train", "--topo", "hgx-h100", "--model", "llama-2-70b", "--seq-len", "8192", "--global-batch", "8", "--tp", "4"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{append(infer, "--phase", "decode", "--context", "1024", "--ttft-slo", "10ms"), 2, "use --tpot-slo"},
		{append(infer, "--phase", "prefill", "--input-len", "512", "--tpot-slo", "500ms"), 2, "limited by --ttft-slo"},
		{append(infer, "--context", "1024", "--batch", "4", "--tpot-slo", "50ms"), 2, "--batch 4 and a latency limit"},
		{append(infer, "--context", "1024", "--batch", "0"), 2, "--batch 0"},
		{append(infer, "--context", "1024", "--batch", "-5"), 2, "--batch -5"},
		{append(infer, "--context", "200000"), 1, "past llama-3.1-8b's"},
		{append(infer, "--phase", "decod", "--context", "1024"), 2, "disagg"},
		{append(infer, "--context", "1024", "--hbm-fraction", "1.5"), 2, "--hbm-fraction 1.5"},
		{append(train, "--micro-batch", "0"), 2, "--micro-batch 0"},
		{append(train, "--dtype", "int8"), 2, "bf16 or fp8"},
		{[]string{"collective", "--topo", "hgx-h100", "--sizes", "1gb"}, 2, `"gb" counts bits`},
		{[]string{"collective", "--topo", "hgx-h100", "--sizes", "1GiB", "--trace", filepath.Join(dir, "no", "t.json")}, 2, "does not exist"},
		{[]string{"run", "../../scenarios/training-per-watt.yaml", "--out", filepath.Join(dir, "no", "x.csv")}, 2, "does not exist"},
		{[]string{"run", "../../scenarios/training-per-watt.yaml", "--out", filepath.Join(dir, "x.xlsx")}, 2, "cannot tell the format"},
	} {
		out, errs, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit %d and %q", tc.args, code, errs, len(out), tc.code, tc.want)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("topologies: [{preset: hgx-h100}]\nworkloads: [{collective: {op: allreduce, sizes: 1MiB, ranks: 64}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", bad}, {"sweep", bad, "--out", filepath.Join(dir, "s.csv")}} {
		if out, errs, code := run(args...); code != 1 || !strings.Contains(errs, "field `workloads[0].collective.ranks`: 64, but hgx-h100 has 8 accelerator dies") || out != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
	}
	os.Remove(bad)
	if files, _ := os.ReadDir(dir); len(files) > 0 {
		t.Errorf("mistakes wrote %d files into %s", len(files), dir)
	}
}

// TestNCCLSizes: nccl-tests' own size spellings (-b 8 -e 8G) run.
func TestNCCLSizes(t *testing.T) {
	out, errs, code := run("collective", "--topo", "hgx-h100", "-b", "1M", "-e", "4M", "-f", "4", "--format", "csv")
	if code != 0 || !strings.Contains(out, ",1048576,") || !strings.Contains(out, ",4194304,") {
		t.Errorf("exit %d, stderr %q, out %q", code, errs, out)
	}
}
