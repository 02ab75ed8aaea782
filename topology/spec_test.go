package topology

import (
	"strings"
	"testing"
)

// TestSpecSections converts a file's sections one at a time, each alone:
// the accelerator, the server's overhead rule, and the PUE rule, each
// naming its field when it fails.
func TestSpecSections(t *testing.T) {
	f, _, err := ParseFile("t.yaml", []byte(`
name: t
accelerator: {name: X, dies: 2, die_link: 500 GB/s/dir, hbm: 96 GB, hbm_bandwidth: 4 TB/s, idle_power: 100 W, max_power: 700 W, peak_flops: {bf16: 1 PFLOP/s}}
server: {count: 2, accelerators: 4, overhead_power: 1 kW, overhead_idle_power: 500 W, overhead_load_power: 900 W}
power: {cooling: liquid, pue: {liquid: 1.1}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b := &specBuilder{c: &conv{file: "t.yaml"}, f: f, optics: map[string]int{}, switches: map[string]*SwitchSpec{}}
	acc := b.accelerator()
	if b.c.err != nil || acc.Dies != 2 || acc.HBMBytes != 96e9 || acc.PeakFLOPS[BF16] != 1e15 {
		t.Fatalf("accelerator: %v, %+v", b.c.err, acc)
	}
	var cs ClusterSpec
	var d DomainSpec
	b.server(&cs, &d)
	if b.c.err != nil || d.Servers != 2 || d.AccelsPerServer != 4 || cs.ServerOverheadLoadW != 900 {
		t.Fatalf("server: %v, %+v", b.c.err, d)
	}
	b.power(&cs)
	if b.c.err != nil || cs.Cooling != Liquid || cs.PUE[Liquid] != 1.1 {
		t.Fatalf("power: %v, %v %v", b.c.err, cs.Cooling, cs.PUE)
	}

	f.Server.OverheadLoadPower = f.Server.OverheadPower // 1 kW
	f.Server.OverheadIdlePower.Text, f.Server.OverheadPower.Text = "2 kW", "3 kW"
	b = &specBuilder{c: &conv{file: "t.yaml"}, f: f}
	b.server(&cs, &d)
	if b.c.err == nil || !strings.Contains(b.c.err.Error(), "server.overhead_idle_power") {
		t.Errorf("idle overhead above the load overhead: %v", b.c.err)
	}
	f.Power.PUE = nil
	b = &specBuilder{c: &conv{file: "t.yaml"}, f: f}
	b.power(&cs)
	if b.c.err == nil || !strings.Contains(b.c.err.Error(), "no PUE for the compute racks' cooling") {
		t.Errorf("no PUE: %v", b.c.err)
	}
}
