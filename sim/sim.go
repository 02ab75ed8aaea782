package sim

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// Action is the work done when an event fires. now is the simulated time of
// the event, equal to [Simulator.Now] during the call.
type Action func(now Time)

// EventID identifies a scheduled event so that it can be cancelled. The zero
// EventID is never returned by Schedule and cancels nothing. IDs are never
// reused: an id whose event has fired or been cancelled stays dead forever,
// even after its internal slot is recycled for a newer event. An EventID is
// only meaningful to the Simulator that returned it.
type EventID struct {
	id   uint64 // unique per Simulator, counting from 1
	slot int32  // index into the per-slot side tables
}

// entry is one element of the event heap: 16 pointer-free bytes, so four
// siblings fill exactly one 64-byte cache line.
//
// key is ord<<32 | slot, where ord is the event's position in insertion
// order. Ordering entries by (at, key) therefore orders them by time and
// then by insertion sequence (slots are unique among pending events, so the
// low half never decides). ord is 32 bits wide; when it runs out, renumber
// compacts the ords of the pending events without changing their order.
type entry struct {
	at  Time
	key uint64
}

func (e *entry) slot() int32 { return int32(uint32(e.key)) }

// The heap is 4-ary: half the depth of a binary heap, and with 16-byte
// entries and the layout below all four children of a node share one cache
// line. Node positions are physical indices into Simulator.heap. The root is
// at index root, so the children of node p, at 4p-8 ... 4p-5, start at a
// multiple of four. Indices below root are unused padding; indices from
// root+n on hold sentinels, so that every node has four children to compare
// and the inner loop needs no bounds checks on the child count.
const (
	arity = 4
	root  = arity - 1
)

func firstChild(p int) int { return arity*p - 2*arity }
func parent(p int) int     { return p/arity + 2 }

// sentinel compares later than any real event: a real key has a slot index
// below 2^31 in its low half, so it never equals math.MaxUint64.
var sentinel = entry{at: MaxTime, key: math.MaxUint64}

// slot holds a pending event's identity and what to run; one struct per
// slot keeps the fields of an event in one cache line.
type slot struct {
	id  uint64  // EventID.id of the slot's event; 0 when free
	act Action  // the event's function, or nil for a handler event
	h   Handler // the handler, for events from ScheduleHandler
	arg int64   // the handler's argument
}

// Simulator is a deterministic discrete-event kernel. The zero value is
// ready to use, at time 0 with no pending events; New returns a pointer to
// one. See the package documentation for the guarantees it makes.
type Simulator struct {
	now     Time
	fired   uint64
	lastID  uint64 // last EventID.id handed out
	ord     uint32 // last insertion order number handed out
	stopped bool

	heap []entry // see root; len(heap) == cap(heap) >= root+n+arity
	n    int     // number of pending events

	// Side tables indexed by slot. Slot i is free iff ids[i] == 0; free
	// slots are kept on the free stack and reused.
	pos   []int32 // heap index of the slot's event
	slots []slot  // the slot's event: id, and its action or handler
	free  []int32
}

// New returns a Simulator at time 0 with no pending events.
func New() *Simulator {
	return &Simulator{}
}

// Now returns the current simulated time: the time of the event being fired
// or last fired, or the time RunUntil advanced to.
func (s *Simulator) Now() Time { return s.now }

// Pending returns the number of events scheduled and not yet fired or
// cancelled.
func (s *Simulator) Pending() int { return s.n }

// Fired returns the number of events fired so far.
func (s *Simulator) Fired() uint64 { return s.fired }

// Schedule arranges for a to run at simulated time at and returns an id that
// can be passed to Cancel. Events at equal times fire in the order they were
// scheduled. Schedule panics if at is earlier than Now or a is nil; both are
// programming errors.
func (s *Simulator) Schedule(at Time, a Action) EventID {
	if at < s.now || a == nil {
		s.badSchedule(at, a)
	}
	return s.schedule(at, a, nil, 0)
}

// Handler receives events scheduled with ScheduleHandler.
type Handler interface {
	Handle(now Time, arg int64)
}

