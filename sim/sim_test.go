package sim

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// recorder collects (label, time) pairs as actions fire.
type recorder struct {
	got []string
}

func (r *recorder) action(label string) Action {
	return func(now Time) { r.got = append(r.got, label+"@"+now.String()) }
}

func TestOrdering(t *testing.T) {
	type ev struct {
		at    Time
		label string
	}
	tests := []struct {
		name   string
		events []ev
		want   []string
	}{
		{"empty", nil, nil},
		{"single", []ev{{5, "a"}}, []string{"a@5ps"}},
		{"by time", []ev{{30, "c"}, {10, "a"}, {20, "b"}},
			[]string{"a@10ps", "b@20ps", "c@30ps"}},
		{"same time FIFO", []ev{{7, "a"}, {7, "b"}, {7, "c"}, {7, "d"}},
			[]string{"a@7ps", "b@7ps", "c@7ps", "d@7ps"}},
		{"mixed", []ev{{2, "x1"}, {1, "y1"}, {2, "x2"}, {0, "z"}, {1, "y2"}, {2, "x3"}},
			[]string{"z@0s", "y1@1ps", "y2@1ps", "x1@2ps", "x2@2ps", "x3@2ps"}},
		{"max time", []ev{{MaxTime, "late"}, {0, "early"}},
			[]string{"early@0s", "late@9223372.036854775807s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			var r recorder
			for _, e := range tt.events {
				s.Schedule(e.at, r.action(e.label))
			}
			if s.Pending() != len(tt.events) {
				t.Fatalf("Pending = %d, want %d", s.Pending(), len(tt.events))
			}
			s.Run()
			if !reflect.DeepEqual(r.got, tt.want) {
				t.Errorf("fired %v, want %v", r.got, tt.want)
			}
			if s.Pending() != 0 || s.Fired() != uint64(len(tt.events)) {
				t.Errorf("Pending = %d, Fired = %d", s.Pending(), s.Fired())
			}
		})
	}
}

func TestSameTimeFIFOLarge(t *testing.T) {
	// Many events at a handful of times, interleaved, with the heap deep
	// enough to exercise every sift path.
	s := New()
	const n = 5000
	var got []int
	for i := range n {
		s.Schedule(Time(i%3), func(Time) { got = append(got, i) })
	}
	s.Run()
	var want []int
	for r := range 3 {
		for i := r; i < n; i += 3 {
			want = append(want, i)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("same-time events did not fire in insertion order")
	}
}

func TestZeroValueSimulator(t *testing.T) {
	var s Simulator
	fired := false
	s.After(3, func(Time) { fired = true })
	s.Run()
	if !fired || s.Now() != 3 {
		t.Fatalf("fired=%v Now=%v", fired, s.Now())
	}
}

func TestNowDuringAction(t *testing.T) {
	s := New()
	for _, at := range []Time{5, 1, 3} {
		s.Schedule(at, func(now Time) {
			if now != at || s.Now() != at {
				t.Errorf("action for %d saw now=%d Now()=%d", at, now, s.Now())
			}
		})
	}
	s.Run()
	if s.Now() != 5 {
		t.Errorf("Now after Run = %v, want 5ps", s.Now())
	}
}

func TestScheduleFromAction(t *testing.T) {
	s := New()
	var r recorder
	s.Schedule(10, func(now Time) {
		r.action("a")(now)
		s.After(0, r.action("a+0"))     // same time: after already-queued b
		s.After(5, r.action("a+5"))     // between b and c
		s.Schedule(now, r.action("a0")) // same time again, FIFO
	})
	s.Schedule(10, r.action("b"))
	s.Schedule(20, r.action("c"))
	s.Run()
	want := []string{"a@10ps", "b@10ps", "a+0@10ps", "a0@10ps", "a+5@15ps", "c@20ps"}
	if !reflect.DeepEqual(r.got, want) {
		t.Errorf("fired %v, want %v", r.got, want)
	}
}

func TestChain(t *testing.T) {
	s := New()
	count := 0
	var tick Action
	tick = func(Time) {
		count++
		if count < 1000 {
			s.After(Nanosecond, tick)
		}
	}
	s.After(0, tick)
	s.Run()
	if count != 1000 || s.Now() != 999*Nanosecond || s.Fired() != 1000 {
		t.Errorf("count=%d Now=%v Fired=%d", count, s.Now(), s.Fired())
	}
}

func TestCancel(t *testing.T) {
	s := New()
	var r recorder
	a := s.Schedule(1, r.action("a"))
	b := s.Schedule(2, r.action("b"))
	c := s.Schedule(3, r.action("c"))

	tests := []struct {
		name string
		id   EventID
		want bool
	}{
		{"pending", b, true},
		{"twice", b, false},
		{"zero id", EventID{}, false},
		{"bogus slot", EventID{id: 1, slot: 99}, false},
		{"negative slot", EventID{id: 1, slot: -1}, false},
	}
	for _, tt := range tests {
		if got := s.Cancel(tt.id); got != tt.want {
			t.Errorf("%s: Cancel = %v, want %v", tt.name, got, tt.want)
		}
	}
	if s.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", s.Pending())
	}
	if !s.Step() {
		t.Fatal("Step returned false")
	}
	if s.Cancel(a) {
		t.Error("Cancel of a fired event returned true")
	}
	s.Run()
	if s.Cancel(c) {
		t.Error("Cancel after Run returned true")
	}
	want := []string{"a@1ps", "c@3ps"}
	if !reflect.DeepEqual(r.got, want) {
		t.Errorf("fired %v, want %v", r.got, want)
	}
}

