package validation

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

func load(t *testing.T) *Set {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// TestEveryCaseLoads checks that every case id in the file decodes, with
// its points, series or measured figures.
func TestEveryCaseLoads(t *testing.T) {
	s := load(t)
	tests := []struct {
		id     string
		points int // collective points, or measured entries
		tol    bool
	}{
		{"C01", 10, true}, {"C03", 8, true}, {"C04", 10, true}, {"C05", 0, true},
		{"C06", 0, false}, {"C08", 7, true}, {"C09", 1, true}, {"C11", 5, true},
		{"C17", 0, false}, {"C19", 4, true}, {"C20", 6, true}, {"C22", 9, true},
		{"C23", 8, true}, {"C24", 6, true}, {"C25", 5, true},
		{"I01", 2, true}, {"I02", 3, true}, {"I03", 1, true}, {"I04", 2, true},
		{"I05", 1, true}, {"I06", 2, true}, {"I13", 2, true},
		{"P01", 1, true}, {"P02", 3, true},
	}
	if got, want := len(s.Collectives)+len(s.Inference)+len(s.Power), len(tests); got != want {
		t.Errorf("the set has %d cases, the table %d; add new cases to this test", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			var n int
			var tol Tolerance
			switch {
			case s.CollectiveByID(tt.id) != nil:
				c := s.CollectiveByID(tt.id)
				n, tol = len(c.Points), c.Tolerance
				if c.System == "" || (c.Kind != "primary" && c.Kind != "secondary") {
					t.Errorf("system %q kind %q", c.System, c.Kind)
				}
			case s.InferenceByID(tt.id) != nil:
				c := s.InferenceByID(tt.id)
				n, tol = len(c.Measured), c.Tolerance
			case s.PowerByID(tt.id) != nil:
				c := s.PowerByID(tt.id)
				n, tol = len(c.Measured), c.Tolerance
			default:
				t.Fatalf("case %s not found", tt.id)
			}
			if n != tt.points {
				t.Errorf("%d points or entries, want %d", n, tt.points)
			}
			if tol.IsSet() != tt.tol {
				t.Errorf("tolerance set = %v, want %v", tol.IsSet(), tt.tol)
			}
		})
	}
}

func TestC01(t *testing.T) {
	c := load(t).CollectiveByID("C01")
	if c.Op != "allreduce" || c.Ranks != 8 || c.Algorithm != "nvls" || c.Metric != "busbw_GBps" || c.PresetHint != "hgx-h100" {
		t.Errorf("header: %+v", c)
	}
	wantKeys := []string{"1KiB", "64KiB", "1MiB", "4MiB", "16MiB", "64MiB", "256MiB", "1GiB", "4GiB", "8GiB"}
	if len(c.Points) != len(wantKeys) {
		t.Fatalf("%d points, want %d", len(c.Points), len(wantKeys))
	}
	prev := 0.0
	for i, p := range c.Points {
		if p.Key != wantKeys[i] {
			t.Errorf("point %d is %q, want %q (file order)", i, p.Key, wantKeys[i])
		}
		if !p.HasSize() || p.SizeBytes <= prev {
			t.Errorf("point %q: size %g not increasing", p.Key, p.SizeBytes)
		}
		prev = p.SizeBytes
	}
	if p := c.Points[0]; p.SizeBytes != 1024 || p.Value() != 0.07 {
		t.Errorf("first point %+v, want 1KiB = 1024 B, 0.07", p)
	}
	if p := c.Points.BySize(8 << 30); p == nil || p.Value() != 478.87 {
		t.Errorf("8 GiB point %+v", p)
	}
	for _, tt := range []struct {
		size float64
		want float64
	}{
		{1024, 0.35}, {64<<20 - 1, 0.35}, {64 << 20, 0.10}, {8 << 30, 0.10}, {0, 0.35},
	} {
		if got := c.Tolerance.For(tt.size); got != tt.want {
			t.Errorf("Tolerance.For(%g) = %g, want %g", tt.size, got, tt.want)
		}
	}
}

