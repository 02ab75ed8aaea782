package network

import (
	"slices"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

// TestNearKeptChangesNothing: Automorphism's neighbourhood pre-check
// (nearKept) only refuses what the colour refinement would refuse: on
// fabrics of every kind, for shifts of the dies within servers, of whole
// servers and within blocks of servers (the moves the orbit form tries,
// most of them no automorphism), Automorphism gives the same answer and
// the same permutation with the check as without it; some moves are
// automorphisms and the check refuses some others.
func TestNearKeptChangesNothing(t *testing.T) {
	defer func(on bool) { nearCheck = on }(nearCheck)
	cases := []struct {
		name    string
		domains int
	}{{"hgx-h100", 4}, {"hgx-h100", 300}, {"gb200-nvl72", 2}, {"cm384", 0}, {"tpu-v5p-cube", 0}, {"nvl36x2", 4}}
	refused, found := 0, 0
	for _, c := range cases {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		var from []Vertex
		f := NewFabric(top)
		for _, d := range top.LiveDies() {
			from = append(from, f.Vertex(d))
		}
		n := len(from)
		per := n / top.Servers
		var moves []func(int) int
		for _, b := range []int{1, 2, per / 2} {
			if b >= 1 && b < per {
				moves = append(moves, func(r int) int { return r/per*per + (r%per+b)%per })
			}
		}
		for _, b := range []int{1, 2, 4, 32, 64} {
			if s := b * per; s < n {
				moves = append(moves, func(r int) int { return (r + s) % n })
				if n%(2*s) == 0 {
					moves = append(moves, func(r int) int { return r/(2*s)*(2*s) + (r%(2*s)+s)%(2*s) })
				}
			}
		}
		for k, mv := range moves {
			to := make([]Vertex, n)
			for r := range n {
				to[r] = from[mv(r)]
			}
			var perms [2][]Vertex
			var oks [2]bool
			for i, on := range []bool{true, false} {
				nearCheck = on
				perms[i], oks[i] = NewFabric(top).Automorphism(from, to)
			}
			if oks[0] != oks[1] || !slices.Equal(perms[0], perms[1]) {
				t.Errorf("%s x%d move %d: with the check ok=%v, without ok=%v (or another permutation)", c.name, c.domains, k, oks[0], oks[1])
			}
			if oks[0] {
				found++
			}
			nearCheck = true
			g := NewFabric(top)
			rel := make([]bool, g.Vertices())
			for v := range rel {
				rel[v] = g.transit[v]
			}
			for _, v := range from {
				rel[v] = true
			}
			if !g.nearKept(from, to, rel) {
				refused++
			}
		}
	}
	if refused == 0 || found == 0 {
		t.Errorf("the check refused %d moves and %d were automorphisms: want some of each", refused, found)
	}
	t.Logf("%d moves refused by the check, %d automorphisms", refused, found)
}
