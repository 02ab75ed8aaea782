package sim

import (
	"slices"
	"testing"
)

// refEvent is an event in the reference model. An event with child >= 0
// schedules a child event child picoseconds after it fires; the child's
// label is -1-label.
type refEvent struct {
	at    Time
	seq   uint64
	label int
	child int
}

// refModel is a deliberately simple reference: a slice kept sorted by
// (at, seq), popped from the front.
type refModel struct {
	now    Time
	seq    uint64
	fired  uint64
	events []refEvent
}

func (m *refModel) add(at Time, label, child int) {
	m.seq++
	e := refEvent{at, m.seq, label, child}
	i, _ := slices.BinarySearchFunc(m.events, e, func(a, b refEvent) int {
		if a.at != b.at {
			if a.at < b.at {
				return -1
			}
			return 1
		}
		if a.seq < b.seq {
			return -1
		}
		return 1
	})
	m.events = slices.Insert(m.events, i, e)
}

// pop fires the earliest event and returns its label.
func (m *refModel) pop() int {
	e := m.events[0]
	m.events = m.events[1:]
	m.now = e.at
	m.fired++
	if e.child >= 0 {
		m.add(e.at+Time(e.child), -1-e.label, -1)
	}
	return e.label
}

func (m *refModel) cancel(label int) bool {
	for i, e := range m.events {
		if e.label == label {
			m.events = slices.Delete(m.events, i, i+1)
			return true
		}
	}
	return false
}

// FuzzKernel decodes the input into a sequence of Schedule, Cancel, Step and
// RunUntil operations (some actions schedule a follow-up event when they
// fire) and checks the kernel against refModel after every operation.
func FuzzKernel(f *testing.F) {
	f.Add([]byte{0, 5, 0, 3, 0, 5, 3, 3, 3, 3})
	f.Add([]byte{0, 1, 0, 1, 0, 1, 2, 1, 3, 2, 1, 3, 3})
	f.Add([]byte{1, 4, 2, 1, 7, 0, 9, 4, 3, 3, 2, 0, 2, 0, 4, 200, 3})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		2, 3, 2, 5, 2, 7, 2, 11, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	f.Add([]byte{1, 255, 1, 45, 3, 0, 1, 17, 4, 2, 3, 2, 7, 4, 0, 3, 0, 4, 64, 2, 4})

	f.Fuzz(func(t *testing.T, data []byte) {
		s := New()
		m := &refModel{}
		var fired []int // labels fired by the kernel since the last check
		var ids []EventID
		var labels []int

		schedule := func(at Time, child int) {
			label := len(ids)
			act := func(now Time) {
				fired = append(fired, label)
				if now != s.Now() {
					t.Fatalf("action got now=%d, Now()=%d", now, s.Now())
				}
				if child >= 0 {
					cl := -1 - label
					id := s.Schedule(now+Time(child), func(Time) { fired = append(fired, cl) })
					ids = append(ids, id)
					labels = append(labels, cl)
				}
			}
			ids = append(ids, s.Schedule(at, act))
			labels = append(labels, label)
			m.add(at, label, child)
		}

		check := func(op string, want []int) {
			t.Helper()
			if !slices.Equal(fired, want) {
				t.Fatalf("%s: kernel fired %v, model %v", op, fired, want)
			}
			fired = fired[:0]
			if s.Now() != m.now {
				t.Fatalf("%s: Now=%d, model %d", op, s.Now(), m.now)
			}
			if s.Pending() != len(m.events) {
				t.Fatalf("%s: Pending=%d, model %d", op, s.Pending(), len(m.events))
			}
			if s.Fired() != m.fired {
				t.Fatalf("%s: Fired=%d, model %d", op, s.Fired(), m.fired)
			}
		}

		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		for len(data) > 0 {
			switch next() % 5 {
			case 0: // schedule; small delays make same-time ties common
				schedule(s.Now()+Time(next()%20), -1)
				check("Schedule", nil)
			case 1: // schedule an event that schedules a child when it fires
				d := next()
				schedule(s.Now()+Time(d%20), d/20%4)
				check("Schedule with child", nil)
			case 2: // cancel any id ever issued: pending, fired or cancelled
				if len(ids) == 0 {
					continue
				}
				k := next() % len(ids)
				want := m.cancel(labels[k])
				if got := s.Cancel(ids[k]); got != want {
					t.Fatalf("Cancel(label %d) = %v, model %v", labels[k], got, want)
				}
				check("Cancel", nil)
			case 3: // step
				var want []int
				if len(m.events) > 0 {
					want = append(want, m.pop())
				}
				if got := s.Step(); got != (want != nil) {
					t.Fatalf("Step = %v, model %v", got, want != nil)
				}
				check("Step", want)
			case 4: // run until
				until := s.Now() + Time(next()%32)
				var want []int
				for len(m.events) > 0 && m.events[0].at <= until {
					want = append(want, m.pop())
				}
				m.now = max(m.now, until)
				s.RunUntil(until)
				check("RunUntil", want)
			}
		}
		var want []int
		for len(m.events) > 0 {
			want = append(want, m.pop())
		}
		s.Run()
		check("Run", want)
	})
}