func TestC22Pairs(t *testing.T) {
	c := load(t).CollectiveByID("C22")
	want := []struct {
		key     string
		ep, bs  int
		d, comb float64
	}{
		{"EP8_BS1", 8, 1, 18.9, 31.0}, {"EP8_BS128", 8, 128, 31.7, 38.1},
		{"EP8_BS512", 8, 512, 89.5, 91.7}, {"EP8_BS2048", 8, 2048, 311.8, 322.6},
		{"EP16_BS2048", 16, 2048, 343.3, 348.4}, {"EP32_BS2048", 32, 2048, 373.7, 369.5},
		{"EP64_BS1", 64, 1, 27.8, 32.6}, {"EP64_BS128", 64, 128, 41.6, 44.5},
		{"EP64_BS2048", 64, 2048, 399.2, 372.1},
	}
	if len(c.Points) != len(want) {
		t.Fatalf("%d points, want %d", len(c.Points), len(want))
	}
	for i, w := range want {
		p := c.Points[i]
		d, comb, ok := p.Pair()
		if p.Key != w.key || p.EP != w.ep || p.BatchSize != w.bs || !ok || d != w.d || comb != w.comb {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
	}
	if c.Tolerance.For(0) != 0.25 {
		t.Errorf("tolerance %g", c.Tolerance.For(0))
	}
}

func TestOtherShapes(t *testing.T) {
	s := load(t)
	if p := s.CollectiveByID("C19").Points.ByKey("EP16_rdma"); p == nil || p.EP != 16 || p.Transport != "rdma" {
		t.Errorf("C19 EP16_rdma: %+v", p)
	}
	if p := s.CollectiveByID("C09").Points.ByKey("large"); p == nil || p.HasSize() || p.Value() != 215 {
		t.Errorf("C09 large: %+v", p)
	}
	if p := s.CollectiveByID("C23").Points.ByKey("npu_write_GBps.inter_node"); p == nil || p.Value() != 135 {
		t.Errorf("C23 npu_write_GBps.inter_node: %+v", p)
	}
	c05 := s.CollectiveByID("C05")
	if nv := c05.Series.ByName("nvls"); nv == nil || len(nv.Points) != 4 || nv.Points[0].Ranks != 5 || nv.Points[3].Value != 480 {
		t.Errorf("C05 nvls: %+v", nv)
	}
	if len(c05.Series) != 2 || c05.Series[0].Name != "ring" {
		t.Errorf("C05 series order: %+v", c05.Series)
	}
	if p := s.CollectiveByID("C11").TimesUS.BySize(4 << 30); p == nil || p.Value() != 10094 {
		t.Errorf("C11 times_us 4GiB: %+v", p)
	}
	if v, ok := s.InferenceByID("I13").Measured.Get("hgx-h200", "server_mean_tpot_ms"); !ok || v != 123 {
		t.Errorf("I13 hgx-h200 tpot = %g, %v", v, ok)
	}
	p02 := s.PowerByID("P02")
	var names []string
	for _, m := range p02.Measured {
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "1_node,8_nodes,64_nodes" {
		t.Errorf("P02 entries %v", names)
	}
	if v, ok := p02.Measured.Get("64_nodes", "network_kw_per_node"); !ok || v != 0.931 {
		t.Errorf("P02 64_nodes network = %g, %v", v, ok)
	}
	if _, ok := p02.Measured.Get("8_nodes"); ok {
		t.Error("Get on a group reported a value")
	}
}

func TestCopyUnchanged(t *testing.T) {
	shared, err := os.ReadFile("../../shared/validation/cases.yaml")
	if err != nil {
		t.Skip("no shared copy to compare against:", err)
	}
	if string(shared) != string(Data()) {
		t.Error("validation/cases.yaml differs from shared/validation/cases.yaml; copy it unchanged")
	}
}

func TestREADMEListsEveryCase(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range s.Collectives {
		ids = append(ids, c.ID)
	}
	for _, c := range s.Inference {
		ids = append(ids, c.ID)
	}
	for _, c := range s.Power {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		if !strings.Contains(string(b), "| "+id+" |") {
			t.Errorf("README.md has no row for %s", id)
		}
	}
}

func TestParseErrors(t *testing.T) {
	base := "collectives:\n  - id: C01\n    kind: primary\n    system: x\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", base + "    pionts: {1KiB: 1}\n", "did you mean `points`"},
		{"duplicate point", base + "    points: {1KiB: 1, 1KiB: 2}\n", "duplicate key"},
		{"not a number", base + "    points: {1KiB: fast}\n", "is not a number"},
		{"nested list", base + "    points: {EP8: [[1]]}\n", "is not a number"},
		{"bad tolerance key", base + "    tolerance: {above_64MiB: 0.1, lt_64MiB: 0.3}\n", "ge_SIZE or lt_SIZE"},
		{"half a split", base + "    tolerance: {ge_64MiB: 0.1}\n", "needs both"},
		{"split sizes differ", base + "    tolerance: {ge_64MiB: 0.1, lt_1MiB: 0.3}\n", "sizes differ"},
		{"tolerance above 1", base + "    tolerance: 35\n", "at most 1"},
		{"bad rank count", base + "    series: {ring: {two: 367}}\n", "not a rank count"},
		{"alias", base + "    points: {a: &x 1, b: *x}\n", "aliases"},
		{"duplicate id", base + "  - id: C01\n    kind: primary\n    system: y\n", "also used by"},
		{"bad kind", "power:\n  - id: P9\n    kind: guess\n    system: x\n", "not primary or secondary"},
		{"missing id", "power:\n  - kind: primary\n    system: x\n", "missing"},
		{"deep measured", "power:\n  - id: P9\n    kind: primary\n    system: x\n    measured: {a: {b: {c: {d: 1}}}}\n", "nested more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			var se *strictyaml.Error
			if !errors.As(err, &se) || se.File != "t.yaml" {
				t.Errorf("error %v is not a positioned *strictyaml.Error", err)
			}
		})
	}
}