// ScheduleHandler arranges for h.Handle(at, arg) to run at simulated time
// at. It orders and cancels like Schedule but allocates nothing: models
// with many events (a flow's drain, a transfer's start) dispatch on arg
// instead of creating a closure per event.
func (s *Simulator) ScheduleHandler(at Time, h Handler, arg int64) EventID {
	if at < s.now || h == nil {
		if h == nil {
			panic("sim: ScheduleHandler called with a nil Handler")
		}
		s.badSchedule(at, func(Time) {})
	}
	return s.schedule(at, nil, h, arg)
}

func (s *Simulator) schedule(at Time, a Action, h Handler, arg int64) EventID {
	if s.ord == math.MaxUint32 {
		s.renumber()
	}
	s.ord++
	s.lastID++
	id := s.lastID
	var sl int32
	if k := len(s.free); k > 0 {
		sl = s.free[k-1]
		s.free = s.free[:k-1]
		s.slots[sl] = slot{id: id, act: a, h: h, arg: arg}
	} else {
		if len(s.slots) == math.MaxInt32 {
			panic("sim: too many pending events")
		}
		sl = int32(len(s.slots))
		s.pos = append(s.pos, 0)
		s.slots = append(s.slots, slot{id: id, act: a, h: h, arg: arg})
	}
	if root+s.n+1+arity > len(s.heap) {
		s.grow()
	}
	p := root + s.n
	s.n++
	s.up(p, entry{at: at, key: uint64(s.ord)<<32 | uint64(uint32(sl))})
	return EventID{id: id, slot: sl}
}

func (s *Simulator) badSchedule(at Time, a Action) {
	if a == nil {
		panic("sim: Schedule called with a nil Action")
	}
	panic(fmt.Sprintf("sim: Schedule at %v (%d ps) is in the past: Now is %v (%d ps)",
		at, int64(at), s.now, int64(s.now)))
}

// After schedules a to run d after Now. It panics if d is negative. If
// Now+d would overflow, the event is scheduled at MaxTime.
func (s *Simulator) After(d Time, a Action) EventID {
	if d < 0 {
		panic(fmt.Sprintf("sim: After called with negative delay %v (%d ps)", d, int64(d)))
	}
	at := s.now + d
	if at < s.now {
		at = MaxTime
	}
	return s.Schedule(at, a)
}

// Cancel removes a pending event in O(log n). It reports whether the event
// was pending and has now been removed; it returns false for events that
// already fired or were cancelled, and for the zero EventID.
func (s *Simulator) Cancel(id EventID) bool {
	if id.id == 0 || id.slot < 0 || int(id.slot) >= len(s.slots) || s.slots[id.slot].id != id.id {
		return false
	}
	s.removeAt(int(s.pos[id.slot]))
	s.release(id.slot)
	return true
}

// Step fires the earliest pending event, advancing Now to its time, and
// reports whether there was one. Step ignores Stop.
func (s *Simulator) Step() bool {
	if s.n == 0 {
		return false
	}
	e := s.heap[root]
	s.removeAt(root)
	sl := e.slot()
	sp := &s.slots[sl]
	a, h, arg := sp.act, sp.h, sp.arg
	s.release(sl)
	s.now = e.at
	s.fired++
	if a != nil {
		a(e.at)
	} else {
		h.Handle(e.at, arg)
	}
	return true
}

// Run fires events until none are pending or an action calls Stop.
func (s *Simulator) Run() {
	s.stopped = false
	for !s.stopped && s.Step() {
	}
	s.stopped = false
}

// RunUntil fires, in order, every pending event whose time is at or before
// t, including events scheduled by those actions, and then advances Now to t
// if t is later. Events after t stay pending. If an action calls Stop,
// RunUntil returns after that action and leaves Now at its time. If t is
// earlier than Now, RunUntil does nothing.
func (s *Simulator) RunUntil(t Time) {
	s.stopped = false
	for !s.stopped && s.n > 0 && s.heap[root].at <= t {
		s.Step()
	}
	if !s.stopped && t > s.now {
		s.now = t
	}
	s.stopped = false
}

// Stop makes the Run or RunUntil call that is currently firing events return
// once the current action returns. Outside Run and RunUntil it has no
// effect: each call to Run or RunUntil starts unstopped.
func (s *Simulator) Stop() { s.stopped = true }

