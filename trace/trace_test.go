package trace

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// tiny is a small trace whose events are added out of order.
func tiny() *Trace {
	t := New()
	ranks := t.Process("ranks")
	r1 := t.Thread(ranks, "acc1")
	r0 := t.Thread(ranks, "acc0")
	links := t.Process("links")
	t.Span(ranks, r0, "send to acc1", 2e-6, 3.5e-6, map[string]any{"bytes": 1024})
	t.Span(ranks, r0, "send to acc1", 1e-6, 1.25e-6, nil)
	t.Span(ranks, r1, "send to \"acc0\"", 1e-6, 2.000001e-6, nil)
	t.Counter(links, "acc0 -> sw0 (%)", 1e-6, 100)
	t.Counter(links, "acc0 -> sw0 (%)", 0, 0)
	t.Counter(links, "acc0 -> sw0 (%)", 2.5e-6, 37.5)
	return t
}

func TestGolden(t *testing.T) {
	got, err := tiny().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatalf("invalid JSON:\n%s", got)
	}
	path := filepath.Join("testdata", "tiny.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The format's own reading: an object with traceEvents and the unit.
	var doc struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Pid  int     `json:"pid"`
			Tid  int     `json:"tid"`
			Ts   float64 `json:"ts"`
			Dur  float64 `json:"dur"`
		} `json:"traceEvents"`
		DisplayTimeUnit string `json:"displayTimeUnit"`
	}
	if err := json.Unmarshal(got, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.DisplayTimeUnit != "ns" || len(doc.TraceEvents) != 14 {
		t.Fatalf("unit %q, %d events", doc.DisplayTimeUnit, len(doc.TraceEvents))
	}
}

func TestOrderIndependent(t *testing.T) {
	a := New()
	a.Span(1, 1, "b", 1e-6, 2e-6, nil)
	a.Span(1, 2, "a", 0, 1e-6, nil)
	a.Counter(2, "x", 0, 1)
	b := New()
	b.Counter(2, "x", 0, 1)
	b.Span(1, 2, "a", 0, 1e-6, nil)
	b.Span(1, 1, "b", 1e-6, 2e-6, nil)
	ja, _ := a.Marshal()
	jb, _ := b.Marshal()
	if !bytes.Equal(ja, jb) {
		t.Errorf("order of adding changed the output:\n%s\n%s", ja, jb)
	}
}

func TestMicros(t *testing.T) {
	for ps, want := range map[int64]string{
		0: "0", 1: "0.000001", 1e6: "1", 1500000: "1.5", 123456789: "123.456789",
		-2500000: "-2.5", 10: "0.00001", 3e12: "3000000",
	} {
		if got := micros(ps); got != want {
			t.Errorf("micros(%d) = %s, want %s", ps, got, want)
		}
	}
	if Picos(1.25e-6) != 1250000 {
		t.Errorf("Picos(1.25e-6) = %d", Picos(1.25e-6))
	}
}

func TestBadArg(t *testing.T) {
	tr := New()
	tr.Span(1, 1, "x", 0, 1, map[string]any{"bad": make(chan int)})
	if _, err := tr.Marshal(); err == nil {
		t.Error("no error for an argument JSON cannot hold")
	}
}
