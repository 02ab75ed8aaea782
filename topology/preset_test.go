package topology

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

// TestPresetsBuild builds every preset alone and as a 2-domain cluster.
func TestPresetsBuild(t *testing.T) {
	for _, name := range PresetNames() {
		t.Run(name, func(t *testing.T) {
			for _, d := range []int{0, 2} {
				top, err := Load(name, d)
				if err != nil {
					t.Fatalf("domains %d: %v", d, err)
				}
				s := Summarize(top)
				if s.Accelerators == 0 || s.PeakFLOPS[BF16] == 0 || s.HBMBytes == 0 || s.ScaleUpBytesPerSPerAccel == 0 {
					t.Errorf("domains %d: empty aggregate in %+v", d, s)
				}
			}
		})
	}
}

// TestPresetSources checks that every figure in every preset names its
// source, and that the source says what kind of source it is.
func TestPresetSources(t *testing.T) {
	kinds := []string{"vendor", "paper", "analyst", "derived", "assumption"}
	for _, name := range PresetNames() {
		f, root, err := PresetFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != name {
			t.Errorf("%s: name field is %q; it must match the file name", name, f.Name)
		}
		figs := Figures(root)
		if len(figs) < 20 {
			t.Errorf("%s: only %d figures", name, len(figs))
		}
		for _, fig := range figs {
			kind, _, _ := strings.Cut(fig.Source, ":")
			ok := false
			for _, k := range kinds {
				ok = ok || kind == k
			}
			if !ok {
				t.Errorf("presets/%s.yaml:%d: %s = %s has source %q; start it with one of %v and a colon",
					name, fig.Line, fig.Path, fig.Value, fig.Source, kinds)
			}
		}
	}
}

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }

// TestSemiAnalysisTable checks the two headline systems against the
// SemiAnalysis comparison (hardware.md §1.6): compute, memory and counts.
func TestSemiAnalysisTable(t *testing.T) {
	tests := []struct {
		name                            string
		bf16, hbm, hbmBW                float64
		accels, cpus, switches, modules int
		tiers                           map[string]int
		scaleUp                         float64
	}{
		{"cm384", 300e15, 49.2e12, 1229e12, 384, 192, 448, 6912, map[string]int{"l1": 336, "l2": 112}, 392e9},
		{"gb200-nvl72", 180e15, 13.8e12, 576e12, 72, 36, 18, -1, map[string]int{"switch": 18}, 900e9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top, err := Load(tc.name, 0)
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(top)
			if !within(s.PeakFLOPS[BF16], tc.bf16, 0.05) {
				t.Errorf("BF16 %.1f PFLOP/s, want %.0f within 5%%", s.PeakFLOPS[BF16]/1e15, tc.bf16/1e15)
			}
			if !within(s.HBMBytes, tc.hbm, 0.05) {
				t.Errorf("HBM %.1f TB, want %.1f within 5%%", s.HBMBytes/1e12, tc.hbm/1e12)
			}
			if !within(s.HBMBytesPerS, tc.hbmBW, 0.05) {
				t.Errorf("HBM bandwidth %.0f TB/s, want %.0f within 5%%", s.HBMBytesPerS/1e12, tc.hbmBW/1e12)
			}
			if s.Accelerators != tc.accels || s.CPUs != tc.cpus || s.SwitchChips != tc.switches {
				t.Errorf("accelerators/cpus/switches = %d/%d/%d, want %d/%d/%d", s.Accelerators, s.CPUs, s.SwitchChips, tc.accels, tc.cpus, tc.switches)
			}
			if tc.modules >= 0 && s.OpticalModules != tc.modules {
				t.Errorf("optical modules = %d, want %d", s.OpticalModules, tc.modules)
			}
			for _, tier := range s.SwitchTiers {
				if want := tc.tiers[tier.Tier]; tier.Count != want {
					t.Errorf("tier %s: %d chips, want %d", tier.Tier, tier.Count, want)
				}
			}
			if s.ScaleUpBytesPerSPerAccel != tc.scaleUp {
				t.Errorf("scale-up %g B/s per accelerator, want %g", s.ScaleUpBytesPerSPerAccel, tc.scaleUp)
			}
		})
	}
}

