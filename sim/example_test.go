package sim_test

import (
	"fmt"

	"github.com/cardsea/cardsea/sim"
)

// A packet is serialized onto a 400 Gb/s link and arrives after a 100 ns
// propagation delay; a timeout that would fire first is cancelled on
// arrival.
func Example() {
	s := sim.New()

	const bytes = 4096
	serialize := sim.FromSeconds(bytes * 8 / 400e9)
	fmt.Println("serialization:", serialize)

	timeout := s.After(2*sim.Microsecond, func(now sim.Time) {
		fmt.Println(now, "timeout")
	})
	s.After(serialize, func(now sim.Time) {
		fmt.Println(now, "last bit on the wire")
		s.After(100*sim.Nanosecond, func(now sim.Time) {
			fmt.Println(now, "delivered; cancelled timeout:", s.Cancel(timeout))
		})
	})
	s.Schedule(0, func(now sim.Time) { fmt.Println(now, "start") })

	s.Run()
	fmt.Println("fired", s.Fired(), "events; now", s.Now())
	// Output:
	// serialization: 81.92ns
	// 0s start
	// 81.92ns last bit on the wire
	// 181.92ns delivered; cancelled timeout: true
	// fired 3 events; now 181.92ns
}

func ExampleSimulator_RunUntil() {
	s := sim.New()
	for i := 1; i <= 5; i++ {
		s.Schedule(sim.Time(i)*sim.Millisecond, func(now sim.Time) { fmt.Println("tick", now) })
	}
	s.RunUntil(3 * sim.Millisecond)
	fmt.Println("now", s.Now(), "pending", s.Pending())
	s.RunUntil(10 * sim.Millisecond)
	fmt.Println("now", s.Now(), "pending", s.Pending())
	// Output:
	// tick 1ms
	// tick 2ms
	// tick 3ms
	// now 3ms pending 2
	// tick 4ms
	// tick 5ms
	// now 10ms pending 0
}

func ExampleTime_String() {
	fmt.Println(sim.Time(0), 750*sim.Picosecond, 1500*sim.Nanosecond, 20*sim.Millisecond)
	// Output: 0s 750ps 1.5us 20ms
}
