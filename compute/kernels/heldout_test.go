package kernels

import (
	"reflect"
	"testing"
)

// TestHeldOutCounts: HeldOut's "all" rows hold every fit's check rows
// (the N each fit records), its bands add up to them, and two calls agree
// row for row.
func TestHeldOutCounts(t *testing.T) {
	rows, err := HeldOut()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, g := range gemmFits {
		want[g.System+"|"+ClassGEMM+"|"+engineName(g.Engine)] += g.CheckN
	}
	for _, a := range attentionFits {
		c := ClassAttentionGen
		if a.Phase == Context {
			c = ClassAttentionCtx
		}
		want[a.System+"|"+c+"|"+engineName(a.Engine)] += a.CheckN
	}
	for _, a := range mlaFits {
		c := ClassMLAGen
		if a.Phase == Context {
			c = ClassMLACtx
		}
		want[a.System+"|"+c+"|"+engineName(a.Engine)] += a.CheckN
	}
	for _, m := range moeFits {
		want[m.System+"|"+ClassMoE+"|"+engineName(m.Engine)] += m.CheckN
	}
	all, bands := map[string]int{}, map[string]int{}
	for _, r := range rows {
		k := r.System + "|" + r.Class + "|" + r.Engine
		if r.Band == bandAll {
			all[k] += r.N
		} else {
			bands[k] += r.N
		}
	}
	if !reflect.DeepEqual(all, want) || !reflect.DeepEqual(bands, want) {
		t.Errorf("held-out rows by group: all %v, bands %v; the fits record %v", all, bands, want)
	}
	again, err := HeldOut()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows, again) {
		t.Error("HeldOut differs between two calls")
	}
}