func TestUnknownPreset(t *testing.T) {
	_, err := Load("gb200", 0)
	if err == nil || !strings.Contains(err.Error(), `did you mean "gb200-nvl72"`) {
		t.Fatalf("err = %v", err)
	}
	_, err = Load("cm348", 0)
	if err == nil || !strings.Contains(err.Error(), `did you mean "cm384"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestFileErrors checks the messages users meet when a topology file is wrong.
func TestFileErrors(t *testing.T) {
	base, err := PresetSource("gb200-nvl72")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"typo", "  hbm_bandwidth: 8 TB/s", "  hbm_bandwith: 8 TB/s", "gb.yaml:23:3: field `accelerator`: unknown field `hbm_bandwith`, did you mean `hbm_bandwidth`?"},
		{"bad unit", "hbm: 192 GB ", "hbm: 192 GQ ", "field `accelerator.hbm`"},
		{"no direction", "bandwidth: 50 GB/s/dir ", "bandwidth: 50 GB/s     ", "bidir"},
		{"bad kind", "kind: switched", "kind: switchd", `unknown fabric kind "switchd"`},
		{"unknown switch", "switch: nvlink5", "switch: nvlink4", `no switch named "nvlink4"`},
		{"pue below 1", "liquid: 1.15", "liquid: 0.9 ", "below 1"},
		{"zero power", "max_power: 1200 W", "max_power: 0 W   ", "more than 0 W"},
		{"duplicate key", "  dies: 1 ", "  dies: 1\n  dies: 2", "duplicate key"},
		{"wrong type", "  dies: 1 ", "  dies: [1]", "want a single value"},
		{"unknown library", "  dies: 1 ", "  dies: 1\n  collectives: mpi", `unknown collective library "mpi"; use one of nccl, hccl`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(string(base), tc.old, tc.new, 1)
			if src == string(base) {
				t.Fatalf("test edit %q not found in preset", tc.old)
			}
			f, _, err := ParseFile("gb.yaml", []byte(src))
			if err == nil {
				_, err = f.Spec("gb.yaml", 0)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			var se *strictyaml.Error
			if !errors.As(err, &se) || se.File != "gb.yaml" {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
}

// FuzzParseFile feeds arbitrary bytes to the topology file loader: it
// must never panic, and every error must name the file.
func FuzzParseFile(f *testing.F) {
	for _, n := range []string{"cm384", "gb200-nvl72"} {
		data, _ := PresetSource(n)
		f.Add(data)
	}
	f.Add([]byte("name: x\nfabric: {kind: torus, dims: 0x0}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("accelerator: {dies: 99999999999999999999}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, _, err := ParseFile("f.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "f.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		spec, err := file.Spec("f.yaml", 0)
		if err != nil {
			return
		}
		// Keep fuzzed builds small.
		d := spec.Domain
		if d.Servers*d.AccelsPerServer > 4096 || spec.Domains > 4 {
			return
		}
		if top, err := Build(spec); err == nil {
			Summarize(top)
		}
	})
}

func TestLoadWithOverrides(t *testing.T) {
	base, err := Load("gb200-nvl72", 0)
	if err != nil {
		t.Fatal(err)
	}
	top, err := LoadWith("gb200-nvl72", 0, []Override{
		{Path: "accelerator.hbm_bandwidth", Value: "16 TB/s"},
		{Path: "fabric.link.bandwidth", Value: "100 GB/s/dir"},
		{Path: "switches[nvlink5].power", Value: "300 W"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := Summarize(base), Summarize(top)
	if s1.HBMBytesPerS != 2*s0.HBMBytesPerS || s1.ScaleUpBytesPerSPerAccel != 2*s0.ScaleUpBytesPerSPerAccel {
		t.Errorf("overrides not applied: %+v", s1)
	}
	if top.Switches[0].Spec.PowerW != 300 {
		t.Errorf("switch power %g", top.Switches[0].Spec.PowerW)
	}
	for _, tc := range []struct {
		o    Override
		want string
	}{
		{Override{Path: "accelerator.hbm_bandwith", Value: "1 TB/s"}, "did you mean `hbm_bandwidth`"},
		{Override{Path: "accelerator.hbm_bandwidth", Value: "fast"}, "accelerator.hbm_bandwidth"},
		{Override{Path: "switches[nvlink9].power", Value: "1 W"}, `no item named "nvlink9"`},
	} {
		_, err := LoadWith("gb200-nvl72", 0, []Override{tc.o})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.o, err, tc.want)
		}
	}
}
