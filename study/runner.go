package study

import (
	"runtime"
	"sync"
)

// Runner runs units of work in parallel and hands results back in unit
// order, whatever order they finish in: the one run loop under scenario
// runs, sweeps, the collective size sweep and the demo. Results are
// deterministic when each unit's are (a worker's caches only save time).
type Runner struct {
	// Jobs is how many units run at once (default: GOMAXPROCS, the CPUs
	// this process may use, cgroup-aware unlike NumCPU).
	Jobs int
	// Stop, if it returns true, stops the run between units: Map then
	// reports stopped, with the units not started left zero.
	Stop func() bool
	// Progress, if set, is called after every finished unit, under a
	// lock (calls never overlap).
	Progress func(done, total int)
	// Finished, if set, is called after every finished unit with its
	// index and error, in the order units finish, under the same lock.
	Finished func(i int, err error)
}

// Map runs work(w, i) for i in [0, n) on r.Jobs goroutines, each with its
// own worker state from newWorker (a fabric, engine caches), and returns
// the results and errors by index. Cost: n calls of work, plus one
// newWorker per goroutine (at most min(Jobs, n)).
func Map[W, T any](r Runner, n int, newWorker func() W, work func(w W, i int) (T, error)) (results []T, errs []error, stopped bool) {
	results, errs = make([]T, n), make([]error, n)
	jobs := r.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	var (
		mu       sync.Mutex
		finished int
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range min(jobs, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker()
			for i := range next {
				results[i], errs[i] = work(w, i)
				mu.Lock()
				finished++
				if r.Finished != nil {
					r.Finished(i, errs[i])
				}
				if r.Progress != nil {
					r.Progress(finished, n)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		if r.Stop != nil && r.Stop() {
			stopped = true
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results, errs, stopped
}
