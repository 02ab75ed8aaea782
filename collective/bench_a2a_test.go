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
