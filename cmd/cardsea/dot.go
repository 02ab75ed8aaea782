package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// writeDOT writes the fabric graph in Graphviz DOT form: one vertex per die,
// switch chip, CPU and NIC, one edge per link labelled with its capacity.
func writeDOT(w io.Writer, t *topology.Topology) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "graph %q {\n  overlap=false;\n", t.Name)
	shapes := map[topology.NodeKind]string{
		topology.KindDie: "box", topology.KindSwitch: "ellipse", topology.KindCPU: "hexagon", topology.KindNIC: "diamond",
	}
	for _, n := range t.Nodes {
		fmt.Fprintf(bw, "  %q [shape=%s];\n", n.Name, shapes[n.Kind])
	}
	for _, l := range t.Links {
		label := units.FormatBandwidth(l.BytesPerS)
		if l.Lanes > 1 {
			label = fmt.Sprintf("%dx %s", l.Lanes, units.FormatBandwidth(l.BytesPerS/float64(l.Lanes)))
		}
		fmt.Fprintf(bw, "  %q -- %q [label=%q, class=%q];\n", t.Nodes[l.A].Name, t.Nodes[l.B].Name, label, l.Class)
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}
