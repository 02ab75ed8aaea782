package main

import (
	"encoding/csv"
	"fmt"
	"strings"
)

// pointOfRow is pointOf for a line of a shard whose CSV header is header:
// a CSV record must have as many fields as its header, or the merged file
// would not read back as CSV.
func pointOfRow(header, line string, jsonl bool) (int, int, error) {
	if !jsonl {
		if err := sameFields(header, line); err != nil {
			return 0, 0, err
		}
	}
	return pointOf(line, jsonl)
}

// sameFields reports whether the CSV record line has as many fields as the
// CSV header.
func sameFields(header, line string) error {
	h, err := csv.NewReader(strings.NewReader(header)).Read()
	if err != nil {
		return fmt.Errorf("header is not CSV: %v", err)
	}
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return fmt.Errorf("not a CSV record: %v", err)
	}
	if len(rec) != len(h) {
		return fmt.Errorf("%d fields under a header of %d: a damaged or cut shard?", len(rec), len(h))
	}
	return nil
}
