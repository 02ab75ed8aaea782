package scenario

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Merge joins the records files of a sweep's shards (all CSV, or all
// JSONL when jsonl) into one file's bytes, in point order. Every point of
// the sweep must be in exactly one shard, every shard of the same sweep
// (the same CSV header and point count), every CSV record as wide as its
// header.
func Merge(paths []string, jsonl bool) ([]byte, error) {
	var header string
	byPoint := map[int][]string{}
	from := map[int]string{}
	total := -1
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		lines := strings.SplitAfter(string(data), "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		start := 0
		if !jsonl {
			if len(lines) == 0 {
				return nil, fmt.Errorf("%s is empty", path)
			}
			if header == "" {
				header = lines[0]
			} else if lines[0] != header {
				return nil, fmt.Errorf("%s has other columns than %s: shards of different sweeps?", path, paths[0])
			}
			start = 1
		}
		seen := map[int]bool{}
		for i, line := range lines[start:] {
			p, n, err := pointOfRow(header, line, jsonl)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, i+start+1, err)
			}
			if total >= 0 && n != total {
				return nil, fmt.Errorf("%s:%d: says %d points, other shards %d: shards of different sweeps?", path, i+start+1, n, total)
			}
			total = n
			if prev, ok := from[p]; ok && !seen[p] {
				return nil, fmt.Errorf("point %d is in both %s and %s", p, prev, path)
			}
			seen[p] = true
			from[p] = path
			byPoint[p] = append(byPoint[p], line)
		}
	}
	var missing []string
	for p := 0; p < total; p++ {
		if _, ok := byPoint[p]; !ok {
			missing = append(missing, strconv.Itoa(p))
		}
	}
	if len(missing) > 0 {
		if len(missing) > 10 {
			missing = append(missing[:10], "...")
		}
		return nil, fmt.Errorf("points missing from the shards: %s (of %d)", strings.Join(missing, ", "), total)
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	for p := 0; p < total; p++ {
		for _, l := range byPoint[p] {
			buf.WriteString(l)
		}
	}
	return buf.Bytes(), nil
}

// pointOfRow is PointOf for a line of a shard whose CSV header is header:
// a CSV record must have as many fields as its header, or the merged file
// would not read back as CSV.
func pointOfRow(header, line string, jsonl bool) (int, int, error) {
	if !jsonl {
		if err := sameFields(header, line); err != nil {
			return 0, 0, err
		}
	}
	return PointOf(line, jsonl)
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

// PointOf reads a record's point and points fields (a CSV line or a JSONL
// object).
func PointOf(line string, jsonl bool) (int, int, error) {
	if jsonl {
		var r struct {
			Point  *int `json:"point"`
			Points *int `json:"points"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Point == nil || r.Points == nil {
			return 0, 0, fmt.Errorf("not a sweep record (no point and points fields)")
		}
		return checkPoint(*r.Point, *r.Points)
	}
	rec, err := csv.NewReader(strings.NewReader(line)).Read()
	if err != nil || len(rec) < 3 {
		return 0, 0, fmt.Errorf("not a sweep record")
	}
	p, err1 := strconv.Atoi(rec[1])
	n, err2 := strconv.Atoi(rec[2])
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("not a sweep record (point %q of %q)", rec[1], rec[2])
	}
	return checkPoint(p, n)
}

func checkPoint(p, n int) (int, int, error) {
	if n < 1 || n > MaxPoints || p < 0 || p >= n {
		return 0, 0, fmt.Errorf("point %d of %d is not a point of a sweep", p, n)
	}
	return p, n, nil
}
