package topology

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

// FaultKind says what a fault takes out.
type FaultKind string

// Fault kinds.
const (
	// FaultSwitch fails one switch chip (or every chip a glob such as
	// "l2.sp3.*" matches): it loses all its links.
	FaultSwitch FaultKind = "switch"
	// FaultPlane fails every scale-up switch chip of one plane, in every
	// domain (an NVSwitch plane of NVL72; an L1 chip of every server and the
	// L2 sub-plane of CloudMatrix).
	FaultPlane FaultKind = "plane"
	// FaultLink removes every link between two named nodes.
	FaultLink FaultKind = "link"
	// FaultAccel fails an accelerator: its dies lose all their links and
	// collectives place no ranks on them.
	FaultAccel FaultKind = "accel"
	// FaultDegrade scales the bandwidth of every link between two named
	// nodes by Fraction.
	FaultDegrade FaultKind = "degrade"
)

// FaultKinds lists the kinds in the order help text shows them.
var FaultKinds = []FaultKind{FaultSwitch, FaultPlane, FaultLink, FaultAccel, FaultDegrade}

// Fault is one failed or degraded element, as written on the command line
// (--fail) and in scenario files (faults:): "switch:sw3", "plane:3",
// "link:acc0-sw0", "accel:17", "degrade:acc0-sw0=0.5".
type Fault struct {
	Kind FaultKind
	// Target names the element: a switch chip's name (or a glob), a plane
	// number, two node names joined by "-", an accelerator index or name.
	Target string
	// Fraction is the bandwidth a degraded link keeps (0 < Fraction < 1).
	Fraction float64
}

// String writes the fault back in the form ParseFault reads.
func (f Fault) String() string {
	if f.Kind == FaultDegrade {
		return fmt.Sprintf("%s:%s=%s", f.Kind, f.Target, strconv.FormatFloat(f.Fraction, 'g', -1, 64))
	}
	return string(f.Kind) + ":" + f.Target
}

// FaultSyntax is a one-line reminder of the fault forms, for messages.
const FaultSyntax = "switch:NAME (or a glob, switch:l2.sp3.*), plane:N, link:A-B, accel:N, degrade:A-B=FRACTION"

// ParseFault reads one fault spec. It checks the form only; names are
// checked against a topology by WithFaults.
func ParseFault(spec string) (Fault, error) {
	kind, target, ok := strings.Cut(strings.TrimSpace(spec), ":")
	if !ok {
		return Fault{}, fmt.Errorf("fault %q: want KIND:TARGET, one of %s", spec, FaultSyntax)
	}
	f := Fault{Kind: FaultKind(strings.ToLower(strings.TrimSpace(kind))), Target: strings.TrimSpace(target)}
	if !slices.Contains(FaultKinds, f.Kind) {
		names := make([]string, len(FaultKinds))
		for i, k := range FaultKinds {
			names[i] = string(k)
		}
		msg := fmt.Sprintf("fault %q: unknown kind %q", spec, kind)
		if n := strictyaml.Nearest(string(f.Kind), names); n != "" {
			msg += fmt.Sprintf(", did you mean %q?", n)
		}
		return Fault{}, fmt.Errorf("%s (kinds: %s)", msg, strings.Join(names, ", "))
	}
	if f.Target == "" {
		return Fault{}, fmt.Errorf("fault %q: no target; want one of %s", spec, FaultSyntax)
	}
	switch f.Kind {
	case FaultPlane:
		n, err := strconv.Atoi(f.Target)
		if err != nil || n < 0 {
			return Fault{}, fmt.Errorf("fault %q: plane %q is not a plane number (0, 1, ...)", spec, f.Target)
		}
		f.Target = strconv.Itoa(n)
	case FaultSwitch:
		if _, err := path.Match(f.Target, ""); err != nil {
			return Fault{}, fmt.Errorf("fault %q: bad pattern %q: %v", spec, f.Target, err)
		}
	case FaultAccel:
		if n, err := strconv.Atoi(f.Target); err == nil {
			if n < 0 {
				return Fault{}, fmt.Errorf("fault %q: accelerator index %d is negative", spec, n)
			}
			f.Target = strconv.Itoa(n)
		}
	case FaultLink:
		if !strings.Contains(f.Target, "-") {
			return Fault{}, fmt.Errorf("fault %q: want two node names joined by '-', e.g. link:acc0-sw0", spec)
		}
	case FaultDegrade:
		t, frac, ok := strings.Cut(f.Target, "=")
		if !ok || !strings.Contains(t, "-") {
			return Fault{}, fmt.Errorf("fault %q: want degrade:A-B=FRACTION, e.g. degrade:acc0-sw0=0.5", spec)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(frac), 64)
		if err != nil || math.IsNaN(v) || v <= 0 || v >= 1 {
			return Fault{}, fmt.Errorf("fault %q: fraction %q must be a number above 0 and below 1 (the share of bandwidth kept; use link: for a failed link)", spec, frac)
		}
		f.Target, f.Fraction = strings.TrimSpace(t), v
	}
	return f, nil
}

