package kernels

import "testing"

// TestAcceleratorSystem: the presets' accelerators with tables find them,
// and near relatives without tables do not borrow them.
func TestAcceleratorSystem(t *testing.T) {
	for name, want := range map[string]string{
		"H100 SXM": "h100_sxm", "H200 SXM": "h200_sxm", "B200 (HGX)": "b200_sxm", "B200 (GB200)": "gb200",
		"h200": "h200_sxm", "NVIDIA H100 SXM 80GB": "h100_sxm", "gb200": "gb200",
		"H800 SXM": "", "H20": "", "B300 (GB300)": "", "Ascend 910C": "", "MI355X": "", "TPU v5p": "", "Trainium2": "",
	} {
		got, ok := AcceleratorSystem(name)
		if got != want || ok != (want != "") {
			t.Errorf("AcceleratorSystem(%q) = %q, %v; want %q", name, got, ok, want)
		}
		if ok {
			if _, found := Lookup(got, "bf16"); !found {
				t.Errorf("%s: no bf16 GEMM fit", got)
			}
		}
	}
}