func TestErrorPosition(t *testing.T) {
	_, err := Parse("t.yaml", []byte("collectives:\n  - id: C01\n    kind: primary\n    system: x\n    points: {1KiB: fast}\n"))
	var se *strictyaml.Error
	if !errors.As(err, &se) || se.Line != 5 {
		t.Fatalf("error %v, want one at line 5", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Data())
	f.Add([]byte("collectives:\n  - id: C1\n    kind: primary\n    system: s\n    points: {1KiB: 0.07, EP8_BS1: [1, 2], g: {a: 1}}\n    tolerance: {ge_64MiB: 0.1, lt_64MiB: 0.35}\n"))
	f.Add([]byte("power:\n  - id: P\n    kind: secondary\n    system: s\n    measured: {a: {b: 1}}\n"))
	f.Add([]byte("collectives:\n  - {id: C, kind: primary, system: s, series: {ring: {2: 1}}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, c := range s.Collectives {
			for _, p := range c.Points {
				_ = p.Value()
				_ = c.Tolerance.For(p.SizeBytes)
			}
		}
	})
}

// TestCollectedLoads: collected.yaml decodes with its extra fields, and
// its ids do not clash with the shared set's.
func TestCollectedLoads(t *testing.T) {
	s, err := LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	x := s.CollectiveByID("X05")
	if x == nil || x.Domains != 8 || x.ScaleOut != "roce" || x.BaselineScaleOut != "infiniband" || x.Points.ByKey("large").Value() != 1.0048 {
		t.Errorf("X05: %+v", x)
	}
	if p := s.CollectiveByID("X02").Points.BySize(8); p == nil || p.Value() != 93.12 {
		t.Errorf("X02 8B: %+v", p)
	}
	if v, ok := s.InferenceByID("X07").Measured.Get("tokens_per_s_per_npu", "b8"); !ok || v != 538 {
		t.Errorf("X07 b8: %v %v", v, ok)
	}
	if v, ok := s.InferenceByID("X08").Measured.Get("interactive", "mean_tpot_ms"); !ok || v != 34.2 {
		t.Errorf("X08 interactive TPOT: %v %v", v, ok)
	}
	shared := load(t)
	if len(s.Collectives) <= len(shared.Collectives) {
		t.Errorf("LoadAll has %d collective cases, the shared set %d", len(s.Collectives), len(shared.Collectives))
	}
}
