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

// Events that share a timestamp share a bucket: a FIFO list of their
// slots, in scheduling order. The heap orders buckets, not events, so a
// model that fires many events at each instant (every rank of a symmetric
// collective finishing a step together) pays one heap operation per
// instant rather than per event. Several buckets may hold one time; they
// are ordered by creation, and only a bucket in the recent table is
// appended to, which keeps every list in scheduling order (see
// newBucket).

// entry is one element of the bucket heap: 16 pointer-free bytes, so four
// siblings fill exactly one 64-byte cache line.
//
// key is ord<<32 | bucket, where ord is the insertion order number of the
// bucket's first event. Ordering entries by (at, key) therefore orders
// buckets by time and then by insertion sequence (bucket indices are
// unique among pending buckets, so the low half never decides). ord is 32
// bits wide; when it runs out, renumber compacts the ords of the pending
// events without changing their order.
type entry struct {
	at  Time
	key uint64
}

func (e *entry) bucket() int32 { return int32(uint32(e.key)) }

// The heap is 4-ary: half the depth of a binary heap, and with 16-byte
// entries and the layout below all four children of a node share one cache
// line. Node positions are physical indices into Simulator.heap. The root is
// at index root, so the children of node p, at 4p-8 ... 4p-5, start at a
// multiple of four. Indices below root are unused padding; indices from
// root+nb on hold sentinels, so that every node has four children to
// compare and the inner loop needs no bounds checks on the child count.
const (
	arity = 4
	root  = arity - 1
)

func firstChild(p int) int { return arity*p - 2*arity }
func parent(p int) int     { return p/arity + 2 }

// sentinel compares later than any real bucket: a real key has a bucket
// index below 2^31 in its low half, so it never equals math.MaxUint64.
var sentinel = entry{at: MaxTime, key: math.MaxUint64}

// slot holds a pending event's identity, what to run and its place in its
// bucket; one struct per slot keeps the fields of an event together.
type slot struct {
	id  uint64  // EventID.id of the slot's event; 0 when free
	h   Handler // what to run: the handler, or the Action as an action
	arg int64   // the handler's argument

	bucket     int32 // the bucket holding the event
	prev, next int32 // neighbouring slots in the bucket, -1 at the ends
}

// bucket is a FIFO list of pending events with one timestamp.
type bucket struct {
	head, tail int32 // first and last slot, -1 when empty
	pos        int32 // heap index of the bucket
}

// openBuckets is the size of the table of buckets open to appends. A
// model firing a batch of events at one instant typically schedules their
// follow-ups at a few distinct times (a send's arrival, the next send's
// start); keeping the buckets of those times open gathers each batch's
// follow-ups. The table is direct-mapped by time, so a lookup is one
// comparison; two times that collide only cost an extra bucket.
const (
	openBits    = 4
	openBuckets = 1 << openBits
)

// openRef names a bucket open to appends; b is the bucket index plus one,
// so that the zero value names none.
type openRef struct {
	at Time
	b  int32
}

// openIndex is the entry of the open table for time at: a Fibonacci hash.
func openIndex(at Time) int {
	return int((uint64(at) * 0x9E3779B97F4A7C15) >> (64 - openBits))
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

	heap []entry // see root; len(heap) == cap(heap) >= root+nb+arity
	nb   int     // number of pending buckets, the heap's size
	n    int     // number of pending events

	// Buckets: free buckets are kept on a stack and reused. open holds
	// the buckets that Schedule may append to (see newBucket).
	buckets     []bucket
	freeBuckets []int32
	open        [openBuckets]openRef

	// Slots: slot i is free iff slots[i].id == 0; free slots are kept on
	// the free stack and reused.
	slots []slot
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
	return s.ScheduleHandler(at, action(a), 0)
}

// Handler receives events scheduled with ScheduleHandler.
type Handler interface {
	Handle(now Time, arg int64)
}

// action runs an Action as a Handler, so that a slot holds one kind of
// event. A func value fits an interface without an allocation.
type action Action

func (a action) Handle(now Time, _ int64) { a(now) }

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
	// Scheduling itself is here rather than in a function of its own
	// that both Schedule and ScheduleHandler call: models schedule
	// millions of events through ScheduleHandler, and spare the call.
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
	} else {
		if len(s.slots) == math.MaxInt32 {
			panic("sim: too many pending events")
		}
		sl = int32(len(s.slots))
		s.slots = append(s.slots, slot{})
	}
	// The bucket to join: see newBucket.
	var b int32
	if o := &s.open[openIndex(at)]; o.at == at && o.b != 0 {
		b = o.b - 1
	} else {
		b = s.newBucket(at, o)
	}
	bk := &s.buckets[b]
	// Field by field: a composite literal is built on the stack and
	// copied, and the copy's wide loads stall on the narrow stores.
	sp := &s.slots[sl]
	sp.id, sp.h, sp.arg = id, h, arg
	sp.bucket, sp.prev, sp.next = b, bk.tail, -1
	if bk.tail >= 0 {
		s.slots[bk.tail].next = sl
	} else {
		bk.head = sl
	}
	bk.tail = sl
	s.n++
	return EventID{id: id, slot: sl}
}

