package fidelity

import (
	"fmt"
	"math"
	"strings"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/validation"
)

// Row is one compared figure.
type Row struct {
	Case      string // "C01"
	Preset    string // topology the case runs on
	Point     string // what was measured: "busbw 1GiB", "dispatch EP8"
	Unit      string // unit of Measured and Simulated: "GB/s", "us"
	Measured  float64
	Simulated float64
	Tolerance float64
	// Status is "pass", "fail", or "pending: why" for a case cardsea
	// cannot simulate yet.
	Status string
	// Why, for a failing point, is the known reason the model misses it
	// (empty for a regression nobody has explained).
	Why string
	// Kernels, for an inference point, says what timed its operators:
	// the measured-kernel fits and their tables, or the preset's roofline
	// (KernelsLabel).
	Kernels string
}

// Error is the relative error |sim - measured| / measured.
func (r Row) Error() float64 {
	if r.Measured == 0 {
		return 0
	}
	return math.Abs(r.Simulated-r.Measured) / r.Measured
}

// Run compares every case and returns the rows in case order.
func Run() ([]Row, error) { return RunProgress(nil) }

// RunProgress is Run telling progress, if set, of every case done.
func RunProgress(progress func(done, total int)) ([]Row, error) {
	set, err := validation.LoadAll()
	if err != nil {
		return nil, err
	}
	total := len(set.Collectives) + len(set.Inference) + len(set.Power) + 1
	done := 0
	tick := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	var rows []Row
	for i := range set.Collectives {
		c := &set.Collectives[i]
		rs, err := collectiveCase(c)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", c.ID, err)
		}
		rows = append(rows, rs...)
		tick()
	}
	for i := range set.Inference {
		rs, err := inferenceCase(&set.Inference[i])
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", set.Inference[i].ID, err)
		}
		rows = append(rows, rs...)
		tick()
	}
	for i := range set.Power {
		rs, err := powerCase(&set.Power[i])
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", set.Power[i].ID, err)
		}
		rows = append(rows, rs...)
		tick()
	}
	q, err := queueingRows()
	if err != nil {
		return nil, fmt.Errorf("queueing check: %w", err)
	}
	rows = append(rows, q...)
	tick()
	for i := range rows {
		if rows[i].Status == "fail" {
			rows[i].Why, _ = Gap(rows[i].Case, rows[i].Point)
		}
	}
	return rows, nil
}

func preset(hint string) string {
	f := strings.Fields(hint)
	if len(f) == 0 {
		return ""
	}
	return strings.TrimSuffix(f[0], ",")
}

// env is a preset's fabric, built once per case.
type env struct {
	name string
	top  *topology.Topology
	fab  *network.Fabric
}

func load(name string, domains int) (*env, error) {
	return loadOpts(name, topology.LoadOptions{Domains: domains})
}

// loadOpts is load with every topology option (the scale-out transport).
func loadOpts(name string, o topology.LoadOptions) (*env, error) {
	t, err := topology.LoadOpts(name, o)
	if err != nil {
		return nil, err
	}
	return &env{name: name, top: t, fab: network.NewFabric(t)}, nil
}

func (e *env) group(ranks int) (*collective.Group, error) {
	return collective.NewGroup(e.fab, collective.Placement{Ranks: ranks})
}

func pass(r *Row) {
	switch {
	case r.Status != "":
	case r.Error() <= r.Tolerance:
		r.Status = "pass"
	default:
		r.Status = "fail"
	}
}

// collectiveCase maps one collective case onto its preset and runs it.
func collectiveCase(c *validation.CollectiveCase) ([]Row, error) {
	name := preset(c.PresetHint)
	switch c.Op {
	case "allreduce", "reducescatter", "allgather", "alltoall":
		return busbwCase(c, name)
	case "moe_dispatch_combine":
		return moeCase(c, name)
	}
	if c.ID == "C23" {
		return ubCase(c, name)
	}
	return []Row{{Case: c.ID, Preset: name, Point: "-", Status: "pending: no measured points to compare (context only)"}}, nil
}

