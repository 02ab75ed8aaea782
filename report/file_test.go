package report

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFile: the file holds the data with ordinary permissions, no
// temporary file is left, and an unwritable place is an error that names
// the path.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := WriteFile(path, []byte("a,b\n")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	st, _ := os.Stat(path)
	if err != nil || string(b) != "a,b\n" || st.Mode().Perm() != 0o644 {
		t.Fatalf("%q %v %v", b, err, st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1", len(ents))
	}
	bad := filepath.Join(dir, "no", "such", "dir", "x.csv")
	if err := WriteFile(bad, nil); err == nil || !filepath.IsAbs(bad) {
		t.Errorf("writing under a missing directory: %v", err)
	}
}
