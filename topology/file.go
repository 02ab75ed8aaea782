package topology

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/units"
	"go.yaml.in/yaml/v4"
)

// Figure is one value of the file as written, with its source comment
// and position (see strictyaml.Figure).
type Figure = strictyaml.Figure

// File is the schema of a topology file. Presets are files of this form
// embedded in the binary; users write their own in the same form. Every
// number is a Figure whose line comment names its source.
type File struct {
	Name        string        `yaml:"name"`
	Title       string        `yaml:"title"`
	Description string        `yaml:"description"`
	Assumptions []string      `yaml:"assumptions"`
	Accelerator AccelFile     `yaml:"accelerator"`
	CPU         *CPUFile      `yaml:"cpu"`
	NIC         *NICFile      `yaml:"nic"`
	Switches    []SwitchFile  `yaml:"switches"`
	Optics      []OpticsFile  `yaml:"optics"`
	Server      ServerFile    `yaml:"server"`
	Fabric      FabricFile    `yaml:"fabric"`
	ScaleOut    *ScaleOutFile `yaml:"scale_out"`
	Power       PowerFile     `yaml:"power"`
	// Domains is how many scale-up domains to build (default 1).
	Domains Figure `yaml:"domains"`
	// Reliability gives failure rates per part kind.
	Reliability *ReliabilityFile `yaml:"reliability"`
}

// ReliabilityFile gives the failure rate of each part kind, annualised
// ("6.1%/yr": failures per part-year) or in FIT ("700 FIT": failures per
// 1e9 part-hours). What each kind counts is said on Reliability.
type ReliabilityFile struct {
	Accelerator   Figure `yaml:"accelerator"`
	HBM           Figure `yaml:"hbm"`
	Software      Figure `yaml:"software"`
	SwitchChip    Figure `yaml:"switch_chip"`
	OpticalModule Figure `yaml:"optical_module"`
	NIC           Figure `yaml:"nic"`
	CPU           Figure `yaml:"cpu"`
	Cable         Figure `yaml:"cable"`
	Server        Figure `yaml:"server"`
}

// AccelFile describes the accelerator package.
type AccelFile struct {
	Name         string            `yaml:"name"`
	Dies         Figure            `yaml:"dies"`
	PeakFLOPS    map[string]Figure `yaml:"peak_flops"`
	HBM          Figure            `yaml:"hbm"`
	HBMBandwidth Figure            `yaml:"hbm_bandwidth"`
	DieLink      Figure            `yaml:"die_link"`
	IdlePower    Figure            `yaml:"idle_power"`
	MaxPower     Figure            `yaml:"max_power"`
	// OpOverhead and StepLatency are the collective software costs: per
	// operation, and per algorithm step (the alpha term).
	OpOverhead  Figure `yaml:"op_overhead"`
	StepLatency Figure `yaml:"step_latency"`
	// BulkStepLatency is the per-step latency of the bulk protocol.
	BulkStepLatency Figure `yaml:"bulk_step_latency"`
	// MoEOverhead is the fixed cost of a fused MoE dispatch or combine.
	MoEOverhead Figure `yaml:"moe_overhead"`
	// CommPower is the package power while only communicating.
	CommPower Figure `yaml:"comm_power"`
	// Efficiency is the sustained fraction of peak compute and HBM
	// bandwidth per operator class.
	Efficiency EfficiencyFile `yaml:"efficiency"`
	// KernelLaunch is the fixed cost of launching one compute kernel.
	KernelLaunch Figure `yaml:"kernel_launch"`
	// Collectives is the collective library (nccl or hccl; default nccl).
	Collectives Figure `yaml:"collectives"`
}

// EfficiencyFile holds the sustained fractions per operator class.
type EfficiencyFile struct {
	GEMM      ClassEfficiencyFile `yaml:"gemm"`
	Attention ClassEfficiencyFile `yaml:"attention"`
	MoEGEMM   ClassEfficiencyFile `yaml:"moe_gemm"`
}

// ClassEfficiencyFile is one operator class's fraction of peak compute and
// of HBM bandwidth.
type ClassEfficiencyFile struct {
	Compute Figure `yaml:"compute"`
	Memory  Figure `yaml:"memory"`
}

// CPUFile describes a host CPU.
type CPUFile struct {
	Name      string `yaml:"name"`
	IdlePower Figure `yaml:"idle_power"`
	MaxPower  Figure `yaml:"max_power"`
}

// NICFile describes the scale-out NIC of each accelerator.
type NICFile struct {
	Name           string    `yaml:"name"`
	Ports          Figure    `yaml:"ports"`
	PortBandwidth  Figure    `yaml:"port_bandwidth"`
	Power          Figure    `yaml:"power"`
	ModulesPerPort Figure    `yaml:"modules_per_port"`
	Optics         string    `yaml:"optics"`
	Link           *LinkFile `yaml:"link"`
}

