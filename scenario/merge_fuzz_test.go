package scenario

import "testing"

// FuzzPointOf feeds arbitrary lines to the merge record reader: it must
// never panic, and a line it accepts must carry a point within its points.
func FuzzPointOf(f *testing.F) {
	f.Add("tiny,0,6,0.05,hgx-h100\n", false)
	f.Add(`{"scenario":"x","point":3,"points":4}`, true)
	f.Add(`"a,b",1,2`, false)
	f.Add(`{"point":null}`, true)
	f.Fuzz(func(t *testing.T, line string, jsonl bool) {
		p, n, err := PointOf(line, jsonl)
		if err == nil && (p < 0 || p >= n) {
			t.Fatalf("accepted point %d of %d from %q", p, n, line)
		}
	})
}