// busbwCase compares nccl-tests bus bandwidth by size (or by rank count),
// or with metric time_us the time, or with busbw_ratio the bus bandwidth
// on scale_out over that on baseline_scale_out; on the case's domains,
// algorithm (NCCL_ALGO), protocol (NCCL_PROTO) and scale-out transport.
func busbwCase(c *validation.CollectiveCase, name string) ([]Row, error) {
	loadOn := func(transport string) (*env, error) {
		return loadOpts(name, topology.LoadOptions{Domains: c.Domains, Transport: transport})
	}
	e, err := loadOn(c.ScaleOut)
	if err != nil {
		return nil, err
	}
	var base *env
	if c.Metric == "busbw_ratio" {
		if c.BaselineScaleOut == "" {
			return nil, fmt.Errorf("metric busbw_ratio needs baseline_scale_out")
		}
		if base, err = loadOn(c.BaselineScaleOut); err != nil {
			return nil, err
		}
	}
	op, err := collective.ParseOp(c.Op)
	if err != nil {
		return nil, err
	}
	algo := collective.Auto
	if c.Algorithm != "" {
		if algo, err = collective.ParseAlgorithm(c.Algorithm); err != nil {
			return nil, err
		}
	}
	proto, err := collective.ParseProtocol(c.Protocol)
	if err != nil {
		return nil, err
	}
	label := name
	if c.Domains > 1 {
		label = fmt.Sprintf("%s x%d", name, c.Domains)
	}
	if c.ScaleOut != "" {
		label += " " + c.ScaleOut
	}
	var rows []Row
	one := func(e *env, ranks int, algo collective.Algorithm, size float64) (collective.Result, error) {
		g, err := e.group(ranks)
		if err != nil {
			return collective.Result{}, err
		}
		out, err := collective.Execute(g.Fabric, collective.One(g, op, algo, size, collective.Options{Protocol: proto}))
		if err != nil {
			return collective.Result{}, err
		}
		return out.Results[0], nil
	}
	run := func(ranks int, algo collective.Algorithm, size float64, point string, measured, tol float64) error {
		r, err := one(e, ranks, algo, size)
		if err != nil {
			return err
		}
		row := Row{Case: c.ID, Preset: label, Point: point, Unit: "GB/s", Measured: measured, Simulated: r.BusBW / 1e9, Tolerance: tol}
		switch c.Metric {
		case "time_us":
			row.Point = strings.Replace(point, "busbw", "time", 1)
			row.Unit, row.Simulated = "us", r.TimeS*1e6
		case "busbw_ratio":
			b, err := one(base, ranks, algo, size)
			if err != nil {
				return err
			}
			row.Point = strings.Replace(point, "busbw", fmt.Sprintf("busbw %s / %s", c.ScaleOut, c.BaselineScaleOut), 1)
			row.Unit, row.Simulated = "ratio", r.BusBW/b.BusBW
		}
		pass(&row)
		rows = append(rows, row)
		return nil
	}
	ranks := c.Ranks
	if ranks == 0 {
		ranks = e.top.Accels[0].Spec.Dies * len(e.top.Accels)
	}
	for _, p := range c.Points {
		size := p.SizeBytes
		label := fmt.Sprintf("busbw %s", p.Key)
		if !p.HasSize() {
			size = 8 << 30 // "large": the plateau
			label = fmt.Sprintf("busbw %s (8GiB)", p.Key)
		}
		if err := run(ranks, algo, size, label, p.Value(), c.Tolerance.For(size)); err != nil {
			return nil, err
		}
	}
	for _, s := range c.Series {
		a, err := collective.ParseAlgorithm(s.Name)
		if err != nil {
			return nil, err
		}
		for _, rp := range s.Points {
			if err := run(rp.Ranks, a, 4<<30, fmt.Sprintf("busbw %s %d ranks 4GiB", s.Name, rp.Ranks), rp.Value, c.Tolerance.For(4<<30)); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}
