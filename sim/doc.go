// Package sim is the deterministic discrete-event kernel of cardsea.
//
// Every other part of the simulator (links, switches, accelerators,
// collectives) expresses its behaviour as actions scheduled on a
// [Simulator] at points of simulated [Time]. The kernel keeps those actions
// in a priority queue and fires them one at a time in time order. Actions
// scheduled for one time share a queue entry, a FIFO list, so a model
// whose events bunch at a few instants (the ranks of a symmetric
// collective finishing a step together) pays for the queue per instant
// rather than per event.
//
// # Units
//
// [Time] is an int64 count of picoseconds of simulated time. It covers about
// 106 days, far beyond any realistic run. [FromSeconds] converts a float64
// duration (for example bytes/bandwidth) to a Time, rounding up so that a
// derived completion time is never earlier than the exact one.
//
// # Guarantees
//
//   - Determinism: given the same sequence of calls, a Simulator fires the
//     same actions in the same order at the same times, on every run and on
//     every platform. The kernel reads no wall clock, uses no randomness,
//     starts no goroutines and iterates no maps.
//   - Ordering: events fire in increasing order of (time, insertion
//     sequence). Two events scheduled for the same time fire in the order in
//     which they were scheduled (FIFO), including events scheduled from
//     inside other actions.
//   - Causality: an event can never be scheduled before [Simulator.Now];
//     doing so is a programming error and panics.
//   - Cancellation: [Simulator.Cancel] removes a pending event in O(log n).
//     An [EventID] is never reused, so a stale id can never cancel a later
//     event that happens to occupy the same internal slot.
//   - Allocation: in steady state (the number of pending events not growing)
//     Schedule, Cancel and Step allocate nothing; the caller's Action
//     closures are the only allocations. (The one exception is a rare
//     O(n log n) renumbering of pending events once every 2^32 Schedule
//     calls, which keeps heap entries at 16 bytes.)
//
// # Concurrency
//
// A Simulator is a plain value with no package-level state. It is not safe
// for concurrent use, but any number of independent Simulators may run in
// parallel, one per goroutine. Actions run synchronously on the goroutine
// that called Step, Run or RunUntil and may freely call Schedule, After,
// Cancel, Now and Stop on the same Simulator.
package sim
