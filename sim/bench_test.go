package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// delayTable returns n pseudo-random delays in [1ps, 1us], drawn from a
// fixed-seed PCG so that every run benchmarks the same workload.
func delayTable(n int) []Time {
	r := rand.New(rand.NewPCG(1, 2))
	d := make([]Time, n)
	for i := range d {
		d[i] = Time(1 + r.Int64N(int64(Microsecond)))
	}
	return d
}

func noop(Time) {}

var benchSizes = []int{16, 1_000, 100_000}

// BenchmarkSchedulePop measures the hold model: with size events pending,
// each iteration schedules one event at Now plus a pseudo-random delay and
// fires the earliest one.
func BenchmarkSchedulePop(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("pending=%d", size), func(b *testing.B) {
			delays := delayTable(1 << 16)
			mask := len(delays) - 1
			s := New()
			for i := range size {
				s.After(delays[i&mask], noop)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				s.After(delays[i&mask], noop)
				s.Step()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if s.Pending() != size {
				b.Fatalf("Pending = %d, want %d", s.Pending(), size)
			}
		})
	}
}

// BenchmarkCancel measures cancellation: with size events pending, each
// iteration cancels a pseudo-randomly chosen pending event and schedules a
// replacement.
func BenchmarkCancel(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("pending=%d", size), func(b *testing.B) {
			delays := delayTable(1 << 16)
			mask := len(delays) - 1
			r := rand.New(rand.NewPCG(3, 4))
			picks := make([]int, 1<<16)
			for i := range picks {
				picks[i] = r.IntN(size)
			}
			s := New()
			ids := make([]EventID, size)
			for i := range ids {
				ids[i] = s.After(delays[i&mask]*Time(1+i%64), noop)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				k := picks[i&mask]
				if !s.Cancel(ids[k]) {
					b.Fatal("Cancel of a pending event returned false")
				}
				ids[k] = s.After(delays[i&mask]*Time(1+i%64), noop)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cancels/s")
		})
	}
}
