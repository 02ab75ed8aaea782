package field

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRename: a front door's namer renders the field and every name the
// message mentions; wrapped errors keep their context; other errors pass.
func TestRename(t *testing.T) {
	e := Errorf("input_len", "%d with {output_len} %d: want 1 or more", 0, 5)
	if got := e.Error(); got != "input_len 0 with output_len 5: want 1 or more" {
		t.Errorf("own vocabulary: %q", got)
	}
	flag := func(k string) string { return "--" + strings.ReplaceAll(k, "_", "-") }
	if got := Rename(e, flag).Error(); got != "--input-len 0 with --output-len 5: want 1 or more" {
		t.Errorf("renamed: %q", got)
	}
	wrapped := fmt.Errorf("on cm384: %w", e)
	r := Rename(wrapped, flag)
	if got := r.Error(); got != "on cm384: --input-len 0 with --output-len 5: want 1 or more" {
		t.Errorf("renamed through a wrap: %q", got)
	}
	var fe *Error
	if !errors.As(r, &fe) || fe.Field != "input_len" {
		t.Errorf("the renamed chain lost its Error: %v", r)
	}
	if got := e.Message(); got != "0 with output_len 5: want 1 or more" {
		t.Errorf("message: %q", got)
	}
	plain := errors.New("plain")
	if Rename(plain, flag) != plain {
		t.Error("a plain error was changed")
	}
}

// TestRenameWrapped: a wrapped cause reads "FIELD: cause", renamed too
// inside a chain.
func TestRenameWrapped(t *testing.T) {
	e := Wrap("chunk_bytes", errors.New(`"4QB" is not a size`))
	flag := func(k string) string { return "--" + strings.ReplaceAll(k, "_", "-") }
	if got := Rename(fmt.Errorf("workload 2: %w", e), flag).Error(); got != `workload 2: --chunk-bytes: "4QB" is not a size` {
		t.Errorf("got %q", got)
	}
}
