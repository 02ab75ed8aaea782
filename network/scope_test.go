package network

import (
	"testing"

	"github.com/cardsea/cardsea/topology"
)

// viaNIC reports whether r crosses a channel into or out of a NIC.
func viaNIC(f *Fabric, r *Route) bool {
	for _, s := range r.shares {
		ch := f.chans[s.ch]
		for _, v := range []Vertex{ch.From, ch.To} {
			if f.Topo.Nodes[f.members[v][0]].Kind == topology.KindNIC {
				return true
			}
		}
	}
	return false
}

// TestScope: with ScopeServer two GPUs of one NVL72 tray still talk over
// NVLink, two of different trays go out by a NIC; with ScopeNone even two
// GPUs of one HGX node do. A route and its reverse take as many hops (the
// rule admits the same paths from either end), and the default scope
// keeps every pair on the scale-up fabric.
func TestScope(t *testing.T) {
	for _, tc := range []struct {
		preset string
		scope  Scope
		a, b   int // die indices
		nic    bool
	}{
		{"gb200-nvl72", ScopeAll, 0, 4, false},
		{"gb200-nvl72", ScopeServer, 0, 1, false},
		{"gb200-nvl72", ScopeServer, 0, 4, true},
		{"gb200-nvl72", ScopeServer, 0, 72, true}, // the next domain
		{"hgx-h100", ScopeServer, 0, 1, false},
		{"hgx-h100", ScopeNone, 0, 1, true},
		{"hgx-h100", ScopeNone, 0, 9, true},
	} {
		top, err := topology.Load(tc.preset, 2)
		if err != nil {
			t.Fatal(err)
		}
		f := NewScopedFabric(top, tc.scope)
		dies := top.Dies()
		a, b := f.Vertex(dies[tc.a]), f.Vertex(dies[tc.b])
		r, err := f.Route(a, b)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.preset, tc.scope, err)
		}
		back, err := f.Route(b, a)
		if err != nil {
			t.Fatal(err)
		}
		if got := viaNIC(f, r); got != tc.nic {
			t.Errorf("%s scope %s, die %d to %d: through a NIC %v, want %v (%d hops)", tc.preset, tc.scope, tc.a, tc.b, got, tc.nic, r.hops)
		}
		if r.hops != back.hops || viaNIC(f, back) != tc.nic {
			t.Errorf("%s scope %s: die %d to %d takes %d hops, back %d", tc.preset, tc.scope, tc.a, tc.b, r.hops, back.hops)
		}
		want := top.Accels[top.Nodes[dies[tc.b]].Index].Domain
		switch tc.scope {
		case ScopeServer:
			want = top.Accels[top.Nodes[dies[tc.b]].Index].Server
		case ScopeNone:
			want = int32(dies[tc.b])
		}
		if got := f.Domain(dies[tc.b]); got != want {
			t.Errorf("%s scope %s: die %d in domain %d, want %d", tc.preset, tc.scope, tc.b, got, want)
		}
	}
}