// SwitchFile describes a switch chip type; Name is what the fabric refers to.
type SwitchFile struct {
	Name          string `yaml:"name"`
	Chip          string `yaml:"chip"`
	Ports         Figure `yaml:"ports"`
	PortBandwidth Figure `yaml:"port_bandwidth"`
	Latency       Figure `yaml:"latency"`
	Power         Figure `yaml:"power"`
	Reduce        Figure `yaml:"reduce"`
	// ReduceEfficiency is the fraction of port bandwidth in-network
	// reduction achieves.
	ReduceEfficiency Figure `yaml:"reduce_efficiency"`
	// ReduceLatency is the fixed cost of one in-network reduction
	// (NVLS) operation.
	ReduceLatency Figure `yaml:"reduce_latency"`
	// IdlePower is the chip's power with no traffic (power is at full load).
	IdlePower Figure `yaml:"idle_power"`
	Cooling   string `yaml:"cooling"`
}

// OpticsFile describes an optical module type.
type OpticsFile struct {
	Name  string `yaml:"name"`
	Power Figure `yaml:"power"`
}

// ServerFile says what each server (node, tray, board) of a domain holds.
type ServerFile struct {
	Count              Figure `yaml:"count"`
	Accelerators       Figure `yaml:"accelerators"`
	CPUs               Figure `yaml:"cpus"`
	NICsPerAccelerator Figure `yaml:"nics_per_accelerator"`
	OverheadPower      Figure `yaml:"overhead_power"`
	// OverheadIdlePower and OverheadLoadPower are what the same parts draw
	// with the accelerators idle and at full load (activity mode); the
	// rated overhead_power is for provisioned budgets.
	OverheadIdlePower Figure `yaml:"overhead_idle_power"`
	OverheadLoadPower Figure `yaml:"overhead_load_power"`
}

// LinkFile describes one class of links.
type LinkFile struct {
	Lanes     Figure `yaml:"lanes"`
	Bandwidth Figure `yaml:"bandwidth"`
	Latency   Figure `yaml:"latency"`
	Medium    string `yaml:"medium"`
	// Efficiency is the fraction of the raw rate bulk collective traffic
	// achieves (protocol overhead), e.g. 0.82 for NVLink 4 ring traffic.
	Efficiency     Figure `yaml:"efficiency"`
	ModulesPerLane Figure `yaml:"modules_per_lane"`
	Optics         string `yaml:"optics"`
}

// FabricFile describes the scale-up fabric. Kind selects the builder and
// which of the other fields apply.
type FabricFile struct {
	Kind string `yaml:"kind"`
	// switched
	Switch     string    `yaml:"switch"`
	Planes     Figure    `yaml:"planes"`
	Groups     Figure    `yaml:"groups"`
	CrossLanes Figure    `yaml:"cross_lanes"`
	Cross      *LinkFile `yaml:"cross_link"`
	// clos2
	L1            string    `yaml:"l1"`
	L1PerServer   Figure    `yaml:"l1_per_server"`
	L2            string    `yaml:"l2"`
	L2PerSubplane Figure    `yaml:"l2_per_subplane"`
	Uplink        *LinkFile `yaml:"uplink"`
	// torus
	Dims     Figure     `yaml:"dims"`
	DimLinks []LinkFile `yaml:"dim_links"`
	Wrap     *LinkFile  `yaml:"wrap_link"`
	// links: the scale-up switch chips by name, the links one by one, and
	// named link types beside `link` (the default type)
	Chips     []ChipFile          `yaml:"chips"`
	Links     []ExplicitLinkFile  `yaml:"links"`
	LinkTypes map[string]LinkFile `yaml:"link_types"`
	// every kind: accelerator links (per plane for switched, per die and L1
	// chip for clos2, per neighbour for mesh, ring and torus; the default
	// link type of links)
	Link    LinkFile  `yaml:"link"`
	CPULink *LinkFile `yaml:"cpu_link"`
}

// ChipFile is one scale-up switch chip of a links fabric: its name (what
// links call it), the switch it is (a name in switches), its tier and
// plane (which chips are interchangeable: the same tier, switch and
// neighbours).
type ChipFile struct {
	Name   string `yaml:"name"`
	Switch string `yaml:"switch"`
	Tier   string `yaml:"tier"`
	Plane  Figure `yaml:"plane"`
}

// ExplicitLinkFile is one connection of a links fabric: endpoints a and b
// (an accelerator acc3, a die acc3.die1, a CPU s0.cpu1 or a chip by its
// name; accelerators are numbered within the domain), its lanes and its
// link type (default: the fabric's link).
type ExplicitLinkFile struct {
	A     Figure `yaml:"a"`
	B     Figure `yaml:"b"`
	Lanes Figure `yaml:"lanes"`
	Type  string `yaml:"type"`
}

