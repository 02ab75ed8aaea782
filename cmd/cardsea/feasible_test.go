package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/scenario"
)

// TestSweepSurvivesInfeasiblePoints: a sweep with a corner that does not
// fit exits 0 and writes every point, the corner as feasible=false with
// its reason; a resumed sweep over a journal holding that corner gives
// the same file.
func TestSweepSurvivesInfeasiblePoints(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "grid.yaml")
	src := "name: grid\ntopologies: [{preset: hgx-h100}]\nworkloads:\n  - inference: {model: llama-3.1-8b, phase: decode, batch: 8, context: 1024, engine: none}\nsweep:\n  product:\n    workloads[0].inference.batch: [8, 100000]\n    workloads[0].inference.context: [1024, 2048]\n"
	if err := os.WriteFile(sc, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "grid.csv")
	if _, errs, code := run("sweep", sc, "--out", out, "--jobs", "2"); code != 0 {
		t.Fatalf("sweep exit %d: %s", code, errs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 5 || !strings.HasSuffix(lines[0], ",feasible,why") {
		t.Fatalf("want a header ending feasible,why and 4 records:\n%s", data)
	}
	infeasible := 0
	for _, l := range lines[1:] {
		if strings.Contains(l, ",false,") && strings.Contains(l, "does not fit") {
			infeasible++
		}
	}
	if infeasible != 2 {
		t.Errorf("%d infeasible records, want 2 (batch 100000):\n%s", infeasible, data)
	}
	// A journal holding points 1 and 3 (an infeasible one among them),
	// written out of order as a sweep killed mid-run leaves it, resumes to
	// the same file.
	s, err := scenario.Load(sc)
	if err != nil {
		t.Fatal(err)
	}
	var journal bytes.Buffer
	if _, err := s.Run(scenario.Options{Done: func(p int) bool { return p%2 == 0 },
		PointDone: func(p int, rows [][]any) error {
			line, err := scenario.JournalLine(p, rows)
			journal.Write(append(line, '\n'))
			return err
		}}); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again.csv")
	if err := os.WriteFile(again+".partial", journal.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := run("sweep", sc, "--out", again, "--resume"); code != 0 {
		t.Fatalf("resume: %s", errs)
	}
	if b, _ := os.ReadFile(again); string(b) != string(data) {
		t.Errorf("the resumed sweep differs:\n%s\n---\n%s", b, data)
	}
}