// newBucket opens a new bucket for time at, whose entry in the open table
// is o, and returns it.
//
// An event scheduled now at time at joins an open bucket of that time, or
// else a new one. Appending only to open buckets keeps the events of one
// time in scheduling order. Time at has one entry in the open table, and a
// bucket of time at is created only when that entry does not hold one, so
// any older bucket of the same time is closed for good: every event it
// holds was scheduled before the new bucket's, and the heap fires the
// older bucket first (its ord is smaller).
func (s *Simulator) newBucket(at Time, o *openRef) int32 {
	var b int32
	if k := len(s.freeBuckets); k > 0 {
		b = s.freeBuckets[k-1]
		s.freeBuckets = s.freeBuckets[:k-1]
	} else {
		b = int32(len(s.buckets))
		s.buckets = append(s.buckets, bucket{})
	}
	s.buckets[b].head, s.buckets[b].tail = -1, -1
	if root+s.nb+1+arity > len(s.heap) {
		s.grow()
	}
	p := root + s.nb
	s.nb++
	s.up(p, entry{at: at, key: uint64(s.ord)<<32 | uint64(uint32(b))})
	*o = openRef{at: at, b: b + 1}
	return b
}

// unlink takes slot sl's event out of its bucket, and the bucket out of
// the heap if that empties it.
func (s *Simulator) unlink(sl int32) {
	sp := &s.slots[sl]
	b := sp.bucket
	bk := &s.buckets[b]
	if sp.prev >= 0 {
		s.slots[sp.prev].next = sp.next
	} else {
		bk.head = sp.next
	}
	if sp.next >= 0 {
		s.slots[sp.next].prev = sp.prev
	} else {
		bk.tail = sp.prev
	}
	s.n--
	if bk.head < 0 {
		s.closeBucket(b)
	}
}

// closeBucket removes empty bucket b from the heap and the open table and
// frees it.
func (s *Simulator) closeBucket(b int32) {
	p := int(s.buckets[b].pos)
	if o := &s.open[openIndex(s.heap[p].at)]; o.b == b+1 {
		*o = openRef{}
	}
	s.removeAt(p)
	s.freeBuckets = append(s.freeBuckets, b)
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
	s.unlink(id.slot)
	s.release(id.slot)
	return true
}

// Step fires the earliest pending event, advancing Now to its time, and
// reports whether there was one. Step ignores Stop.
func (s *Simulator) Step() bool {
	if s.n == 0 {
		return false
	}
	at := s.heap[root].at
	b := s.heap[root].bucket()
	bk := &s.buckets[b]
	// Take the head of the earliest bucket: unlink specialised to the
	// first event, and release clearing only what must be cleared (the id
	// that makes the slot free, the handler that may hold a closure);
	// schedule sets every other field before the slot is used again.
	sl := bk.head
	sp := &s.slots[sl]
	h, arg, next := sp.h, sp.arg, sp.next
	sp.id, sp.h = 0, nil
	s.free = append(s.free, sl)
	s.n--
	if next >= 0 {
		s.slots[next].prev = -1
		bk.head = next
	} else {
		bk.head, bk.tail = -1, -1
		s.closeBucket(b)
	}
	s.now = at
	s.fired++
	h.Handle(at, arg)
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

// release returns slot i to the free list, dropping its handler or Action
// so that a closure can be garbage collected.
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
	for c < root+s.nb+1+arity {
		c *= 2
	}
	h := make([]entry, c)
	if s.heap != nil {
		copy(h, s.heap[:root+s.nb])
	}
	for i := root + s.nb; i < c; i++ {
		h[i] = sentinel
	}
	s.heap = h
}

// renumber reassigns the insertion order numbers of the pending events as
// 1..n, preserving their relative order, so that ord can keep counting
// after reaching 2^32-1: each bucket's key takes the new number of its
// first event. It runs at most once per 2^32-n Schedule calls. Because the
// relabelling is monotonic the heap stays valid as is.
func (s *Simulator) renumber() {
	h := s.heap
	idx := make([]int, s.nb)
	for i := range idx {
		idx[i] = root + i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(h[a].at, h[b].at); c != 0 {
			return c
		}
		return cmp.Compare(h[a].key, h[b].key)
	})
	next := uint64(1)
	for _, p := range idx {
		b := h[p].bucket()
		h[p].key = next<<32 | uint64(uint32(b))
		for sl := s.buckets[b].head; sl >= 0; sl = s.slots[sl].next {
			next++
		}
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
	s.nb--
	last := root + s.nb
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
// towards the root while the parent is later, updating bucket positions on
// the way. (Passing e by value rather than storing it first avoids a store and
// reload of the same 16 bytes.)
func (s *Simulator) up(p int, e entry) {
	h := s.heap
	bk := s.buckets
	for p > root {
		q := parent(p)
		if lt(&e, &h[q]) == 0 {
			break
		}
		h[p] = h[q]
		bk[h[p].bucket()].pos = int32(p)
		p = q
	}
	h[p] = e
	bk[e.bucket()].pos = int32(p)
}

// down places e, typically a late event taken from the end of the heap, in
// the hole at index p or below it. It uses Floyd's bottom-up strategy: the hole at p first moves all the way
// down along the path of earliest children, without comparing against the
// event being placed, and the event is then sifted up from there, which
// rarely takes more than a level. Bucket positions are updated on the way.
func (s *Simulator) down(p int, e entry) {
	h := s.heap
	bk := s.buckets
	end := root + s.nb
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
		bk[h[p].bucket()].pos = int32(p)
		p = c + int(m)
	}
	for p > top {
		q := parent(p)
		if lt(&e, &h[q]) == 0 {
			break
		}
		h[p] = h[q]
		bk[h[p].bucket()].pos = int32(p)
		p = q
	}
	h[p] = e
	bk[e.bucket()].pos = int32(p)
}
