package topology

import (
	"math"
	"strings"
	"testing"
)

// nicLinkEfficiency is the efficiency of t's NIC-to-leaf links.
func nicLinkEfficiency(t *testing.T, top *Topology) float64 {
	t.Helper()
	for _, l := range top.Links {
		if top.Nodes[l.A].Kind == KindNIC && top.Nodes[l.B].Kind == KindSwitch {
			return l.Efficiency
		}
	}
	t.Fatal("no NIC-to-leaf link")
	return 0
}

// TestTransport: running an InfiniBand preset's scale-out on RoCE scales
// its links' efficiency by RoCE's frame share over InfiniBand's (a 4 KiB
// payload with 82 header bytes against 26: 0.9866), renames the switch
// chips and NICs and says so; asking for the preset's own transport
// changes nothing; a preset that does not name its transport, an unknown
// transport and a topology without a scale-out network are refused.
func TestTransport(t *testing.T) {
	ib, err := LoadOpts("hgx-h100", LoadOptions{Domains: 2})
	if err != nil {
		t.Fatal(err)
	}
	same, err := LoadOpts("hgx-h100", LoadOptions{Domains: 2, Transport: "infiniband"})
	if err != nil {
		t.Fatal(err)
	}
	roce, err := LoadOpts("hgx-h100", LoadOptions{Domains: 2, Transport: "RoCE"})
	if err != nil {
		t.Fatal(err)
	}
	if ib.Transport != "infiniband" || same.Transport != "infiniband" || roce.Transport != "roce" {
		t.Errorf("transports %q, %q, %q; want infiniband, infiniband, roce", ib.Transport, same.Transport, roce.Transport)
	}
	want := (4096.0 / 4178) / (4096.0 / 4122)
	if r := nicLinkEfficiency(t, roce) / nicLinkEfficiency(t, ib); math.Abs(r-want) > 1e-12 || math.Abs(r-0.9866) > 1e-4 {
		t.Errorf("RoCE over IB NIC link efficiency %.6f, want %.6f", r, want)
	}
	if nicLinkEfficiency(t, same) != nicLinkEfficiency(t, ib) {
		t.Error("the preset's own transport changed its links")
	}
	for _, s := range roce.Switches {
		if s.Domain < 0 && !strings.Contains(s.Spec.Name, "RoCE") {
			t.Errorf("scale-out switch %q not named for RoCE", s.Spec.Name)
		}
	}
	back, err := LoadOpts("cm384", LoadOptions{Domains: 2, Transport: "infiniband"})
	if err != nil {
		t.Fatal(err)
	}
	orig, err := LoadOpts("cm384", LoadOptions{Domains: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r := nicLinkEfficiency(t, back) / nicLinkEfficiency(t, orig); math.Abs(r*want-1) > 1e-12 {
		t.Errorf("cm384 on InfiniBand: efficiency ratio %.6f, want %.6f", r, 1/want)
	}
	for _, tc := range []struct {
		name, transport, want string
	}{
		{"tpu-v5p-cube", "roce", "does not say which transport"},
		{"hgx-h100", "ethernet", "want infiniband or roce"},
	} {
		if _, err := LoadOpts(tc.name, LoadOptions{Domains: 2, Transport: tc.transport}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on %s: %v, want an error saying %q", tc.name, tc.transport, err, tc.want)
		}
	}
}
