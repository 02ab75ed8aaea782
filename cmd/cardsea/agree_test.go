package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestInferAndRunAgree: the same inference configuration through
// `cardsea infer` and through a scenario file in `cardsea run` publishes
// the same value under every field name the two records share. The J per
// token that `run` once read PP times too high is the case this guards.
func TestInferAndRunAgree(t *testing.T) {
	for _, tc := range []struct {
		flags string // cardsea infer flags after --topo/--model
		yaml  string // the same workload's inference fields
	}{
		{"--phase decode --batch 8", "phase: decode, batch: 8"},
		{"--phase decode --pp 2 --batch 8", "phase: decode, pp: 2, batch: 8"},
		{"--phase decode --tp 2 --batch 16 --context 2048", "phase: decode, tp: 2, batch: 16, context: 2048"},
		{"--phase decode --tp 2 --pp 2 --batch 4", "phase: decode, tp: 2, pp: 2, batch: 4"},
		{"--phase prefill --batch 2 --input-len 1024", "phase: prefill, batch: 2, input_len: 1024"},
		{"--phase prefill --pp 2 --batch 2 --input-len 512", "phase: prefill, pp: 2, batch: 2, input_len: 512"},
		{"--phase serve --batch 16 --input-len 256 --output-len 128", "phase: serve, batch: 16, input_len: 256, output_len: 128"},
		{"--phase disagg --prefill-ranks 2 --decode-ranks 4 --prefill-batch 2 --batch 16 --input-len 512 --output-len 128",
			"phase: disagg, prefill_accelerators: 2, decode_accelerators: 4, prefill_batch: 2, batch: 16, input_len: 512, output_len: 128"},
	} {
		t.Run(tc.flags, func(t *testing.T) {
			args := append([]string{"infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--format", "json"}, strings.Fields(tc.flags)...)
			out, errs, code := run(args...)
			if code != 0 {
				t.Fatalf("infer exit %d: %s", code, errs)
			}
			inf := firstRecord(t, out)
			path := filepath.Join(t.TempDir(), "s.yaml")
			src := fmt.Sprintf("name: agree\ntopologies: [{preset: hgx-h100}]\nworkloads:\n  - inference: {model: llama-3.1-8b, %s}\n", tc.yaml)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errs, code = run("run", path, "--format", "json")
			if code != 0 {
				t.Fatalf("run exit %d: %s", code, errs)
			}
			sc := firstRecord(t, out)
			shared := agreeShared(t, "infer", inf, sc)
			for _, k := range []string{"tokens_per_s", "j_per_token", "tokens_per_s_per_kw"} {
				if inf[k] == nil || sc[k] == nil {
					t.Errorf("%s missing: infer %v, run %v", k, inf[k], sc[k])
				}
			}
			if shared < 8 {
				t.Errorf("only %d shared fields compared", shared)
			}
		})
	}
}

// TestCommandsAndRunAgree: cardsea train and cardsea collective on a
// configuration publish, under every field name they share with the
// scenario record of the same workload in cardsea run, the same value.
func TestCommandsAndRunAgree(t *testing.T) {
	for _, tc := range []struct {
		args     string // the command and its flags
		topo     string // the scenario's topology entry
		workload string // the same workload in the scenario
	}{
		{"train --topo hgx-h100 --model llama-3.1-8b --global-batch 8", "{preset: hgx-h100}", "training: {model: llama-3.1-8b, global_batch: 8}"},
		{"train --topo hgx-h100 --domains 2 --model llama-3.1-8b --global-batch 16 --tp 2 --seq-len 2048", "{preset: hgx-h100, domains: 2}",
			"training: {model: llama-3.1-8b, global_batch: 16, tp: 2, seq_len: 2048}"},
		{"train --topo hgx-h100 --model llama-2-70b --global-batch 8 --tp 4 --dtype fp8 --lora-rank 16 --tp-overlap", "{preset: hgx-h100}",
			"training: {model: llama-2-70b, global_batch: 8, tp: 4, dtype: fp8, lora_rank: 16, tp_overlap: true}"},
		{"collective --topo hgx-h100 --op allreduce --sizes 64MiB", "{preset: hgx-h100}", "collective: {op: allreduce, sizes: 64MiB}"},
		{"collective --topo gb200-nvl72 --op alltoall --sizes 16MiB --ranks 16", "{preset: gb200-nvl72}", "collective: {op: alltoall, sizes: 16MiB, ranks: 16}"},
		{"collective --topo hgx-h100 --domains 2 --op allgather --sizes 1MiB --algo ring --power-mode provisioned", "{preset: hgx-h100, domains: 2}",
			"collective: {op: allgather, sizes: 1MiB, algorithm: ring}\npower: {mode: provisioned}"},
		{"collective --topo hgx-h100 --domains 2 --op allreduce --sizes 4MiB --groups 2 --strided", "{preset: hgx-h100, domains: 2}",
			"collective: {op: allreduce, sizes: 4MiB, groups: 2, strided: true}"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			out, errs, code := run(append(strings.Fields(tc.args), "--format", "json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			cmd := firstRecord(t, out)
			wl, rest, _ := strings.Cut(tc.workload, "\n")
			path := filepath.Join(t.TempDir(), "s.yaml")
			src := fmt.Sprintf("name: agree\ntopologies: [%s]\nworkloads:\n  - %s\n%s\n", tc.topo, wl, rest)
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			out, errs, code = run("run", path, "--format", "json")
			if code != 0 {
				t.Fatalf("run exit %d: %s", code, errs)
			}
			sc := firstRecord(t, out)
			shared := agreeShared(t, strings.Fields(tc.args)[0], cmd, sc)
			if shared < 10 {
				t.Errorf("only %d shared fields compared", shared)
			}
		})
	}
}

// agreeShared compares every field a command's record and the scenario's
// both carry, and returns how many it compared.
func agreeShared(t *testing.T, command string, cmd, sc map[string]any) int {
	t.Helper()
	shared := 0
	for k, cv := range cmd {
		sv, ok := sc[k]
		if !ok || cv == nil || sv == nil {
			continue
		}
		shared++
		if !same(cv, sv) {
			t.Errorf("%s: %s %v, run %v", k, command, cv, sv)
		}
	}
	return shared
}

func firstRecord(t *testing.T, out string) map[string]any {
	t.Helper()
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) == 0 {
		t.Fatalf("not a JSON array of records (%v): %.300s", err, out)
	}
	return recs[0]
}

// same compares JSON values, numbers to 1e-9 relative: the two records
// may round a derived figure through different but equal expressions.
func same(a, b any) bool {
	x, okx := a.(float64)
	y, oky := b.(float64)
	if okx && oky {
		return x == y || math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y))
	}
	ma, oka := a.(map[string]any)
	mb, okb := b.(map[string]any)
	if oka && okb {
		if len(ma) != len(mb) {
			return false
		}
		for k, v := range ma {
			if !same(v, mb[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
