package infer

import "fmt"

// InfeasibleError is the error of a configuration that is well formed but
// cannot run as asked: it does not fit in HBM, or no batch meets a latency
// limit. A sweep records such a point (feasible: false, with this reason)
// and goes on; any other error stops it. Test with errors.As.
type InfeasibleError struct{ Reason string }

func (e *InfeasibleError) Error() string { return e.Reason }

func infeasible(format string, args ...any) error {
	return &InfeasibleError{Reason: fmt.Sprintf(format, args...)}
}