func TestCancelStaleIDAfterSlotReuse(t *testing.T) {
	s := New()
	old := s.Schedule(5, func(Time) { t.Error("cancelled event fired") })
	if !s.Cancel(old) {
		t.Fatal("Cancel of pending event returned false")
	}
	fired := false
	newer := s.Schedule(5, func(Time) { fired = true })
	if newer.slot != old.slot {
		t.Fatalf("test assumption: slot not reused (%d vs %d)", newer.slot, old.slot)
	}
	if s.Cancel(old) {
		t.Fatal("stale id cancelled the newer event in its slot")
	}
	s.Run()
	if !fired {
		t.Fatal("newer event did not fire")
	}
	// Also after the slot is freed by firing.
	stale := newer
	again := s.After(1, func(Time) {})
	if again.slot != stale.slot || s.Cancel(stale) {
		t.Fatal("stale id of a fired event cancelled a newer event")
	}
	if !s.Cancel(again) {
		t.Fatal("Cancel of pending event returned false")
	}
}

func TestCancelFromAction(t *testing.T) {
	s := New()
	var r recorder
	var self, victim EventID
	self = s.Schedule(1, func(now Time) {
		r.action("a")(now)
		if s.Cancel(self) {
			t.Error("an action cancelled its own, already fired, event")
		}
		if !s.Cancel(victim) {
			t.Error("Cancel of pending event from an action returned false")
		}
	})
	victim = s.Schedule(2, r.action("victim"))
	s.Schedule(3, r.action("c"))
	s.Run()
	want := []string{"a@1ps", "c@3ps"}
	if !reflect.DeepEqual(r.got, want) {
		t.Errorf("fired %v, want %v", r.got, want)
	}
}

// TestCancelMany cancels events from every heap position and checks that
// the rest fire in order.
func TestCancelMany(t *testing.T) {
	s := New()
	const n = 2000
	ids := make([]EventID, n)
	var got []int
	for i := range n {
		at := Time((i * 7919) % 1009)
		ids[i] = s.Schedule(at, func(Time) { got = append(got, i) })
	}
	for i := 0; i < n; i += 3 {
		if !s.Cancel(ids[i]) {
			t.Fatalf("Cancel(%d) = false", i)
		}
	}
	if want := n - (n+2)/3; s.Pending() != want {
		t.Fatalf("Pending = %d, want %d", s.Pending(), want)
	}
	s.Run()
	for k := 1; k < len(got); k++ {
		a, b := got[k-1], got[k]
		ta, tb := (a*7919)%1009, (b*7919)%1009
		if ta > tb || (ta == tb && a > b) {
			t.Fatalf("event %d (t=%d) fired before %d (t=%d)", a, ta, b, tb)
		}
	}
	for _, i := range got {
		if i%3 == 0 {
			t.Fatalf("cancelled event %d fired", i)
		}
	}
}

func TestStep(t *testing.T) {
	s := New()
	if s.Step() {
		t.Fatal("Step on empty simulator returned true")
	}
	var r recorder
	s.Schedule(4, r.action("a"))
	s.Schedule(2, r.action("b"))
	if !s.Step() || s.Now() != 2 || s.Pending() != 1 || s.Fired() != 1 {
		t.Fatalf("after first Step: Now=%v Pending=%d Fired=%d", s.Now(), s.Pending(), s.Fired())
	}
	if !s.Step() || s.Now() != 4 || s.Step() {
		t.Fatal("second/third Step wrong")
	}
}