// ScaleOutFile describes the rail-optimised leaf/spine network that joins
// domains when there is more than one.
type ScaleOutFile struct {
	Leaf             string   `yaml:"leaf"`
	Spine            string   `yaml:"spine"`
	LeafDownPorts    Figure   `yaml:"leaf_down_ports"`
	Oversubscription Figure   `yaml:"oversubscription"`
	NICLink          LinkFile `yaml:"nic_link"`
	Uplink           LinkFile `yaml:"uplink"`
	// Transport names what the network's figures were measured on:
	// infiniband or roce (see Transports); other networks (TPU DCN, EFA)
	// leave it out.
	Transport string `yaml:"transport"`
}

// PowerFile holds the facility side of the power model.
type PowerFile struct {
	Cooling string            `yaml:"cooling"`
	PUE     map[string]Figure `yaml:"pue"`
}

// ParseFile decodes a topology file strictly. name is used in messages.
func ParseFile(name string, data []byte) (*File, *yaml.Node, error) {
	var f File
	root, err := strictyaml.Decode(name, data, &f)
	if err != nil {
		return nil, nil, err
	}
	return &f, root, nil
}

// conv converts figures to values and collects the first error with its
// position.
type conv struct {
	file string
	err  error
}

func (c *conv) fail(f Figure, field, format string, args ...any) {
	if c.err == nil {
		c.err = &strictyaml.Error{File: c.file, Line: f.Line, Column: f.Column, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (c *conv) missing(field, example string) {
	if c.err == nil {
		c.err = &strictyaml.Error{File: c.file, Field: field, Msg: "missing; add it, e.g. `" + example + "`"}
	}
}

func (c *conv) parse(f Figure, field, example string, required bool, p func(string) (float64, error)) float64 {
	if !f.IsSet() {
		if required {
			c.missing(field, example)
		}
		return 0
	}
	v, err := p(f.Text)
	if err != nil {
		c.fail(f, field, "%v", err)
		return 0
	}
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		c.fail(f, field, "%q must be a finite, non-negative value", f.Text)
	}
	return v
}

func (c *conv) count(f Figure, field string, def int) int {
	if !f.IsSet() {
		return def
	}
	v, err := strconv.Atoi(f.Text)
	if err != nil || v < 0 {
		c.fail(f, field, "%q is not a whole number >= 0", f.Text)
		return def
	}
	return v
}

func (c *conv) positive(f Figure, field string, def int) int {
	v := c.count(f, field, def)
	if f.IsSet() && v < 1 {
		c.fail(f, field, "must be at least 1")
	}
	return v
}

func (c *conv) bytes(f Figure, field string, req bool) float64 {
	return c.parse(f, field, field+": 128 GB", req, units.ParseBytes)
}

func (c *conv) power(f Figure, field string, req bool) float64 {
	v := c.parse(f, field, field+": 700 W", req, units.ParsePower)
	if req && f.IsSet() && v == 0 {
		c.fail(f, field, "power must be more than 0 W")
	}
	return v
}

func (c *conv) duration(f Figure, field string) float64 {
	return c.parse(f, field, field+": 100 ns", false, units.ParseDuration)
}

func (c *conv) ratio(f Figure, field string, def float64) float64 {
	if !f.IsSet() {
		return def
	}
	return c.parse(f, field, field+": 1.2", false, units.ParseRatio)
}

// bandwidth parses a per-direction bandwidth; the file must say which
// direction a figure counts ("/dir", "uni", "bidir").
func (c *conv) bandwidth(f Figure, field string, req bool) float64 {
	return c.rate(f, field, field+": 50 GB/s/dir", req, true)
}

// rate parses a bandwidth; perDir demands a stated direction and returns
// the rate per direction, otherwise the figure is taken as written (memory
// bandwidth has no direction).
func (c *conv) rate(f Figure, field, example string, req, perDir bool) float64 {
	if !f.IsSet() {
		if req {
			c.missing(field, example)
		}
		return 0
	}
	bw, err := units.ParseBandwidth(f.Text)
	if err != nil {
		c.fail(f, field, "%v", err)
		return 0
	}
	if !perDir {
		return bw.BytesPerS
	}
	v, err := bw.PerDirBytesPerS(units.DirUnspecified)
	if err != nil {
		c.fail(f, field, "%v", err)
		return 0
	}
	return v
}

// fraction parses an efficiency in (0, 1]; absent means 0 (callers read
// 0 as 1).
func (c *conv) fraction(f Figure, field string) float64 {
	if !f.IsSet() {
		return 0
	}
	v := c.parse(f, field, field+": 0.82", false, units.ParseRatio)
	if v <= 0 || v > 1 {
		c.fail(f, field, "%q must be a fraction above 0 and at most 1 (or a percentage up to 100%%)", f.Text)
	}
	return v
}

func (c *conv) efficiency(e ClassEfficiencyFile, field string) Efficiency {
	return Efficiency{
		Compute: c.fraction(e.Compute, field+".compute"),
		Memory:  c.fraction(e.Memory, field+".memory"),
	}
}

func (c *conv) flag(f Figure, field string) bool {
	if !f.IsSet() {
		return false
	}
	b, err := strconv.ParseBool(f.Text)
	if err != nil {
		c.fail(f, field, "%q is not true or false", f.Text)
	}
	return b
}

// Spec converts the file into a ClusterSpec, section by section (each a
// method of specBuilder, tested alone); domains > 0 overrides the file's
// domain count. Errors name the first bad field with its file position.
func (f *File) Spec(file string, domains int) (ClusterSpec, error) {
	b := &specBuilder{c: &conv{file: file}, f: f, optics: map[string]int{}, switches: map[string]*SwitchSpec{}}
	cs := ClusterSpec{Name: f.Name, Title: f.Title, Assumptions: f.Assumptions}
	if f.Name == "" {
		b.c.missing("name", "name: my-supernode")
	}
	b.opticsSection(&cs)
	d := DomainSpec{Accel: b.accelerator()}
	b.hosts(&d)
	b.switchSection()
	b.server(&cs, &d)
	b.fabric(&d)
	cs.Domain = d
	b.scaleOut(&cs, domains)
	b.reliability(&cs)
	b.power(&cs)
	return cs, b.c.err
}

// specBuilder converts a File's sections; c holds the first error, and
// optics and switches index the named parts that later sections refer to.
type specBuilder struct {
	c        *conv
	f        *File
	optics   map[string]int
	switches map[string]*SwitchSpec
}

// opticsRef is the index of the optical module a field names (-1 for
// none), or records the error of an unknown name.
func (b *specBuilder) opticsRef(name, field string) int {
	c, file := b.c, b.c.file
	if name == "" {
		return -1
	}
	i, ok := b.optics[name]
	if !ok && c.err == nil {
		c.err = &strictyaml.Error{File: file, Field: field, Msg: fmt.Sprintf("no optics named %q; %s", name, known(keys(b.optics)))}
	}
	if !ok {
		return -1
	}
	return i
}

// switchRef is the switch chip a field names, or records the error of a
// missing or unknown name.
func (b *specBuilder) switchRef(name, field string) *SwitchSpec {
	c, file := b.c, b.c.file
	s, ok := b.switches[name]
	if !ok && c.err == nil {
		if name == "" {
			c.missing(field, field+": "+firstKey(b.switches))
		} else {
			c.err = &strictyaml.Error{File: file, Field: field, Msg: fmt.Sprintf("no switch named %q; %s", name, known(keys(b.switches)))}
		}
	}
	return s
}

// opticsSection converts the optical modules.
func (b *specBuilder) opticsSection(cs *ClusterSpec) {
	c, f, optics := b.c, b.f, b.optics
	for i, o := range f.Optics {
		field := fmt.Sprintf("optics[%d]", i)
		if o.Name == "" {
			c.missing(field+".name", "name: lpo-400g")
		}
		optics[o.Name] = i
		cs.Optics = append(cs.Optics, OpticsSpec{Name: o.Name, PowerW: c.power(o.Power, field+".power", true)})
	}
}

// accelerator converts the accelerator.
func (b *specBuilder) accelerator() *AcceleratorSpec {
	c, f := b.c, b.f
	a := f.Accelerator
	acc := &AcceleratorSpec{Name: a.Name}
	if a.Name == "" {
		c.missing("accelerator.name", "name: H100 SXM")
	}
	acc.Dies = c.positive(a.Dies, "accelerator.dies", 1)
	for _, d := range Dtypes() {
		if fig, ok := a.PeakFLOPS[d.String()]; ok {
			acc.PeakFLOPS[d] = c.parse(fig, "accelerator.peak_flops."+d.String(), "bf16: 989 TFLOP/s", true, units.ParseFLOPS)
		}
	}
	for k, fig := range a.PeakFLOPS {
		if _, err := ParseDtype(k); err != nil {
			c.fail(fig, "accelerator.peak_flops."+k, "%v", err)
		}
	}
	acc.HBMBytes = c.bytes(a.HBM, "accelerator.hbm", true)
	acc.HBMBytesPerS = c.rate(a.HBMBandwidth, "accelerator.hbm_bandwidth", "hbm_bandwidth: 3.35 TB/s", true, false)
	acc.DieLinkBytesPerS = c.bandwidth(a.DieLink, "accelerator.die_link", acc.Dies > 1)
	acc.IdleW = c.power(a.IdlePower, "accelerator.idle_power", true)
	acc.MaxW = c.power(a.MaxPower, "accelerator.max_power", true)
	acc.OpOverheadS = c.duration(a.OpOverhead, "accelerator.op_overhead")
	acc.StepLatencyS = c.duration(a.StepLatency, "accelerator.step_latency")
	acc.BulkStepLatencyS = c.duration(a.BulkStepLatency, "accelerator.bulk_step_latency")
	acc.MoEOverheadS = c.duration(a.MoEOverhead, "accelerator.moe_overhead")
	acc.CommW = c.power(a.CommPower, "accelerator.comm_power", false)
	acc.Efficiency = Efficiencies{
		GEMM:      c.efficiency(a.Efficiency.GEMM, "accelerator.efficiency.gemm"),
		Attention: c.efficiency(a.Efficiency.Attention, "accelerator.efficiency.attention"),
		MoEGEMM:   c.efficiency(a.Efficiency.MoEGEMM, "accelerator.efficiency.moe_gemm"),
	}
	acc.KernelLaunchS = c.duration(a.KernelLaunch, "accelerator.kernel_launch")
	if a.Collectives.IsSet() {
		acc.Collectives = strings.ToLower(a.Collectives.Text)
		if !slices.Contains(CollectiveLibraries, acc.Collectives) {
			c.fail(a.Collectives, "accelerator.collectives", "unknown collective library %q; use one of %s", a.Collectives.Text, strings.Join(CollectiveLibraries, ", "))
		}
	}
	if c.err == nil && acc.MaxW < acc.IdleW {
		c.fail(a.MaxPower, "accelerator.max_power", "max power %s is below idle power %s", a.MaxPower.Text, a.IdlePower.Text)
	}
	return acc
}

// hosts converts the CPU and the NIC of a server.
func (b *specBuilder) hosts(d *DomainSpec) {
	c, f, opticsRef := b.c, b.f, b.opticsRef
	if f.CPU != nil {
		d.CPU = &CPUSpec{Name: f.CPU.Name,
			IdleW: c.power(f.CPU.IdlePower, "cpu.idle_power", true),
			MaxW:  c.power(f.CPU.MaxPower, "cpu.max_power", true)}
	}
	if f.NIC != nil {
		n := f.NIC
		d.NIC = &NICSpec{Name: n.Name,
			Ports:          c.positive(n.Ports, "nic.ports", 1),
			PortBytesPerS:  c.bandwidth(n.PortBandwidth, "nic.port_bandwidth", true),
			PowerW:         c.power(n.Power, "nic.power", true),
			ModulesPerPort: c.ratio(n.ModulesPerPort, "nic.modules_per_port", 0),
			Optics:         opticsRef(n.Optics, "nic.optics"),
		}
		if n.Link != nil {
			l := c.link(*n.Link, "nic.link", "nic", opticsRef)
			d.NICLink = &l
		}
	}
}

// switchSection converts the switch chips, by name.
func (b *specBuilder) switchSection() {
	c, f, file, switches := b.c, b.f, b.c.file, b.switches
	for i, s := range f.Switches {
		field := fmt.Sprintf("switches[%d]", i)
		if s.Name == "" {
			c.missing(field+".name", "name: nvswitch")
		}
		if _, dup := switches[s.Name]; dup && c.err == nil {
			c.err = &strictyaml.Error{File: file, Field: field + ".name", Msg: fmt.Sprintf("switch %q is described twice", s.Name)}
		}
		spec := &SwitchSpec{Name: s.Chip,
			Ports:            c.count(s.Ports, field+".ports", 0),
			PortBytesPerS:    c.bandwidth(s.PortBandwidth, field+".port_bandwidth", false),
			LatencyS:         c.duration(s.Latency, field+".latency"),
			PowerW:           c.power(s.Power, field+".power", true),
			Reduce:           c.flag(s.Reduce, field+".reduce"),
			ReduceEfficiency: c.fraction(s.ReduceEfficiency, field+".reduce_efficiency"),
			ReduceLatencyS:   c.duration(s.ReduceLatency, field+".reduce_latency"),
			IdleW:            c.power(s.IdlePower, field+".idle_power", false),
			Cooling:          Cooling(s.Cooling),
		}
		if spec.Name == "" {
			spec.Name = s.Name
		}
		if s.Cooling != "" && spec.Cooling != Liquid && spec.Cooling != Air && c.err == nil {
			c.err = &strictyaml.Error{File: file, Field: field + ".cooling", Msg: fmt.Sprintf("unknown cooling %q (want liquid or air)", s.Cooling)}
		}
		switches[s.Name] = spec
	}
}

// server converts the server: its counts and its overhead power.
func (b *specBuilder) server(cs *ClusterSpec, d *DomainSpec) {
	c, f := b.c, b.f
	sv := f.Server
	d.Servers = c.positive(sv.Count, "server.count", 1)
	d.AccelsPerServer = c.positive(sv.Accelerators, "server.accelerators", 1)
	d.CPUsPerServer = c.count(sv.CPUs, "server.cpus", 0)
	d.NICsPerAccel = c.count(sv.NICsPerAccelerator, "server.nics_per_accelerator", 0)
	if !sv.Accelerators.IsSet() {
		c.missing("server.accelerators", "accelerators: 8")
	}
	cs.ServerOverheadW = c.power(sv.OverheadPower, "server.overhead_power", false)
	cs.ServerOverheadIdleW = c.power(sv.OverheadIdlePower, "server.overhead_idle_power", false)
	cs.ServerOverheadLoadW = c.power(sv.OverheadLoadPower, "server.overhead_load_power", false)
	if sv.OverheadIdlePower.IsSet() != sv.OverheadLoadPower.IsSet() {
		f := sv.OverheadIdlePower
		if !f.IsSet() {
			f = sv.OverheadLoadPower
		}
		c.fail(f, "server.overhead_idle_power", "give overhead_idle_power and overhead_load_power together (what the server's other parts draw idle and at full load)")
	} else if cs.ServerOverheadIdleW > cs.ServerOverheadLoadW {
		c.fail(sv.OverheadIdlePower, "server.overhead_idle_power", "idle overhead %g W is more than the at-load overhead %g W", cs.ServerOverheadIdleW, cs.ServerOverheadLoadW)
	} else if sv.OverheadLoadPower.IsSet() && cs.ServerOverheadLoadW > cs.ServerOverheadW {
		c.fail(sv.OverheadLoadPower, "server.overhead_load_power", "at-load overhead %g W is more than the rated overhead_power %g W", cs.ServerOverheadLoadW, cs.ServerOverheadW)
	}
}

// fabric converts the scale-up fabric.
func (b *specBuilder) fabric(d *DomainSpec) {
	c, f, file, opticsRef, switchRef := b.c, b.f, b.c.file, b.opticsRef, b.switchRef
	fb := f.Fabric
	switch fb.Kind {
	case "switched":
		sf := &SwitchedFabric{Switch: switchRef(fb.Switch, "fabric.switch"),
			Planes:     c.positive(fb.Planes, "fabric.planes", 1),
			Groups:     c.positive(fb.Groups, "fabric.groups", 1),
			CrossLanes: c.count(fb.CrossLanes, "fabric.cross_lanes", 0),
		}
		sf.Link = c.link(fb.Link, "fabric.link", "accel-switch", opticsRef)
		sf.Lanes = c.laneList(fb.Link.Lanes, "fabric.link.lanes")
		if fb.Cross != nil {
			sf.CrossLink = c.link(*fb.Cross, "fabric.cross_link", "switch-switch", opticsRef)
		}
		if fb.CPULink != nil {
			l := c.link(*fb.CPULink, "fabric.cpu_link", "cpu-accel", opticsRef)
			sf.CPULink = &l
		}
		d.Fabric = sf
	case "clos2":
		cf := &Clos2Fabric{
			L1: switchRef(fb.L1, "fabric.l1"), L2: switchRef(fb.L2, "fabric.l2"),
			L1PerServer:   c.positive(fb.L1PerServer, "fabric.l1_per_server", 1),
			L2PerSubplane: c.positive(fb.L2PerSubplane, "fabric.l2_per_subplane", 1),
			AccelLink:     c.link(fb.Link, "fabric.link", "accel-l1", opticsRef),
		}
		if fb.Uplink == nil {
			c.missing("fabric.uplink", "uplink: {bandwidth: 28 GB/s/dir, medium: optical}")
		} else {
			cf.Uplink = c.link(*fb.Uplink, "fabric.uplink", "l1-l2", opticsRef)
		}
		if fb.CPULink != nil {
			l := c.link(*fb.CPULink, "fabric.cpu_link", "cpu-l1", opticsRef)
			cf.CPULink = &l
		}
		d.Fabric = cf
	case "mesh":
		mf := &MeshFabric{Link: c.link(fb.Link, "fabric.link", "accel-accel", opticsRef)}
		if fb.CPULink != nil {
			l := c.link(*fb.CPULink, "fabric.cpu_link", "cpu-accel", opticsRef)
			mf.CPULink = &l
		}
		d.Fabric = mf
	case "ring":
		d.Fabric = &RingFabric{Link: c.link(fb.Link, "fabric.link", "accel-accel", opticsRef)}
	case "torus":
		tf := &TorusFabric{Dims: c.dims(fb.Dims, "fabric.dims")}
		if len(fb.DimLinks) > 0 {
			for i, l := range fb.DimLinks {
				tf.Links = append(tf.Links, c.link(l, fmt.Sprintf("fabric.dim_links[%d]", i), fmt.Sprintf("torus-dim%d", i), opticsRef))
			}
		} else {
			tf.Links = []LinkSpec{c.link(fb.Link, "fabric.link", "torus", opticsRef)}
		}
		if fb.Wrap != nil {
			tf.WrapLinks = []LinkSpec{c.link(*fb.Wrap, "fabric.wrap_link", "torus-wrap", opticsRef)}
		}
		d.Fabric = tf
	case "links":
		d.Fabric = b.linksFabric(fb)
	case "":
		c.missing("fabric.kind", "kind: switched")
	default:
		if c.err == nil {
			c.err = &strictyaml.Error{File: file, Field: "fabric.kind",
				Msg: fmt.Sprintf("unknown fabric kind %q (want switched, clos2, mesh, ring, torus or links)", fb.Kind)}
		}
	}
}

// linksFabric converts a links fabric: its chips, its link types and its
// links, each link's endpoints kept as written (the builder resolves
// them) with the position of its a field for errors.
func (b *specBuilder) linksFabric(fb FabricFile) *LinksFabric {
	c, opticsRef := b.c, b.opticsRef
	lf := &LinksFabric{file: c.file}
	types := map[string]LinkSpec{"": c.link(fb.Link, "fabric.link", "link", opticsRef)}
	names := make([]string, 0, len(fb.LinkTypes))
	for name := range fb.LinkTypes {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		types[name] = c.link(fb.LinkTypes[name], "fabric.link_types."+name, name, opticsRef)
	}
	if fb.CPULink != nil {
		l := c.link(*fb.CPULink, "fabric.cpu_link", "cpu-accel", opticsRef)
		lf.CPULink = &l
	}
	for i, ch := range fb.Chips {
		field := fmt.Sprintf("fabric.chips[%d]", i)
		if ch.Name == "" {
			c.missing(field+".name", "name: l1.0")
		}
		lf.Chips = append(lf.Chips, LinksChip{Name: ch.Name, Spec: b.switchRef(ch.Switch, field+".switch"), Tier: ch.Tier, Plane: c.count(ch.Plane, field+".plane", 0)})
	}
	if len(fb.Links) == 0 {
		c.missing("fabric.links", "links: [{a: acc0, b: acc1}]")
	}
	for i, l := range fb.Links {
		field := fmt.Sprintf("fabric.links[%d]", i)
		spec, ok := types[l.Type]
		if !ok && c.err == nil {
			c.err = &strictyaml.Error{File: c.file, Line: l.A.Line, Column: l.A.Column, Field: field + ".type", Msg: fmt.Sprintf("no link type %q; %s", l.Type, known(keys(fb.LinkTypes)))}
		}
		if spec.LaneBytesPerS <= 0 && c.err == nil {
			c.err = &strictyaml.Error{File: c.file, Line: l.A.Line, Column: l.A.Column, Field: field, Msg: "its link type has no bandwidth above 0; give the type a bandwidth such as 50 GB/s/dir"}
		}
		lanes := c.positive(l.Lanes, field+".lanes", max(spec.Lanes, 1))
		lf.Links = append(lf.Links, LinksLink{A: l.A.Text, B: l.B.Text, Lanes: lanes, Spec: spec, Field: field, Line: l.A.Line, Column: l.A.Column})
	}
	return lf
}

// scaleOut converts the domain count (domains > 0 overrides it) and the
// scale-out network.
func (b *specBuilder) scaleOut(cs *ClusterSpec, domains int) {
	c, f, opticsRef, switchRef := b.c, b.f, b.opticsRef, b.switchRef
	cs.Domains = c.positive(f.Domains, "domains", 1)
	if domains > 0 {
		cs.Domains = domains
	}
	if so := f.ScaleOut; so != nil {
		cs.ScaleOut = &ScaleOutSpec{
			Leaf: switchRef(so.Leaf, "scale_out.leaf"), Spine: switchRef(so.Spine, "scale_out.spine"),
			LeafDownPorts:    c.positive(so.LeafDownPorts, "scale_out.leaf_down_ports", 1),
			Oversubscription: c.ratio(so.Oversubscription, "scale_out.oversubscription", 1),
			NICLink:          c.link(so.NICLink, "scale_out.nic_link", "nic-leaf", opticsRef),
			Uplink:           c.link(so.Uplink, "scale_out.uplink", "leaf-spine", opticsRef),
		}
		if so.Transport != "" {
			if t, ok := transportNamed(so.Transport); ok {
				cs.ScaleOut.Transport = t.name
			} else if c.err == nil {
				c.err = &strictyaml.Error{File: c.file, Field: "scale_out.transport", Msg: fmt.Sprintf("%q: want %s, or leave it out for another network", so.Transport, strings.Join(Transports(), " or "))}
			}
		}
	}
}

// reliability converts the failure rates.
func (b *specBuilder) reliability(cs *ClusterSpec) {
	c, f := b.c, b.f
	if r := f.Reliability; r != nil {
		rate := func(fig Figure, field string) float64 {
			return c.parse(fig, "reliability."+field, field+": 6.1%/yr", false, ParseFailureRate)
		}
		cs.Reliability = Reliability{
			AcceleratorPerH:   rate(r.Accelerator, "accelerator"),
			HBMPerH:           rate(r.HBM, "hbm"),
			SoftwarePerH:      rate(r.Software, "software"),
			SwitchChipPerH:    rate(r.SwitchChip, "switch_chip"),
			OpticalModulePerH: rate(r.OpticalModule, "optical_module"),
			NICPerH:           rate(r.NIC, "nic"),
			CPUPerH:           rate(r.CPU, "cpu"),
			CablePerH:         rate(r.Cable, "cable"),
			ServerPerH:        rate(r.Server, "server"),
		}
	}
}

// power converts the cooling and the PUE of each kind of rack.
func (b *specBuilder) power(cs *ClusterSpec) {
	c, f, file := b.c, b.f, b.c.file
	cs.Cooling = Cooling(f.Power.Cooling)
	if cs.Cooling == "" {
		cs.Cooling = Air
	}
	if cs.Cooling != Liquid && cs.Cooling != Air && c.err == nil {
		c.err = &strictyaml.Error{File: file, Field: "power.cooling", Msg: fmt.Sprintf("unknown cooling %q (want liquid or air)", f.Power.Cooling)}
	}
	cs.PUE = map[Cooling]float64{}
	for k, fig := range f.Power.PUE {
		v := c.ratio(fig, "power.pue."+k, 1)
		if k != string(Liquid) && k != string(Air) {
			c.fail(fig, "power.pue."+k, "unknown cooling %q (want liquid or air)", k)
		}
		if v < 1 && c.err == nil {
			c.fail(fig, "power.pue."+k, "PUE %s is below 1; a facility cannot use less power than its IT load", fig.Text)
		}
		cs.PUE[Cooling(k)] = v
	}
	if _, ok := cs.PUE[cs.Cooling]; !ok && c.err == nil {
		c.err = &strictyaml.Error{File: file, Field: "power.pue", Msg: fmt.Sprintf("no PUE for the compute racks' cooling %q; add `pue: {%s: 1.2}`", cs.Cooling, cs.Cooling)}
	}
}

func (c *conv) link(l LinkFile, field, class string, opticsRef func(string, string) int) LinkSpec {
	s := LinkSpec{Class: class,
		LaneBytesPerS: c.bandwidth(l.Bandwidth, field+".bandwidth", true),
		LatencyS:      c.duration(l.Latency, field+".latency"),
		Optics:        opticsRef(l.Optics, field+".optics"),
	}
	if strings.ContainsAny(l.Lanes.Text, ", ") {
		s.Lanes = 1 // a per-plane list (switched fabrics), read by laneList
	} else {
		s.Lanes = c.count(l.Lanes, field+".lanes", 1)
	}
	if l.Medium == "" {
		c.missing(field+".medium", "medium: copper")
	} else if m, err := ParseMedium(l.Medium); err != nil {
		if c.err == nil {
			c.err = &strictyaml.Error{File: c.file, Field: field + ".medium", Msg: err.Error()}
		}
	} else {
		s.Medium = m
	}
	s.Efficiency = c.fraction(l.Efficiency, field+".efficiency")
	s.ModulesPerLane = c.ratio(l.ModulesPerLane, field+".modules_per_lane", 0)
	if s.Medium == Optical && !l.ModulesPerLane.IsSet() {
		s.ModulesPerLane = 2
	}
	return s
}

// laneList parses "5, 4, 4, 5" (one count per plane) or a single count.
func (c *conv) laneList(f Figure, field string) []int {
	if !f.IsSet() {
		return []int{1}
	}
	var out []int
	for _, p := range strings.FieldsFunc(f.Text, func(r rune) bool { return r == ',' || r == ' ' }) {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			c.fail(f, field, "%q is not a lane count or a list of them such as \"5, 4, 4, 5\"", f.Text)
			return []int{1}
		}
		out = append(out, v)
	}
	return out
}

// dims parses "4x4x4".
func (c *conv) dims(f Figure, field string) []int {
	if !f.IsSet() {
		c.missing(field, "dims: 4x4x4")
		return nil
	}
	var out []int
	for _, p := range strings.Split(strings.ToLower(f.Text), "x") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 1 || v > 1<<16 {
			c.fail(f, field, "%q is not a torus shape such as 4x4x4", f.Text)
			return nil
		}
		out = append(out, v)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func firstKey[V any](m map[string]V) string {
	k := keys(m)
	if len(k) == 0 {
		return "name"
	}
	return k[0]
}

func known(names []string) string {
	if len(names) == 0 {
		return "none are described"
	}
	return "known: " + strings.Join(names, ", ")
}
