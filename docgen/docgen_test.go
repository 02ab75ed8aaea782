package docgen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPresetsDocIsCurrent fails when docs/presets.md no longer matches the
// preset data.
func TestPresetsDocIsCurrent(t *testing.T) {
	want, err := Presets()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", PresetsPath))
	if err != nil {
		t.Fatalf("%v: run 'make docs'", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run 'make docs' and commit the result", PresetsPath)
	}
}

// TestRecordsDocIsCurrent: docs/records.md is the record schema.
func TestRecordsDocIsCurrent(t *testing.T) {
	got, err := os.ReadFile(filepath.Join("..", RecordsPath))
	if err != nil {
		t.Fatalf("%v: run 'make docs'", err)
	}
	if !bytes.Equal(got, Records()) {
		t.Fatalf("%s is stale: run 'make docs' and commit the result", RecordsPath)
	}
}
