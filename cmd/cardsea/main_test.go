package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func run(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return out.String(), errb.String(), code
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run 'go test ./cmd/cardsea -update' to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run 'go test ./cmd/cardsea -update' if the change is intended)\n--- got\n%s", path, got)
	}
}

// TestTopoShowGolden pins the show output of every preset.
func TestTopoShowGolden(t *testing.T) {
	for _, name := range topology.PresetNames() {
		t.Run(name, func(t *testing.T) {
			out, errs, code := run("topo", "show", name)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, "show/"+name+".txt", out)
		})
	}
}

// goldenRun is a command whose standard output must match a golden file.
type goldenRun struct {
	file string
	args []string
}

// checkGoldenRuns runs each command as a subtest and compares its output
// with testdata/dir/file ('go test -update' rewrites the files).
func checkGoldenRuns(t *testing.T, dir string, runs []goldenRun) {
	t.Helper()
	for _, tc := range runs {
		t.Run(tc.file, func(t *testing.T) {
			out, errs, code := run(tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			golden(t, path.Join(dir, tc.file), out)
		})
	}
}

func TestGoldenOutputs(t *testing.T) {
	checkGoldenRuns(t, "", []goldenRun{
		{"list.txt", []string{"topo", "list"}},
		{"demo.txt", []string{"demo"}},
		{"cm384.json", []string{"topo", "show", "cm384", "--format", "json"}},
		{"gb200-nvl72.csv", []string{"topo", "show", "gb200-nvl72", "-f", "csv"}},
		{"nvl72x20.json", []string{"topo", "show", "gb200-nvl72", "--domains", "20", "--format", "json"}},
		{"hgx-h100.dot", []string{"topo", "show", "hgx-h100", "--format", "dot"}},
		{"help.txt", []string{"help"}},
	})
}

// TestJSONFields checks the machine-readable names users script against.
func TestJSONFields(t *testing.T) {
	out, _, code := run("topo", "show", "cm384", "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"hbm_bytes", "hbm_bytes_per_s", "scale_up_bytes_per_s_per_accel", "bisection_bytes_per_s",
		"it_power_w", "facility_power_w", "peak_flops", "accelerators", "cpus", "switch_chips", "links", "optical_modules", "power_w"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	flops := rec["peak_flops"].(map[string]any)
	if _, ok := flops["fp8"]; ok {
		t.Error("cm384 lists fp8, which Ascend 910C lacks")
	}
	if rec["accelerators"].(float64) != 384 || rec["optical_modules"].(float64) != 6912 {
		t.Errorf("counts %v %v", rec["accelerators"], rec["optical_modules"])
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"tpoo"}, 2, `unknown command "tpoo" (did you mean "topo"?)`},
		{"unknown preset", []string{"topo", "show", "gb200"}, 1, `did you mean "gb200-nvl72"?`},
		{"no name", []string{"topo", "show"}, 2, "needs a topology name"},
		{"bad format", []string{"topo", "show", "cm384", "--format", "xml"}, 2, `unknown format "xml"`},
		{"bad flag", []string{"topo", "show", "cm384", "--domain", "3"}, 2, "unknown flag: --domain"},
		{"negative domains", []string{"topo", "show", "cm384", "--domains", "-1"}, 2, "want 1 or more"},
		{"no subcommand", []string{"topo"}, 2, "list or show"},
		{"missing file", []string{"topo", "show", "nope.yaml"}, 1, "cannot read topology file"},
		{"dot of two", []string{"topo", "show", "cm384", "hgx-h20", "-f", "dot"}, 2, "draws one topology"},
		{"huge", []string{"topo", "show", "atlas-950", "--domains", "1000"}, 1, "over the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.want)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 2 && !strings.Contains(errs, "Usage") {
				t.Errorf("error is not short: %q", errs)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "topo"}, {"topo", "--help"}, {"topo", "show", "--help"}, {"demo", "--help"}} {
		errs, _, code := run(args...) // help goes to stdout
		if code != 0 || !strings.Contains(errs, "Usage:") || !strings.Contains(errs, "cardsea") {
			t.Errorf("%v: exit %d, help %q", args, code, errs)
		}
	}
}

// TestCustomFile shows a topology file of one's own through the CLI.
func TestCustomFile(t *testing.T) {
	src, err := topology.PresetSource("hgx-h100")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mine.yaml")
	mine := strings.Replace(string(src), "name: hgx-h100", "name: mine", 1)
	if err := os.WriteFile(path, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run("topo", "show", path, "-f", "csv")
	if code != 0 || !strings.Contains(out, "\nmine,") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	bad := strings.Replace(mine, "planes:", "plaens:", 1)
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errs, code = run("topo", "show", path)
	if code != 1 || !strings.Contains(errs, path+":") || !strings.Contains(errs, "did you mean `planes`?") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

// TestVersion: --version and version print the version on stdout.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := run(args...)
		if code != 0 || !strings.HasPrefix(out, "cardsea "+version) {
			t.Errorf("%v: exit %d, %q", args, code, out)
		}
	}
}