func TestRunUntil(t *testing.T) {
	type step struct {
		until   Time
		want    []string
		now     Time
		pending int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"fires through t inclusive and advances", []step{
			{15, []string{"a@5ps", "b@10ps", "b2@10ps", "c@15ps"}, 15, 2},
			{17, []string{"a@5ps", "b@10ps", "b2@10ps", "c@15ps"}, 17, 2},
			{100, []string{"a@5ps", "b@10ps", "b2@10ps", "c@15ps", "d@20ps", "e@30ps"}, 100, 0},
		}},
		{"before first event only advances", []step{
			{3, nil, 3, 6},
		}},
		{"earlier than Now does nothing", []step{
			{12, []string{"a@5ps", "b@10ps", "b2@10ps"}, 12, 3},
			{8, []string{"a@5ps", "b@10ps", "b2@10ps"}, 12, 3},
		}},
		{"exactly at event time", []step{
			{10, []string{"a@5ps", "b@10ps", "b2@10ps"}, 10, 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			var r recorder
			s.Schedule(20, r.action("d"))
			s.Schedule(5, r.action("a"))
			s.Schedule(10, r.action("b"))
			s.Schedule(30, r.action("e"))
			s.Schedule(15, r.action("c"))
			s.Schedule(10, r.action("b2"))
			for _, st := range tt.steps {
				s.RunUntil(st.until)
				if !reflect.DeepEqual(r.got, st.want) {
					t.Errorf("RunUntil(%d): fired %v, want %v", st.until, r.got, st.want)
				}
				if s.Now() != st.now || s.Pending() != st.pending {
					t.Errorf("RunUntil(%d): Now=%d Pending=%d, want %d, %d",
						st.until, s.Now(), s.Pending(), st.now, st.pending)
				}
			}
		})
	}
}

func TestRunUntilFiresEventsScheduledByActions(t *testing.T) {
	s := New()
	var r recorder
	s.Schedule(1, func(now Time) {
		s.After(2, r.action("child")) // at 3, within the window
		s.After(9, r.action("late"))  // at 10, after it
	})
	s.RunUntil(5)
	if want := []string{"child@3ps"}; !reflect.DeepEqual(r.got, want) {
		t.Errorf("fired %v, want %v", r.got, want)
	}
	if s.Now() != 5 || s.Pending() != 1 {
		t.Errorf("Now=%v Pending=%d", s.Now(), s.Pending())
	}
	// Scheduling relative to the advanced clock.
	s.After(1, r.action("after"))
	s.Run()
	if want := []string{"child@3ps", "after@6ps", "late@10ps"}; !reflect.DeepEqual(r.got, want) {
		t.Errorf("fired %v, want %v", r.got, want)
	}
}

func TestStop(t *testing.T) {
	setup := func() (*Simulator, *recorder) {
		s := New()
		r := &recorder{}
		s.Schedule(1, r.action("a"))
		s.Schedule(2, func(now Time) { r.action("stop")(now); s.Stop() })
		s.Schedule(2, r.action("b"))
		s.Schedule(3, r.action("c"))
		return s, r
	}
	t.Run("Run", func(t *testing.T) {
		s, r := setup()
		s.Run()
		if want := []string{"a@1ps", "stop@2ps"}; !reflect.DeepEqual(r.got, want) {
			t.Fatalf("fired %v, want %v", r.got, want)
		}
		if s.Now() != 2 || s.Pending() != 2 {
			t.Fatalf("Now=%v Pending=%d", s.Now(), s.Pending())
		}
		s.Run() // resumes; Stop does not persist
		if want := []string{"a@1ps", "stop@2ps", "b@2ps", "c@3ps"}; !reflect.DeepEqual(r.got, want) {
			t.Fatalf("after resume fired %v, want %v", r.got, want)
		}
	})
	t.Run("RunUntil", func(t *testing.T) {
		s, r := setup()
		s.RunUntil(10)
		if want := []string{"a@1ps", "stop@2ps"}; !reflect.DeepEqual(r.got, want) {
			t.Fatalf("fired %v, want %v", r.got, want)
		}
		if s.Now() != 2 {
			t.Fatalf("Now = %v, want 2ps (a stopped RunUntil does not advance to t)", s.Now())
		}
		s.RunUntil(10)
		if s.Now() != 10 || s.Pending() != 0 || len(r.got) != 4 {
			t.Fatalf("after resume Now=%v Pending=%d fired=%v", s.Now(), s.Pending(), r.got)
		}
	})
	t.Run("outside Run", func(t *testing.T) {
		s, r := setup()
		s.Stop()
		s.Run()
		if len(r.got) != 2 { // stops at the action, not before the first event
			t.Fatalf("fired %v", r.got)
		}
	})
}

