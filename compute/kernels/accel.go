package kernels

import "strings"

// Accel is the datasheet of one measured system's GPU: the roofline the
// fitted efficiencies are fractions of.
type Accel struct {
	System string // AIConfigurator's folder name, e.g. "h100_sxm"
	Name   string
	SMs    int     // streaming multiprocessors, the unit of wave quantisation
	HBM    float64 // HBM bandwidth, B/s
	// Dense tensor-core peak, FLOP/s, by dtype name ("bf16", "fp8",
	// "fp8_block", "nvfp4"); a dtype the chip lacks is absent.
	Peak   map[string]float64
	Source string
}

// Accels are the four systems AIConfigurator measured. Peaks are dense
// (NVIDIA pages quote sparse; dense = sparse / 2). Every figure is the one in
// the project's hardware reference (../shared/reference/hardware.md, rows
// [NV1], [NV3], [NV5], [NV6]); SM counts are NVIDIA's H100 architecture
// whitepaper (H100 SXM5: 132 SMs) and Chips and Cheese, "Nvidia's B200:
// Keeping the CUDA Juggernaut Rolling" (2 dies x 74 SMs = 148); the GB200
// GPU is taken to be the same 148-SM B200 part.
var Accels = []Accel{
	{
		System: "h100_sxm", Name: "NVIDIA H100 SXM 80GB", SMs: 132, HBM: 3.35e12,
		Peak:   map[string]float64{"bf16": 989e12, "fp8": 1979e12, "fp8_block": 1979e12},
		Source: "NVIDIA H100 product page [NV5]: BF16 989 TFLOP/s dense, FP8 1,979, HBM3 3.35 TB/s",
	},
	{
		System: "h200_sxm", Name: "NVIDIA H200 SXM 141GB", SMs: 132, HBM: 4.8e12,
		Peak:   map[string]float64{"bf16": 989e12, "fp8": 1979e12, "fp8_block": 1979e12},
		Source: "NVIDIA H200 datasheet Nov 2024 [NV6]: BF16 989 TFLOP/s dense, FP8 1,979, HBM3e 4.8 TB/s",
	},
	{
		System: "b200_sxm", Name: "NVIDIA B200 (HGX) 180GB", SMs: 148, HBM: 8e12,
		Peak:   map[string]float64{"bf16": 2250e12, "fp8": 4500e12, "fp8_block": 4500e12, "nvfp4": 9000e12},
		Source: "NVIDIA HGX page [NV3]: B200 BF16 2.25 PFLOP/s dense, FP8 4.5, FP4 9, HBM3e 8 TB/s",
	},
	{
		System: "gb200", Name: "NVIDIA GB200 (one B200 GPU)", SMs: 148, HBM: 8e12,
		Peak:   map[string]float64{"bf16": 2500e12, "fp8": 5000e12, "fp8_block": 5000e12, "nvfp4": 10000e12},
		Source: "NVIDIA GB200 NVL72 page [NV1]: per GPU 360/72/2 = 2.5 PFLOP/s BF16 dense, FP8 5, FP4 10, 576/72 = 8 TB/s",
	},
}

// AccelOf returns the datasheet of a system by its AIConfigurator name.
func AccelOf(system string) (Accel, bool) {
	for _, a := range Accels {
		if a.System == system {
			return a, true
		}
	}
	return Accel{}, false
}

// elemBytes is the bytes one operand element occupies in HBM, block scales
// included: nvfp4 is 4 bits plus one fp8 scale per 16 elements; fp8_block
// carries one fp32 scale per 128 activations (and per 128x128 weights, which
// is negligible). Outputs are bf16 for every dtype in the tables.
func elemBytes(dtype string) float64 {
	switch dtype {
	case "bf16":
		return 2
	case "fp8":
		return 1
	case "fp8_block":
		return 1 + 4.0/128
	case "nvfp4":
		return 0.5 + 1.0/16
	}
	return 2
}

// AcceleratorSystem returns the measured system (AIConfigurator's name)
// whose tables time the accelerator a topology calls name: the presets'
// "H100 SXM" (hgx-h100), "H200 SXM" (hgx-h200), "B200 (HGX)" (hgx-b200)
// and "B200 (GB200)" (gb200-nvl72, nvl36x2); AIConfigurator's system names
// and the Accels' names also work. The second result is false for an
// accelerator no table measured, however close its silicon (H800 and H20
// are Hopper dies with other clocks, bandwidth or SMs; B300 is not the B200
// part; Ascend, AMD, TPU and Trainium have no tables at all).
func AcceleratorSystem(name string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "h100 sxm", "h100 sxm 80gb", "h100_sxm", "h100":
		return "h100_sxm", true
	case "h200 sxm", "h200 sxm 141gb", "h200_sxm", "h200":
		return "h200_sxm", true
	case "b200 (hgx)", "b200 sxm", "b200_sxm", "b200":
		return "b200_sxm", true
	case "b200 (gb200)", "gb200":
		return "gb200", true
	}
	for _, a := range Accels {
		if strings.EqualFold(name, a.Name) {
			return a.System, true
		}
	}
	return "", false
}
