package kernels

import (
	"hash/fnv"
	"strconv"
)

// shapeHash is FNV-1a (64-bit) over the decimal shape key, e.g. "128x7168x2048"
// for a GEMM. It is the one hash behind both the sample and the fit/check
// split, so both are reproducible from the shape alone.
func shapeHash(salt, key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(salt))
	h.Write([]byte(key))
	return h.Sum64()
}

// Held reports whether a shape belongs to the held-out (check) part: the
// FNV-1a hash of its key modulo 10 is 7, 8 or 9, about 30% of shapes. The
// other 70% are the fit part. The split depends on the shape alone, so a
// shape is held out on every system, engine and dtype at once.
func Held(key string) bool { return shapeHash("split:", key)%10 >= 7 }

// Sampled reports whether a shape is in the embedded sample at a rate of
// perMille/1000, by a hash independent of the split (another salt).
func Sampled(key string, perMille uint64) bool {
	return shapeHash("sample:", key)%1000 < perMille
}

// AttentionKey is an attention shape's key for the sample and the split,
// "BxSxHxKVHxD" (batch, sequence, heads, KV heads, head size).
func AttentionKey(b, s, h, kvh, d int) string {
	return strconv.Itoa(b) + "x" + strconv.Itoa(s) + "x" + strconv.Itoa(h) + "x" + strconv.Itoa(kvh) + "x" + strconv.Itoa(d)
}

// AttentionSamplePerMille is the rate at which attention shapes enter the
// embedded sample (see internal/mksample).
const AttentionSamplePerMille = 20

// MoEKey is a fused-MoE shape's key for the sample and the split,
// "TxHxIxKxExTPxEP" (tokens, hidden, intermediate size, top-k, experts,
// MoE TP and EP sizes).
func MoEKey(tokens, hidden, inter, topk, experts, tp, ep int) string {
	k := strconv.Itoa(tokens)
	for _, x := range []int{hidden, inter, topk, experts, tp, ep} {
		k += "x" + strconv.Itoa(x)
	}
	return k
}

// MoESampleRows is about how many rows the embedded sample draws from each
// fused-MoE table, at a per-table rate (see internal/mksample).
const MoESampleRows = 1500

// MLAKey is an MLA shape's key for the sample and the split, "BxSxHxTP"
// (batch, sequence, heads per rank, TP size).
func MLAKey(b, s, h, tp int) string {
	return strconv.Itoa(b) + "x" + strconv.Itoa(s) + "x" + strconv.Itoa(h) + "x" + strconv.Itoa(tp)
}

// MLASamplePerMille is the rate at which MLA shapes enter the embedded
// sample; the MLA tables are small (1,700-2,900 rows), so it is high.
const MLASamplePerMille = 300
