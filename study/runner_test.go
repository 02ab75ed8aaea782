package study

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

// TestMapOrderAndJobs: results come back by index for any number of jobs,
// every unit is reported finished once, and each worker keeps its state.
func TestMapOrderAndJobs(t *testing.T) {
	for _, jobs := range []int{1, 2, 7, 0} {
		var finished []int
		var workers atomic.Int32
		r := Runner{Jobs: jobs, Finished: func(i int, err error) { finished = append(finished, i) }}
		res, errs, stopped := Map(r, 50, func() *int { workers.Add(1); return new(int) }, func(w *int, i int) (string, error) {
			*w++
			if i == 13 {
				return "", errors.New("thirteen")
			}
			return fmt.Sprint(i * i), nil
		})
		if stopped || len(res) != 50 || res[7] != "49" || errs[13] == nil || errs[12] != nil {
			t.Fatalf("jobs %d: stopped %v, res[7] %q, errs[13] %v", jobs, stopped, res[7], errs[13])
		}
		slices.Sort(finished)
		for i, f := range finished {
			if f != i {
				t.Fatalf("jobs %d: finished %v", jobs, finished)
			}
		}
		if n := int(workers.Load()); n < 1 || (jobs > 0 && n > jobs) {
			t.Errorf("jobs %d: %d workers", jobs, n)
		}
	}
}

// TestMapStops: Stop ends the run between units; units not started stay
// zero and were never run.
func TestMapStops(t *testing.T) {
	var started atomic.Int32
	res, _, stopped := Map(Runner{Jobs: 1, Stop: func() bool { return started.Load() >= 3 }}, 10, func() struct{} { return struct{}{} },
		func(_ struct{}, i int) (int, error) { started.Add(1); return i + 1, nil })
	if !stopped || res[9] != 0 || started.Load() > 4 {
		t.Errorf("stopped %v, started %d, res %v", stopped, started.Load(), res)
	}
}
