package kernels

import "hash/fnv"

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
