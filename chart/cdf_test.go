package chart

import (
	"strings"
	"testing"
)

// TestCDF: each series' values in order with the share at or below
// them; blanks are left out, and a non-number names its line.
func TestCDF(t *testing.T) {
	d, err := ReadCSV("r.csv", strings.NewReader("ttft_s,rate\n0.3,1\n0.1,1\n,1\n0.2,2\n0.2,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.CDF("ttft_s", []string{"rate"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]any{{0.1, 1.0 / 3, "1"}, {0.2, 2.0 / 3, "1"}, {0.3, 1.0, "1"}, {0.2, 1.0, "2"}}
	if len(c.Rows) != len(want) {
		t.Fatalf("%d rows: %v", len(c.Rows), c.Rows)
	}
	for i, w := range want {
		for j := range w {
			if c.Rows[i][j] != w[j] {
				t.Errorf("row %d: %v, want %v", i, c.Rows[i], w)
			}
		}
	}
	bad, _ := ReadCSV("b.csv", strings.NewReader("ttft_s\n0.1\nfast\n"))
	if _, err := bad.CDF("ttft_s", nil); err == nil || !strings.Contains(err.Error(), "b.csv:3") {
		t.Errorf("a word among the values: %v", err)
	}
}
