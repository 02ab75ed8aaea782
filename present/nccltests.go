package present

import (
	"bytes"
	"fmt"
	"io"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/topology"
)

// ncclTypeNames are nccl-tests' names of the element types (-d).
var ncclTypeNames = map[topology.Dtype]string{topology.FP32: "float", topology.FP16: "half", topology.BF16: "bfloat16",
	topology.INT8: "int8", topology.FP8: "f8e4m3"}

// WriteNCCLTests prints a collective sweep as nccl-tests' *_perf binaries
// do, so that their logs and cardsea's read (and parse) alike: size in
// bytes, count in elements (per rank for allgather, reducescatter and
// alltoall, as nccl-tests counts them), type, reduction, root, and the
// out-of-place time, algbw and busbw; the in-place columns repeat them
// (the simulation does not tell the two apart) and #wrong is N/A (nothing
// is checked). The last lines give the average busbw, as nccl-tests does.
func WriteNCCLTests(w io.Writer, run CollectiveRun) error {
	var b bytes.Buffer
	res := run.Results
	if len(res) == 0 {
		return nil
	}
	fmt.Fprintf(&b, "# cardsea collective: %s on %s, %d ranks (simulated; not a measurement)\n#\n", run.Op, run.Top.Title, res[0].Ranks)
	fmt.Fprintf(&b, "#%62s%35s\n", "out-of-place", "in-place          ")
	fmt.Fprintf(&b, "#%11s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s\n",
		"size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong")
	fmt.Fprintf(&b, "#%11s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s\n",
		"(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "")
	typ, ok := ncclTypeNames[run.Dtype]
	if !ok {
		typ = run.Dtype.String()
	}
	redop, root := "sum", -1
	switch run.Op {
	case collective.AllGather, collective.AllToAll, collective.SendRecv:
		redop = "none"
	case collective.Broadcast:
		redop, root = "none", 0
	case collective.Reduce:
		root = 0
	}
	var sum float64
	for _, r := range res {
		count := int64(r.SizeBytes / run.Dtype.Bytes())
		if run.Op == collective.AllGather || run.Op == collective.ReduceScatter || run.Op == collective.AllToAll {
			count /= int64(r.Ranks)
		}
		t, alg, bus := r.TimeS*1e6, r.AlgBW/1e9, r.BusBW/1e9
		fmt.Fprintf(&b, "%12d  %12d  %8s  %6s  %6d  %7.2f  %6.2f  %6.2f  %6s  %7.2f  %6.2f  %6.2f  %6s\n",
			int64(r.SizeBytes), count, typ, redop, root, t, alg, bus, "N/A", t, alg, bus, "N/A")
		sum += bus
	}
	fmt.Fprintf(&b, "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : %g \n#\n", float64(int(sum/float64(len(res))*1e4+0.5))/1e4)
	_, err := w.Write(b.Bytes())
	return err
}