func expectPanic(t *testing.T, substr string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one containing %q", substr)
		}
		if msg, _ := r.(string); !strings.Contains(msg, substr) {
			t.Fatalf("panic %v, want one containing %q", r, substr)
		}
	}()
	f()
}

func TestSchedulePanics(t *testing.T) {
	s := New()
	s.Schedule(10*Nanosecond, func(Time) {})
	s.Run()
	expectPanic(t, "in the past", func() { s.Schedule(9*Nanosecond, func(Time) {}) })
	expectPanic(t, "nil Action", func() { s.Schedule(20*Nanosecond, nil) })
	expectPanic(t, "negative delay", func() { s.After(-1, func(Time) {}) })
	expectPanic(t, "in the past", func() {
		s.Schedule(20*Nanosecond, func(now Time) { s.Schedule(now-1, func(Time) {}) })
		s.Run()
	})
	// The kernel is still usable after a panicking action.
	s.After(1, func(Time) {})
	s.Run()
	if s.Pending() != 0 || s.Now() != 20*Nanosecond+1 {
		t.Fatalf("Pending=%d Now=%v", s.Pending(), s.Now())
	}
}

func TestAfterSaturates(t *testing.T) {
	s := New()
	s.Schedule(10, func(Time) {})
	s.Run()
	fired := Time(-1)
	s.After(MaxTime, func(now Time) { fired = now })
	s.Run()
	if fired != MaxTime {
		t.Fatalf("fired at %d, want MaxTime", fired)
	}
}

// TestRenumber forces the 32-bit insertion-order counter to wrap and checks
// that ordering across the wrap is preserved.
func TestRenumber(t *testing.T) {
	s := New()
	var got []int
	add := func(at Time, label int) EventID {
		return s.Schedule(at, func(Time) { got = append(got, label) })
	}
	s.ord = math.MaxUint32 - 3
	add(5, 0)
	add(3, 1)
	c := add(5, 2)
	add(5, 3) // ord == MaxUint32 now
	add(5, 4) // triggers renumbering
	add(3, 5)
	add(5, 6)
	if s.ord != 7 {
		t.Fatalf("ord = %d after renumbering, want 7", s.ord)
	}
	if !s.Cancel(c) {
		t.Fatal("Cancel after renumbering failed")
	}
	s.Run()
	if want := []int{1, 5, 0, 3, 4, 6}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	s := New()
	act := func(Time) {}
	for i := range 100 {
		s.After(Time(i), act)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		id := s.After(50, act)
		s.After(70, act)
		s.Cancel(id)
		s.Step()
	})
	if allocs != 0 {
		t.Fatalf("steady-state Schedule/Cancel/Step allocated %v times per run", allocs)
	}
}

func TestIndependentSimulatorsInParallel(t *testing.T) {
	run := func() []Time {
		s := New()
		var out []Time
		var tick Action
		tick = func(now Time) {
			out = append(out, now)
			if len(out) < 500 {
				s.After(Time(len(out)%7)+1, tick)
			}
		}
		s.After(0, tick)
		s.Run()
		return out
	}
	want := run()
	done := make(chan []Time)
	for range 4 {
		go func() { done <- run() }()
	}
	for range 4 {
		if got := <-done; !reflect.DeepEqual(got, want) {
			t.Fatal("parallel simulators diverged")
		}
	}
}

type argRecorder struct{ got *[]int64 }

func (r argRecorder) Handle(now Time, arg int64) { *r.got = append(*r.got, arg) }

// TestScheduleHandler: handler events order, cancel and interleave with
// function events exactly like Schedule, and allocate nothing.
func TestScheduleHandler(t *testing.T) {
	s := New()
	var got []int64
	h := argRecorder{&got}
	s.ScheduleHandler(2, h, 20)
	s.Schedule(1, func(Time) { got = append(got, 10) })
	s.ScheduleHandler(2, h, 21)
	id := s.ScheduleHandler(3, h, 30)
	s.Schedule(2, func(Time) { got = append(got, 22) })
	if !s.Cancel(id) {
		t.Fatal("cancel failed")
	}
	s.Run()
	want := []int64{10, 20, 21, 22}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	allocs := testing.AllocsPerRun(100, func() {
		s.ScheduleHandler(s.Now()+1, h, 1)
		s.Step()
	})
	if allocs > 0 {
		t.Errorf("ScheduleHandler+Step allocates %.1f times", allocs)
	}
}
