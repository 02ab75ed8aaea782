// Package deploy holds the files that run cardsea sweeps on clusters:
// deploy/slurm (a job array, its merge and a submit script), deploy/k8s
// (an Indexed Job and its merge) and deploy/Dockerfile. The tests run the
// Slurm scripts as Slurm would, with its environment, and under a real
// single-node Slurm where one is installed (slurm_test.go), and check the
// Kubernetes manifests.
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cardsea/cardsea/scenario"
	"go.yaml.in/yaml/v4"
)

// binDir holds the cardsea binary that the tests build once and share.
var (
	binDir    string
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// cardseaBinary builds ./cmd/cardsea once for every test of the package.
func cardseaBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "cardsea-deploy-"); buildErr != nil {
			return
		}
		builtBin = filepath.Join(binDir, "cardsea")
		if out, err := exec.Command("go", "build", "-o", builtBin, "../cmd/cardsea").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// TestSlurmArrayResumes runs deploy/slurm/sweep.sbatch for each task of a
// 3-shard array, one of them requeued after being killed with one point
// journalled, then merge.sbatch: the merged file equals one straight
// sweep, except that the journalled point is the journal's (the requeued
// task resumed instead of starting over). A real Slurm is not needed:
// the scripts read only Slurm's environment; slurm_test.go runs them
// under a real one.
func TestSlurmArrayResumes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run the Slurm scripts with")
	}
	dir := t.TempDir()
	bin := cardseaBinary(t)
	sc, err := filepath.Abs("../scenarios/allreduce-all-presets.yaml")
	if err != nil {
		t.Fatal(err)
	}
	straight := filepath.Join(dir, "straight.csv")
	if out, err := exec.Command(bin, "sweep", sc, "--out", straight).CombinedOutput(); err != nil {
		t.Fatalf("straight sweep: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "results")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	// Shard 1 was killed after journalling its first point; the journal
	// names the scenario "journalled" so the merged file shows where the
	// point came from.
	s, err := scenario.Load(sc)
	if err != nil {
		t.Fatal(err)
	}
	var journal []byte
	stop := false
	if _, err := s.Run(scenario.Options{Jobs: 1, Shard: 1, Shards: 3, Stop: func() bool { return stop },
		PointDone: func(p int, rows [][]any) error {
			if journal == nil {
				for _, r := range rows {
					r[0] = "journalled"
				}
				line, err := scenario.JournalLine(p, rows)
				journal = append(line, '\n')
				stop = true
				return err
			}
			return nil
		}}); err != nil && err != scenario.ErrStopped {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "shard-1.csv.partial"), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "SCENARIO="+sc, "OUT="+out, "CARDSEA="+bin, "SLURM_ARRAY_TASK_COUNT=3", "SLURM_CPUS_PER_TASK=2")
	for i := range 3 {
		cmd := exec.Command(bash, "slurm/sweep.sbatch")
		cmd.Env = append(env, "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("task %d: %v\n%s", i, err, b)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "shard-1.csv.partial")); !os.IsNotExist(err) {
		t.Errorf("the requeued task left its journal: %v", err)
	}
	// A shard left in OUT by an earlier sweep of 4 shards: with SHARDS
	// set, as submit.sh sets it, the merge leaves it out.
	stale, err := os.ReadFile(filepath.Join(out, "shard-0.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "shard-3.csv"), stale, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "slurm/merge.sbatch")
	cmd.Env = append(env, "SHARDS=3")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, b)
	}
	got, err := os.ReadFile(filepath.Join(out, "results.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(straight)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(got, []byte("journalled,")); n == 0 {
		t.Fatal("no record came from the journal: the requeued task did not resume")
	}
	if string(bytes.ReplaceAll(got, []byte("journalled,"), []byte("allreduce-all-presets,"))) != string(want) {
		t.Errorf("the merged shards differ from the straight sweep:\n%s\n---\n%s", got, want)
	}
}

// TestSubmitScript runs deploy/slurm/submit.sh against a stand-in sbatch
// that logs its arguments: the array has SHARDS tasks, the merge depends
// on it succeeding, options after SHARDS reach both, and the jobs get
// SCENARIO and SHARDS. slurm_test.go runs it against a real Slurm.
func TestSubmitScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash to run submit.sh with")
	}
	dir := t.TempDir()
	stub := `#!/bin/bash
n=$(( $(cat "$STUB_LOG" 2>/dev/null | wc -l) + 41 ))
echo "$n $* SCENARIO=$SCENARIO SHARDS=$SHARDS" >> "$STUB_LOG"
echo "$n;cluster"
`
	if err := os.WriteFile(filepath.Join(dir, "sbatch"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "calls")
	cmd := exec.Command(bash, "slurm/submit.sh", "my sweep, v2.yaml", "5", "--partition=cpu", "--cpus-per-task=2")
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "STUB_LOG="+log)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("submit.sh: %v\n%s", err, out)
	}
	calls, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	here, err := filepath.Abs("slurm")
	if err != nil {
		t.Fatal(err)
	}
	want := "41 --parsable --array=0-4 --export=ALL --partition=cpu --cpus-per-task=2 " + here + "/sweep.sbatch SCENARIO=my sweep, v2.yaml SHARDS=5\n" +
		"42 --parsable --dependency=afterok:41 --export=ALL --partition=cpu --cpus-per-task=2 " + here + "/merge.sbatch SCENARIO=my sweep, v2.yaml SHARDS=5\n"
	if string(calls) != want {
		t.Errorf("sbatch calls:\n%s\nwant:\n%s", calls, want)
	}
	if !strings.Contains(string(out), "sweep array job 41 (5 tasks), merge job 42") {
		t.Errorf("submit.sh says %q", out)
	}
	for _, bad := range []string{"0", "x", "-1"} {
		cmd := exec.Command(bash, "slurm/submit.sh", "s.yaml", bad)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "STUB_LOG="+filepath.Join(dir, "bad"))
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "SHARDS must be") {
			t.Errorf("submit.sh with SHARDS %q: %v %s", bad, err, out)
		}
	}
}

// TestKubernetesJobResumes: the Indexed Job runs one shard per index with
// as many shards as completions, always resuming, and the merge job names
// every shard.
func TestKubernetesJobResumes(t *testing.T) {
	type container struct {
		Args []string `yaml:"args"`
	}
	type job struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Completions    int    `yaml:"completions"`
			CompletionMode string `yaml:"completionMode"`
			Template       struct {
				Spec struct {
					Containers []container `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	read := func(name string) job {
		b, err := os.ReadFile(filepath.Join("k8s", name))
		if err != nil {
			t.Fatal(err)
		}
		var j job
		if err := yaml.Unmarshal(b, &j); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return j
	}
	sweep, merge := read("sweep-job.yaml"), read("sweep-merge.yaml")
	args := strings.Join(sweep.Spec.Template.Spec.Containers[0].Args, " ")
	n := sweep.Spec.Completions
	if sweep.Kind != "Job" || sweep.Spec.CompletionMode != "Indexed" || !strings.Contains(args, "--resume") ||
		!strings.Contains(args, "--shard $(JOB_COMPLETION_INDEX)/"+strconv.Itoa(n)) {
		t.Errorf("sweep job: kind %s, mode %s, %d completions, args %q", sweep.Kind, sweep.Spec.CompletionMode, n, args)
	}
	margs := strings.Join(merge.Spec.Template.Spec.Containers[0].Args, " ")
	for i := range n {
		if !strings.Contains(margs, "/data/shard-"+strconv.Itoa(i)+".csv") {
			t.Errorf("the merge job does not name shard %d: %q", i, margs)
		}
	}
}