// ParseFaults reads a list of fault specs.
func ParseFaults(specs []string) ([]Fault, error) {
	out := make([]Fault, 0, len(specs))
	for _, s := range specs {
		f, err := ParseFault(s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// FaultList writes faults as a comma-separated list of specs.
func FaultList(fs []Fault) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.String()
	}
	return strings.Join(s, ", ")
}

// WithFaults returns a copy of t with the faults applied: failed switch
// chips and accelerators lose every link (accelerators are also marked
// Failed), failed links are removed and degraded links keep Fraction of
// their bandwidth. Devices stay in place (counts, power budget and names
// are unchanged); only the links go. t itself is not changed. The result
// records the faults in Faults, after any t already had.
func (t *Topology) WithFaults(fs []Fault) (*Topology, error) {
	if len(fs) == 0 {
		return t, nil
	}
	n := len(t.Links)
	drop := make([]bool, n)
	scale := make([]float64, n)
	for i := range scale {
		scale[i] = 1
	}
	failedAcc := map[int]bool{}
	r := newResolver(t)
	for _, f := range fs {
		switch f.Kind {
		case FaultSwitch, FaultPlane:
			nodes, err := r.switches(f)
			if err != nil {
				return nil, err
			}
			for _, id := range nodes {
				for _, a := range t.adj[id] {
					drop[a.Link] = true
				}
			}
		case FaultAccel:
			ai, err := r.accel(f.Target)
			if err != nil {
				return nil, fmt.Errorf("fault %s: %w", f, err)
			}
			failedAcc[ai] = true
			for _, d := range t.Accels[ai].Dies {
				for _, a := range t.adj[d] {
					drop[a.Link] = true
				}
			}
		case FaultLink, FaultDegrade:
			links, err := r.links(f.Target)
			if err != nil {
				return nil, fmt.Errorf("fault %s: %w", f, err)
			}
			for _, l := range links {
				if f.Kind == FaultLink {
					drop[l] = true
				} else {
					scale[l] *= f.Fraction
				}
			}
		default:
			return nil, fmt.Errorf("fault %s: unknown kind %q", f, f.Kind)
		}
	}
	c := *t
	c.Links = make([]Link, 0, n)
	for i, l := range t.Links {
		if drop[i] {
			continue
		}
		l.BytesPerS *= scale[i]
		c.Links = append(c.Links, l)
	}
	c.Accels = slices.Clone(t.Accels)
	for ai := range failedAcc {
		c.Accels[ai].Failed = true
	}
	c.Faults = append(slices.Clone(t.Faults), fs...)
	c.Assumptions = append(slices.Clone(t.Assumptions), "Faults applied: "+FaultList(c.Faults)+".")
	c.finish()
	return &c, nil
}

// LiveDies lists the dies of accelerators that have not failed, in rank
// order; it is Dies when none has.
func (t *Topology) LiveDies() []NodeID {
	out := make([]NodeID, 0, len(t.Accels)*2)
	for _, a := range t.Accels {
		if !a.Failed {
			out = append(out, a.Dies...)
		}
	}
	return out
}

// LiveAccels is how many accelerators have not failed.
func (t *Topology) LiveAccels() int {
	n := 0
	for _, a := range t.Accels {
		if !a.Failed {
			n++
		}
	}
	return n
}

// resolver finds the elements fault targets name.
type resolver struct {
	t      *Topology
	byName map[string][]NodeID // node names, and accelerator names for all their dies
	accels map[string]int      // accelerator name -> index
	names  []string
}

func newResolver(t *Topology) *resolver {
	r := &resolver{t: t, byName: map[string][]NodeID{}, accels: map[string]int{}}
	for id, nd := range t.Nodes {
		r.byName[nd.Name] = append(r.byName[nd.Name], NodeID(id))
		r.names = append(r.names, nd.Name)
	}
	for ai, a := range t.Accels {
		if len(a.Dies) == 0 {
			continue
		}
		name := t.Nodes[a.Dies[0]].Name
		if len(a.Dies) > 1 {
			name = strings.TrimSuffix(name, ".die0")
			if _, ok := r.byName[name]; !ok {
				r.byName[name] = slices.Clone(a.Dies)
				r.names = append(r.names, name)
			}
		}
		r.accels[name] = ai
	}
	return r
}

// suggest is an error for an unknown name with the nearest valid ones.
func suggest(what, name string, names []string) error {
	msg := fmt.Sprintf("no %s named %q", what, name)
	if n := strictyaml.Nearest(name, names); n != "" {
		msg += fmt.Sprintf("; did you mean %q?", n)
	}
	if len(names) > 0 {
		ex := names[:min(len(names), 4)]
		msg += fmt.Sprintf(" (names look like %s)", strings.Join(ex, ", "))
	}
	return fmt.Errorf("%s", msg)
}

// switches resolves a switch or plane fault to switch chip nodes.
func (r *resolver) switches(f Fault) ([]NodeID, error) {
	t := r.t
	var out []NodeID
	if f.Kind == FaultPlane {
		p, _ := strconv.Atoi(f.Target)
		maxPlane := int32(-1)
		for _, sw := range t.Switches {
			if sw.Domain < 0 {
				continue
			}
			maxPlane = max(maxPlane, sw.Plane)
			if int(sw.Plane) == p {
				out = append(out, sw.Node)
			}
		}
		if len(out) == 0 {
			if maxPlane < 0 {
				return nil, fmt.Errorf("fault %s: %s has no scale-up switch chips, so no planes", f, t.Name)
			}
			return nil, fmt.Errorf("fault %s: %s has planes 0 to %d", f, t.Name, maxPlane)
		}
		return out, nil
	}
	var names []string
	for _, sw := range t.Switches {
		name := t.Nodes[sw.Node].Name
		names = append(names, name)
		if ok, _ := path.Match(f.Target, name); ok {
			out = append(out, sw.Node)
		}
	}
	if len(out) == 0 {
		if len(names) == 0 {
			return nil, fmt.Errorf("fault %s: %s has no switch chips", f, t.Name)
		}
		return nil, fmt.Errorf("fault %s: %w", f, suggest("switch chip", f.Target, names))
	}
	return out, nil
}

// accel resolves an accelerator index or name.
func (r *resolver) accel(target string) (int, error) {
	if n, err := strconv.Atoi(target); err == nil {
		if n >= len(r.t.Accels) {
			return 0, fmt.Errorf("%s has accelerators 0 to %d", r.t.Name, len(r.t.Accels)-1)
		}
		return n, nil
	}
	if ai, ok := r.accels[target]; ok {
		return ai, nil
	}
	names := make([]string, 0, len(r.accels))
	for _, a := range r.t.Accels {
		if len(a.Dies) > 0 {
			names = append(names, strings.TrimSuffix(r.t.Nodes[a.Dies[0]].Name, ".die0"))
		}
	}
	return 0, suggest("accelerator", target, names)
}

// links resolves "A-B" to the links between the nodes A and B name. Names
// may hold '-', so every split is tried; exactly the splits naming two
// known nodes count.
func (r *resolver) links(target string) ([]int32, error) {
	var a, b []NodeID
	var an, bn string
	found := false
	for i := 0; i < len(target); i++ {
		if target[i] != '-' {
			continue
		}
		x, y := r.byName[target[:i]], r.byName[target[i+1:]]
		if x != nil && y != nil {
			a, b, an, bn, found = x, y, target[:i], target[i+1:], true
			break
		}
	}
	if !found {
		x, y, _ := strings.Cut(target, "-")
		if r.byName[x] == nil {
			return nil, suggest("node", x, r.names)
		}
		if r.byName[y] == nil {
			return nil, suggest("node", y, r.names)
		}
		return nil, fmt.Errorf("%q does not name two nodes", target)
	}
	in := map[NodeID]bool{}
	for _, id := range b {
		in[id] = true
	}
	var out []int32
	for _, id := range a {
		for _, adj := range r.t.adj[id] {
			if in[adj.Peer] {
				out = append(out, adj.Link)
			}
		}
	}
	if len(out) == 0 {
		var peers []string
		for _, id := range a {
			for _, adj := range r.t.adj[id] {
				peers = append(peers, r.t.Nodes[adj.Peer].Name)
			}
		}
		slices.Sort(peers)
		peers = slices.Compact(peers)
		msg := fmt.Sprintf("no link between %s and %s", an, bn)
		if n := strictyaml.Nearest(bn, peers); n != "" {
			msg += fmt.Sprintf("; %s links to %q, among others", an, n)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
