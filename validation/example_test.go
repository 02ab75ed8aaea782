package validation_test

import (
	"fmt"

	"github.com/cardsea/cardsea/validation"
)

// Compare a simulated figure with a published one within the case's
// tolerance at that message size.
func Example() {
	set, err := validation.Load()
	if err != nil {
		panic(err)
	}
	c := set.CollectiveByID("C01")
	for _, p := range c.Points[:1] {
		fmt.Printf("%s %s %d ranks, %s: %g GB/s busbw, tolerance %.2f\n",
			c.ID, c.Op, c.Ranks, p.Key, p.Value(), c.Tolerance.For(p.SizeBytes))
	}
	last := c.Points[len(c.Points)-1]
	fmt.Printf("%s: %g GB/s busbw, tolerance %.2f\n", last.Key, last.Value(), c.Tolerance.For(last.SizeBytes))

	dispatch, combine, _ := set.CollectiveByID("C22").Points.ByKey("EP64_BS128").Pair()
	fmt.Printf("C22 EP64, 128 tokens: dispatch %g us, combine %g us\n", dispatch, combine)
	// Output:
	// C01 allreduce 8 ranks, 1KiB: 0.07 GB/s busbw, tolerance 0.35
	// 8GiB: 478.87 GB/s busbw, tolerance 0.10
	// C22 EP64, 128 tokens: dispatch 41.6 us, combine 44.5 us
}
