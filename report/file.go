package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to path through a temporary file in the same
// directory and a rename, so that a reader never sees half a file and a
// failure leaves the old file, if any, as it was.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	name := tmp.Name()
	// CreateTemp makes the file owner-only; results are ordinary files.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", path, errors.Join(werr, cerr))
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// Section is one named sheet of a JSON document of several.
type Section struct {
	Name  string
	Sheet *Sheet
}

// WriteJSONSections writes sections as one JSON object, a key per
// section holding that sheet as JSON ({"systems": [...], "links": [...]}),
// in the order given; nothing is written if a sheet fails to render.
func WriteJSONSections(w io.Writer, sections ...Section) error {
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, s := range sections {
		var one bytes.Buffer
		if err := s.Sheet.Write(&one, FormatJSON); err != nil {
			return err
		}
		sep := ",\n"
		if i == len(sections)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "%q: %s%s", s.Name, bytes.TrimSpace(one.Bytes()), sep)
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}
