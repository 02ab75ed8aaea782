package collective

import "testing"

// 1,024 ranks, 128 x HGX H100 on leaf/spine, alltoall of 1 GiB with the
// algorithm Auto picks: its pairs run as merged flows, one per class of
// interchangeable transfers (merged.go).
func BenchmarkScaleAllToAllH100x128_1GiB(b *testing.B) {
	benchScale(b, "hgx-h100", 128, AllToAll, 1<<30)
}

// The same run with merging off: every pair a flow, the twin the merged
// run is measured against (benchstat the two).
func BenchmarkAllToAllWholeH100x128_1GiB(b *testing.B) {
	merging = false
	defer func() { merging = true }()
	benchScale(b, "hgx-h100", 128, AllToAll, 1<<30)
}

// 8,192 NPUs, Atlas 950 SuperPoD, alltoall of 1 GiB with the algorithm
// Auto picks: direct in orbit form (orbit.go), 8,191 merged flows.
func BenchmarkScaleAllToAllAtlas950_1GiB(b *testing.B) {
	benchScale(b, "atlas-950", 1, AllToAll, 1<<30)
}

// 16,384 GPUs, 2,048 x HGX H100 on a three-tier fat tree, alltoall of
// 1 GiB: direct in orbit form, sends across domains forwarded to the
// destination's rail (PXN, pxn.go).
func BenchmarkScaleAllToAllH100x2048_1GiB(b *testing.B) {
	benchScale(b, "hgx-h100", 2048, AllToAll, 1<<30)
}
