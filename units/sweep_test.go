package units

import (
	"strings"
	"testing"
)

func TestParseSizes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int64
		err  string
	}{
		{in: "1KiB:8KiB", want: []int64{1024, 2048, 4096, 8192}},
		{in: "1KiB:16KiB:x4", want: []int64{1024, 4096, 16384}},
		{in: "1MiB:3MiB:+1MiB", want: []int64{1 << 20, 2 << 20, 3 << 20}},
		{in: "64MiB", want: []int64{64 << 20}},
		{in: "1MiB, 1GiB", want: []int64{1 << 20, 1 << 30}},
		{in: "1KiB:8GiB", want: nil},
		{in: "", err: "empty"},
		{in: "0", err: "more than 0 bytes"},
		{in: "8GiB:1KiB", err: "below the smallest"},
		{in: "1KiB:8GiB:x1", err: "above 1"},
		{in: "1KiB:8GiB:y2", err: "must start with x"},
		{in: "1B:1GiB:+1B", err: "more than 10000"},
		{in: "1KiB:2KiB:3KiB:4", err: "too many"},
		{in: "1.5B", err: "whole number"},
		{in: "1QB", err: "unknown unit"},
	} {
		got, err := ParseSizes(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if tc.want == nil {
			if len(got) != 24 || got[23] != 8<<30 {
				t.Errorf("%q: %d sizes ending %d", tc.in, len(got), got[len(got)-1])
			}
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: %v, want %v", tc.in, got, tc.want)
			}
		}
	}
	if s, err := SizeSteps(1024, 4096, 2, 0); err != nil || len(s) != 3 {
		t.Errorf("SizeSteps: %v %v", s, err)
	}
}

func FuzzParseSizes(f *testing.F) {
	for _, s := range []string{"1KiB:8GiB", "1MiB:3MiB:+1MiB", "1,2,3", "1KiB:1GiB:x1.5", ":", "1e30:1e31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sizes, err := ParseSizes(s)
		if err != nil {
			if _, ok := err.(*Error); !ok || err.Error() == "" {
				t.Fatalf("error %T %q", err, err)
			}
			return
		}
		if len(sizes) == 0 || len(sizes) > MaxSweepPoints {
			t.Fatalf("%q: %d sizes", s, len(sizes))
		}
		for _, v := range sizes {
			if v <= 0 {
				t.Fatalf("%q: size %d", s, v)
			}
		}
	})
}
