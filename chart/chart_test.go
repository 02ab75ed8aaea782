package chart

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/report"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		column, name string
		kind         Kind
	}{
		{"busbw_bytes_per_s", "busbw", ByteRate},
		{"size_bytes", "size", Bytes},
		{"scale_up_bytes_per_s_per_accel", "scale up per accel", ByteRate},
		{"tokens_per_s_per_user", "tokens/s per user", Rate},
		{"peak_flops_fp8", "peak flops fp8", Plain},
		{"bf16_flops", "bf16", FLOPS},
		{"time_s", "time", Seconds},
		{"avg_power_w", "avg power", Watts},
		{"it_power_w_per_accel", "it power per accel", Watts},
		{"energy_j", "energy", Joules},
		{"energy_cost_usd", "energy cost", USD},
		{"busbw_per_kw", "busbw per kw", Plain},
		{"ranks", "ranks", Plain},
		{"s", "s", Plain},
		{"power_price_per_kwh", "power price per kwh", Plain},
	} {
		name, k := Parse(tc.column)
		if name != tc.name || k != tc.kind {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tc.column, name, k, tc.name, tc.kind)
		}
	}
}

func TestAxisFor(t *testing.T) {
	for _, tc := range []struct {
		column string
		values []float64
		log    bool
		label  string
		scale  float64
	}{
		{"size_bytes", []float64{1 << 20, 1 << 30}, false, "Size (GiB)", 1 << 30},
		{"size_bytes", []float64{1 << 20, 1 << 30}, true, "Size (MiB)", 1 << 20},
		{"size_bytes", []float64{512}, false, "Size (B)", 1},
		{"busbw_bytes_per_s", []float64{3e9, 4.5e11}, false, "busbw (GB/s)", 1e9},
		{"time_s", []float64{2e-5, 3e-4}, false, "Time (us)", 1e-6},
		{"time_s", []float64{2e-5, 3e-3}, false, "Time (ms)", 1e-3},
		{"avg_power_w", []float64{5500, 13000}, false, "Avg power (kW)", 1e3},
		{"energy_j", []float64{0.5, 34}, false, "Energy (J)", 1},
		{"energy_j", []float64{0.1, 0.9}, false, "Energy (mJ)", 1e-3},
		{"energy_cost_usd", []float64{4e-9, 5e-8}, false, "Energy cost (micro-USD)", 1e-6},
		{"tokens_per_s_per_accel", []float64{1200, 5000}, false, "Tokens/s per accel (thousands)", 1e3},
		{"tokens_per_s_per_user", []float64{12, 50}, false, "Tokens/s per user", 1},
		{"energy_j", []float64{0, 0}, false, "Energy (J)", 1},
	} {
		a := AxisFor(tc.column, tc.values, tc.log, nil)
		if a.Label != tc.label || a.Scale != tc.scale {
			t.Errorf("AxisFor(%s, %v, log %v) = %q / %g; want %q / %g", tc.column, tc.values, tc.log, a.Label, a.Scale, tc.label, tc.scale)
		}
	}
	h := report.Column{Key: "busbw_per_kw", Header: "busbw per IT kW (GB/s per kW)", Scale: 1e9}
	if a := AxisFor("busbw_per_kw", []float64{1e10}, false, &h); a.Label != h.Header || a.Scale != 1e9 {
		t.Errorf("a hinted column: %+v", a)
	}
}

func TestTickLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1: "1", 0.25: "0.25", 1024: "1024", 0.1 + 0.2: "0.3", 12345.678: "1.235e+04" /* ≥1e5 only */, 2e5: "2e+05", 1e-4: "0.0001"} {
		if v == 12345.678 {
			want = "12350"
		}
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestReadJSON(t *testing.T) {
	in := `{"name":"a","peak_flops":{"bf16":1e15,"fp8":2e15},"list":[1,[2]],"n":3}
{"name":"b","extra":true,"n":null}
`
	d, err := ReadJSON("x.jsonl", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Columns, ","); got != "name,peak_flops_bf16,peak_flops_fp8,list,n,extra" {
		t.Errorf("columns %s", got)
	}
	if len(d.Rows) != 2 || d.Rows[0][1] != "1e15" || d.Rows[1][0] != "b" || d.Rows[1][4] != nil || d.Rows[1][5] != true {
		t.Errorf("rows %v", d.Rows)
	}
	arr, err := ReadJSON("x.json", strings.NewReader("[\n"+strings.ReplaceAll(strings.TrimSpace(in), "\n", ",\n")+"\n]"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(arr.Columns, ",") != strings.Join(d.Columns, ",") || len(arr.Rows) != 2 {
		t.Errorf("a JSON array reads differently: %v %v", arr.Columns, arr.Rows)
	}
	if _, err := ReadJSON("e.jsonl", strings.NewReader("\n")); err == nil || !strings.Contains(err.Error(), "no records") {
		t.Errorf("empty input: %v", err)
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]Format{"a.svg": SVG, "b.PNG": PNG} {
		if f, err := FormatOf(path); err != nil || f != want {
			t.Errorf("FormatOf(%s) = %v, %v", path, f, err)
		}
	}
	for _, path := range []string{"a.pdf", "noext"} {
		if _, err := FormatOf(path); err == nil {
			t.Errorf("FormatOf(%s) accepted", path)
		}
	}
}

// TestCategories draws a non-numeric X column as categories when asked,
// and renders the same bytes twice.
func TestCategories(t *testing.T) {
	d := &Data{Columns: []string{"preset", "size_bytes", "busbw_bytes_per_s"}, Rows: [][]any{
		{"cm384", 1 << 20, 5e10}, {"cm384", 1 << 26, 1.5e11}, {"gb200-nvl72", 1 << 20, 8e10}, {"gb200-nvl72", 1 << 26, 4e11},
	}}
	s := Spec{X: "preset", Y: "busbw_bytes_per_s", Series: []string{"size_bytes"}}
	if _, err := Render(d, s, SVG); err == nil || !strings.Contains(err.Error(), `"cm384" is not a number`) {
		t.Fatalf("non-numeric X without CategoricalX: %v", err)
	}
	s.CategoricalX = true
	a, err := Render(d, s, SVG)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Render(d, s, SVG)
	if !bytes.Equal(a, b) {
		t.Error("two renders differ")
	}
	for _, want := range []string{">cm384<", ">gb200-nvl72<", ">1 MiB<", ">64 MiB<", ">Preset<"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// TestWideByteRange labels each tick with its own unit when sizes span
// more than six binary orders (1 KiB to 8 GiB, as nccl-tests sweeps).
func TestWideByteRange(t *testing.T) {
	d := &Data{Columns: []string{"size_bytes", "time_s"}, Rows: [][]any{{1024, 1e-5}, {8 << 30, 0.1}}}
	svg, err := Render(d, Spec{X: "size_bytes", Y: "time_s", LogX: true, LogY: true}, SVG)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">1 KiB<", ">1 MiB<", ">1 GiB<", ">Size<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

// TestAxisHumanNames: an axis takes its column's human header, less the
// unit it names itself, and a unit ladder that reads as people write:
// "Energy cost per million tokens (USD)", not "... (milli-USD)".
func TestAxisHumanNames(t *testing.T) {
	for _, tc := range []struct {
		column string
		values []float64
		hint   report.Column
		label  string
	}{
		{"avg_power_w", []float64{5500, 13000}, report.Column{Header: "Avg IT power (kW)", Unit: report.Watts}, "Avg IT power (kW)"},
		{"energy_j", []float64{0.5, 34}, report.Column{Header: "Energy, IT (J)", Unit: report.Joules}, "Energy, IT (J)"},
		{"size_bytes", []float64{1 << 20, 1 << 30}, report.Column{Header: "Size (B)", Unit: report.BytesBinary}, "Size (GiB)"},
		{"energy_cost_per_mtok_usd", []float64{0.0038, 0.0094}, report.Column{Header: "Energy cost per million tokens (USD)"}, "Energy cost per million tokens (USD)"},
		{"tokens_per_s_per_accel", []float64{1200, 5000}, report.Column{Header: "Tokens/s per accelerator"}, "Tokens/s per accelerator (thousands)"},
		{"tokens_per_j", []float64{2.8, 6.7}, report.Column{Header: "Tokens per J (IT)"}, "Tokens per J (IT)"},
		{"workloads[0]_inference_tp", []float64{1, 8}, report.Column{Header: "TP"}, "TP"},
		{"power_price_per_kwh", []float64{0.05, 0.1}, report.Column{Header: "Electricity price (USD/kWh)"}, "Electricity price (USD/kWh)"},
	} {
		h := tc.hint
		if a := AxisFor(tc.column, tc.values, false, &h); a.Label != tc.label {
			t.Errorf("AxisFor(%s) = %q, want %q", tc.column, a.Label, tc.label)
		}
	}
	// USD from 1e-4 up, at scale 1: 0.0094 USD reads 0.0094, not 94.
	if a := AxisFor("energy_cost_per_mtok_usd", []float64{0.0038, 0.0094}, false, nil); a.Scale != 1 || a.Symbol != "USD" {
		t.Errorf("cost axis %+v: want USD at scale 1", a)
	}
	if a := AxisFor("energy_cost_per_mtok_usd", []float64{0.0038, 0.0094}, false, nil); strings.Contains(a.Label, "milli") {
		t.Errorf("a cost per million tokens in %q", a.Label)
	}
	if _, k := Parse("tokens_per_j"); k != Plain {
		t.Errorf("tokens_per_j is %v, not a count per joule", k)
	}
}

// TestBars draws a comparison of systems as bars, a bar per series at
// each category side by side, with each value on hover; numbers on a
// bar chart's X are categories too, and the same data gives the same
// bytes.
func TestBars(t *testing.T) {
	d := &Data{Columns: []string{"topology", "op", "busbw_bytes_per_s"}, Rows: [][]any{
		{"cm384", "allreduce", 1.5e11}, {"gb200-nvl72", "allreduce", 4e11}, {"hgx-h20", "allreduce", 3.5e11},
		{"cm384", "alltoall", 1e11}, {"gb200-nvl72", "alltoall", 3e11},
	}}
	s := Spec{X: "topology", Y: "busbw_bytes_per_s", Series: []string{"op"}, Bars: true}
	a, err := Render(d, s, SVG)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Render(d, s, SVG)
	if !bytes.Equal(a, b) {
		t.Error("two renders differ")
	}
	svg := string(a)
	for _, want := range []string{">cm384<", ">hgx-h20<", ">allreduce<", ">alltoall<",
		"<title>allreduce&#xA;Topology: gb200-nvl72&#xA;busbw (GB/s): 400</title>", "<rect "} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, "<title>"); n != 5 {
		t.Errorf("%d values on hover, want one per bar (5)", n)
	}
	// A bar is a filled polygon: four corners, no line through the systems.
	if strings.Contains(svg, "stroke-width:1.5") {
		t.Error("bars joined by a line")
	}
	// Two values of one series at one category cannot be one bar: points.
	d.Rows = append(d.Rows, []any{"cm384", "allreduce", 1.6e11})
	pts, err := Render(d, s, SVG)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(pts), "<rect ") {
		t.Error("repeated values drawn as bars")
	}
	// Numbers as categories, sizes in binary units.
	n := &Data{Columns: []string{"size_bytes", "time_s"}, Rows: [][]any{{1 << 20, 1e-3}, {1 << 30, 0.5}}}
	img, err := Render(n, Spec{X: "size_bytes", Y: "time_s", Bars: true}, SVG)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">1 MiB<", ">1 GiB<"} {
		if !strings.Contains(string(img), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestHoverValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{400, "400"}, {1240198, "1240198"}, {0.004, "0.004"}, {0.0094, "0.0094"}, {12.345, "12.35"}, {34.9, "34.9"}, {0, "0"}, {3e13, "3e+13"}} {
		if got := hoverValue(tc.v); got != tc.want {
			t.Errorf("hoverValue(%g) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