// release returns slot i to the free list, dropping its Action so the
// closure can be garbage collected.
func (s *Simulator) release(i int32) {
	s.slots[i] = slot{}
	s.free = append(s.free, i)
}

// grow at least doubles the heap's backing array. Its size in bytes is a
// power of two of at least 64, which Go's allocator aligns to 64 bytes, so
// sibling groups stay within single cache lines. (Alignment only affects
// speed, never correctness.)
func (s *Simulator) grow() {
	c := max(64, 2*len(s.heap))
	for c < root+s.n+1+arity {
		c *= 2
	}
	h := make([]entry, c)
	if s.heap != nil {
		copy(h, s.heap[:root+s.n])
	}
	for i := root + s.n; i < c; i++ {
		h[i] = sentinel
	}
	s.heap = h
}

// renumber reassigns the insertion order numbers of the pending events as
// 1..n, preserving their relative order, so that ord can keep counting
// after reaching 2^32-1. It runs at most once per 2^32-n Schedule calls.
// Because the relabelling is monotonic the heap stays valid as is.
func (s *Simulator) renumber() {
	h := s.heap
	idx := make([]int, s.n)
	for i := range idx {
		idx[i] = root + i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(h[a].at, h[b].at); c != 0 {
			return c
		}
		return cmp.Compare(h[a].key, h[b].key)
	})
	for r, p := range idx {
		h[p].key = uint64(r+1)<<32 | uint64(uint32(h[p].key))
	}
	s.ord = uint32(s.n)
}

// lt reports (a.at, a.key) < (b.at, b.key) as 1 or 0 without branching: it
// is the borrow out of the 128-bit subtraction a - b. Times in the heap are
// never negative (Now starts at 0 and Schedule rejects the past), so they
// compare correctly as unsigned. Comparing random event times is
// unpredictable, so branch-free comparison avoids paying for mispredicted
// branches in the sift loops.
func lt(a, b *entry) uint {
	_, borrow := bits.Sub64(a.key, b.key, 0)
	_, borrow = bits.Sub64(uint64(a.at), uint64(b.at), borrow)
	return uint(borrow)
}

// removeAt deletes the event at heap index p, restoring the heap property.
func (s *Simulator) removeAt(p int) {
	s.n--
	last := root + s.n
	h := s.heap
	if p == last {
		h[last] = sentinel
		return
	}
	e := h[last]
	h[last] = sentinel
	if p > root && lt(&e, &h[parent(p)]) != 0 {
		s.up(p, e)
	} else {
		s.down(p, e)
	}
}

// up places e in the heap, starting at the hole at index p and moving
// towards the root while the parent is later, updating slot positions on the
// way. (Passing e by value rather than storing it first avoids a store and
// reload of the same 16 bytes.)
func (s *Simulator) up(p int, e entry) {
	h := s.heap
	pos := s.pos
	for p > root {
		q := parent(p)
		if lt(&e, &h[q]) == 0 {
			break
		}
		h[p] = h[q]
		pos[h[p].slot()] = int32(p)
		p = q
	}
	h[p] = e
	pos[e.slot()] = int32(p)
}

// down places e, typically a late event taken from the end of the heap, in
// the hole at index p or below it. It uses Floyd's bottom-up strategy: the hole at p first moves all the way
// down along the path of earliest children, without comparing against the
// event being placed, and the event is then sifted up from there, which
// rarely takes more than a level. Slot positions are updated on the way.
func (s *Simulator) down(p int, e entry) {
	h := s.heap
	pos := s.pos
	end := root + s.n
	top := p
	for {
		c := firstChild(p)
		if c >= end {
			break
		}
		k := h[c : c+arity : c+arity]
		// Branch-free tournament for the earliest of the four children;
		// sentinels past the end never win.
		m01 := lt(&k[1], &k[0])
		m23 := 2 + lt(&k[3], &k[2])
		m := m01 ^ ((m01 ^ m23) & -lt(&k[m23], &k[m01]))
		h[p] = k[m]
		pos[h[p].slot()] = int32(p)
		p = c + int(m)
	}
	for p > top {
		q := parent(p)
		if lt(&e, &h[q]) == 0 {
			break
		}
		h[p] = h[q]
		pos[h[p].slot()] = int32(p)
		p = q
	}
	h[p] = e
	pos[e.slot()] = int32(p)
}
