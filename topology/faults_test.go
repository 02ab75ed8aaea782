package topology

import (
	"strings"
	"testing"
)

func mustLoad(t *testing.T, name string) *Topology {
	t.Helper()
	top, err := Load(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

func mustFault(t *testing.T, top *Topology, specs ...string) *Topology {
	t.Helper()
	fs, err := ParseFaults(specs)
	if err != nil {
		t.Fatal(err)
	}
	out, err := top.WithFaults(fs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want Fault
	}{
		{"switch:sw3", Fault{Kind: FaultSwitch, Target: "sw3"}},
		{"plane:03", Fault{Kind: FaultPlane, Target: "3"}},
		{"link:acc0.die1-s0.l1.2", Fault{Kind: FaultLink, Target: "acc0.die1-s0.l1.2"}},
		{"accel:17", Fault{Kind: FaultAccel, Target: "17"}},
		{"Degrade:acc0-sw0=0.5", Fault{Kind: FaultDegrade, Target: "acc0-sw0", Fraction: 0.5}},
	} {
		got, err := ParseFault(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
		again, err := ParseFault(got.String())
		if err != nil || again != got {
			t.Errorf("%s: round trip %q gives %+v, %v", tc.spec, got.String(), again, err)
		}
	}
	for _, tc := range []struct{ spec, msg string }{
		{"sw3", "want KIND:TARGET"},
		{"swich:sw3", `did you mean "switch"?`},
		{"plane:x", "not a plane number"},
		{"plane:-1", "not a plane number"},
		{"link:acc0", "joined by '-'"},
		{"degrade:acc0-sw0", "degrade:A-B=FRACTION"},
		{"degrade:acc0-sw0=1.5", "above 0 and below 1"},
		{"degrade:acc0-sw0=0", "above 0 and below 1"},
		{"accel:", "no target"},
		{"switch:[", "bad pattern"},
	} {
		_, err := ParseFault(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v; want %q", tc.spec, err, tc.msg)
		}
	}
}

// TestFaultPlaneNVL72: one NVSwitch plane of 18 gone leaves each GPU 17/18
// of its scale-up bandwidth; the original is untouched and summaries work.
func TestFaultPlaneNVL72(t *testing.T) {
	top := mustLoad(t, "gb200-nvl72")
	links, bw, bis := len(top.Links), top.ScaleUpBytesPerS(0), top.Bisection()
	f := mustFault(t, top, "plane:3")
	if len(top.Links) != links || top.ScaleUpBytesPerS(0) != bw || len(top.Faults) != 0 {
		t.Fatal("WithFaults changed its receiver")
	}
	if got := f.ScaleUpBytesPerS(0); !near(got, bw*17/18) {
		t.Errorf("GPU scale-up %g after one plane, want 17/18 of %g", got, bw)
	}
	if got := f.Bisection(); !near(got, bis*17/18) {
		t.Errorf("bisection %g, want 17/18 of %g", got, bis)
	}
	s := Summarize(f)
	if s.Accelerators != 72 || s.SwitchChips != Summarize(top).SwitchChips || s.Links >= Summarize(top).Links {
		t.Errorf("summary %+v", s)
	}
	if len(f.Faults) != 1 || f.Faults[0].String() != "plane:3" {
		t.Errorf("faults %v", f.Faults)
	}
	for _, a := range f.Adjacent(f.Switches[3].Node) {
		t.Errorf("failed switch still has link %d", a.Link)
	}
	// switch:sw3 is the same fault.
	g := mustFault(t, top, "switch:sw3")
	if len(g.Links) != len(f.Links) {
		t.Errorf("switch:sw3 leaves %d links, plane:3 %d", len(g.Links), len(f.Links))
	}
}

// TestFaultSubplaneCM384: failing the 16 L2 chips of one of 7 sub-planes
// (a glob) leaves each server 6/7 of its uplinks; plane:k also takes the
// L1 chips, leaving each die 6/7 of its links.
func TestFaultSubplaneCM384(t *testing.T) {
	top := mustLoad(t, "cm384")
	f := mustFault(t, top, "switch:l2.sp3.*")
	if got, want := f.Bisection(), top.Bisection()*6/7; !near(got, want) {
		t.Errorf("bisection %g with one L2 sub-plane out, want %g", got, want)
	}
	p := mustFault(t, top, "plane:3")
	if got, want := p.ScaleUpBytesPerS(0), top.ScaleUpBytesPerS(0)*6/7; !near(got, want) {
		t.Errorf("NPU scale-up %g with plane 3 out, want %g", got, want)
	}
	failed := 0
	for _, sw := range p.Switches {
		if len(p.Adjacent(sw.Node)) == 0 {
			failed++
		}
	}
	if failed != 48+16 {
		t.Errorf("%d switch chips without links; want 48 L1 + 16 L2", failed)
	}
}

func TestFaultLinksAndAccels(t *testing.T) {
	top := mustLoad(t, "cm384")
	// An accelerator name stands for all its dies.
	l := mustFault(t, top, "link:acc0-s0.l1.2")
	if len(top.Links)-len(l.Links) != 2 {
		t.Errorf("link:acc0-s0.l1.2 removed %d links, want 2 (one per die)", len(top.Links)-len(l.Links))
	}
	l = mustFault(t, top, "link:acc0.die1-s0.l1.2")
	if len(top.Links)-len(l.Links) != 1 {
		t.Errorf("link:acc0.die1-s0.l1.2 removed %d links", len(top.Links)-len(l.Links))
	}
	d := mustFault(t, top, "degrade:acc0.die0-s0.l1.0=0.5")
	if got, want := d.ScaleUpBytesPerS(0), top.ScaleUpBytesPerS(0)-28e9/2; !near(got, want) {
		t.Errorf("degraded scale-up %g, want %g", got, want)
	}
	a := mustFault(t, top, "accel:17")
	if !a.Accels[17].Failed || top.Accels[17].Failed || a.LiveAccels() != 383 || len(a.LiveDies()) != 766 {
		t.Errorf("accel:17: failed %v, live %d, live dies %d", a.Accels[17].Failed, a.LiveAccels(), len(a.LiveDies()))
	}
	if a.ScaleUpBytesPerS(17) != 0 {
		t.Errorf("failed accelerator keeps %g B/s", a.ScaleUpBytesPerS(17))
	}
	if b := mustFault(t, top, "accel:acc17"); !b.Accels[17].Failed {
		t.Error("accel:acc17 did not fail accelerator 17")
	}
	// Faults stack.
	two := mustFault(t, a, "plane:0")
	if len(two.Faults) != 2 || !two.Accels[17].Failed {
		t.Errorf("stacked faults %v", two.Faults)
	}
}

func TestFaultUnknownNames(t *testing.T) {
	nvl := mustLoad(t, "gb200-nvl72")
	cm := mustLoad(t, "cm384")
	for _, tc := range []struct {
		top        *Topology
		spec, want string
	}{
		{nvl, "switch:sw3x", `did you mean "sw3"?`},
		{nvl, "switch:nvsw3", `did you mean "sw3"?`},
		{nvl, "plane:18", "planes 0 to 17"},
		{nvl, "accel:72", "accelerators 0 to 71"},
		{nvl, "accel:gpu3", `no accelerator named "gpu3"`},
		{nvl, "link:acc0-sw99", `no node named "sw99"; did you mean "sw9"?`},
		{nvl, "link:acc0-acc1", "no link between acc0 and acc1"},
		{cm, "link:acc0.die2-s0.l1.0", `did you mean "acc0.die0"?`},
		{cm, "switch:l2.sp9.*", "no switch chip named"},
		{mustLoad(t, "tpu-v5p-cube"), "plane:0", "no scale-up switch chips"},
	} {
		fs, err := ParseFaults([]string{tc.spec})
		if err != nil {
			t.Fatal(err)
		}
		_, err = tc.top.WithFaults(fs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s on %s: %v; want %q", tc.spec, tc.top.Name, err, tc.want)
		}
	}
}

func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"switch:sw3", "plane:3", "link:acc0-sw0", "link:acc0.die1-s0.l1.2", "accel:17",
		"degrade:acc0-sw0=0.5", "switch:l2.sp3.*", "degrade:a-b=1e-3", ":", "plane:", "link:-"} {
		f.Add(s)
	}
	top, err := Load("gb200-nvl72", 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ft, err := ParseFault(spec)
		if err != nil {
			if !strings.Contains(err.Error(), "fault") {
				t.Fatalf("error %q does not say it is about a fault", err)
			}
			return
		}
		again, err := ParseFault(ft.String())
		if err != nil || again != ft {
			t.Fatalf("%q parses to %+v, which prints as %q and reads back as %+v, %v", spec, ft, ft.String(), again, err)
		}
		// Applying it either works or says why; it never panics or
		// changes the receiver.
		n := len(top.Links)
		if out, err := top.WithFaults([]Fault{ft}); err == nil && len(out.Links) > n {
			t.Fatalf("%q added links", spec)
		}
		if len(top.Links) != n {
			t.Fatalf("%q changed the receiver", spec)
		}
	})
}
