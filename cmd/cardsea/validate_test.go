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
