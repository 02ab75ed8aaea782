package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// usageExamples are the example command lines of every command's usage
// text (the lines under "Examples:", continuation lines joined, comments
// and shell redirections dropped), as 'cardsea help CMD' prints them.
func usageExamples(t *testing.T) map[string][][]string {
	out := map[string][][]string{}
	for _, c := range commands() {
		if c.run == nil || c.name == "help" {
			continue
		}
		text, _, code := run("help", c.name)
		if code != 0 {
			t.Fatalf("help %s: exit %d", c.name, code)
		}
		in, buf := false, ""
		for _, line := range strings.Split(text, "\n") {
			switch {
			case strings.HasPrefix(line, "Examples:"):
				in = true
				continue
			case in && line != "" && !strings.HasPrefix(line, " "):
				in = false
			}
			if !in {
				continue
			}
			line = strings.TrimSpace(line)
			if cont, ok := strings.CutSuffix(line, `\`); ok {
				buf += cont + " "
				continue
			}
			line, buf = buf+line, ""
			line, _, _ = strings.Cut(line, "#")
			line, _, _ = strings.Cut(line, ">")
			if f := strings.Fields(line); len(f) > 1 && f[0] == "cardsea" {
				out[c.name] = append(out[c.name], f[1:])
			}
		}
	}
	return out
}

// costly are examples that take more than a second, or need a file an
// earlier example writes or the user brings: they are parsed, not run.
var costly = []string{
	"run scenarios/cm384-vs-nvl72-collectives.yaml", "sweep scenarios/electricity-price-sweep.yaml",
	"compare cm384 gb200-nvl72", "compare scenarios/", "report scenarios/", "train --topo cm384",
	"collective --topo cm384 --op alltoall", "serve --topo gb200-nvl72 --model deepseek-r1", "serve --topo hgx-h100 --domains 2", "serve --topo hgx-h100 --model llama-3.1-8b --tp 8 --rate 20,60", "plot requests.csv", "serve --topo hgx-h100 --model llama-3.1-70b --weights-dtype fp8 --input-len 1000", "plot results.csv", "merge s0.csv", "models show my-model.yaml", "demo",
}

// TestUsageExamples: every example in every usage text parses, and the
// cheap ones run and exit 0, as benchstat's doc_test runs its manual. The
// examples run in a scratch directory holding the scenarios, so the files
// they write go nowhere.
func TestUsageExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the usage examples")
	}
	examples := usageExamples(t)
	if len(examples) < 10 {
		t.Fatalf("found examples for only %d commands", len(examples))
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(root, "scenarios"), filepath.Join(dir, "scenarios")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	n := 0
	for _, c := range commands() {
		for _, args := range examples[c.name] {
			line := strings.Join(args, " ")
			parseOnly = false
			for _, p := range costly {
				if strings.HasPrefix(line, p) {
					parseOnly = true
				}
			}
			out, errs, code := run(args...)
			if code != 0 {
				t.Errorf("cardsea %s (parse only: %v): exit %d: %s", line, parseOnly, code, errs)
			}
			if !parseOnly && out == "" && !strings.Contains(line, "--out") && !strings.Contains(line, " -o ") && !strings.Contains(line, "--trace") {
				t.Errorf("cardsea %s printed nothing", line)
			}
			n++
		}
	}
	parseOnly = false
	t.Logf("%d usage examples", n)
}
