package validation

import (
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/units"
	"go.yaml.in/yaml/v4"
)

//go:embed cases.yaml
var casesYAML []byte

//go:embed collected.yaml
var collectedYAML []byte

// CollectedName is the name the embedded collected.yaml is reported under.
const CollectedName = "validation/collected.yaml"

// FileName is the name the embedded data is reported under in errors.
const FileName = "validation/cases.yaml"

// Data returns a copy of the embedded cases.yaml, header comments included.
func Data() []byte { return append([]byte(nil), casesYAML...) }

// Set is every published measurement cardsea is validated against.
type Set struct {
	Collectives []CollectiveCase `yaml:"collectives"`
	Inference   []InferenceCase  `yaml:"inference"`
	Power       []PowerCase      `yaml:"power"`
}

// CollectiveCase is one measured collective or MoE communication result.
// Fields absent from a case are zero.
type CollectiveCase struct {
	ID         string `yaml:"id"`          // "C01"
	Kind       string `yaml:"kind"`        // "primary" (measured by those who published it) or "secondary"
	System     string `yaml:"system"`      // the measured system, as described by the source
	PresetHint string `yaml:"preset_hint"` // the preset (and rank placement) that models it
	Op         string `yaml:"op"`          // allreduce, reducescatter, moe_dispatch_combine, ...
	Ranks      int    `yaml:"ranks"`
	// Domains is how many scale-up domains (nodes) the run spans (0: the
	// preset's).
	Domains   int    `yaml:"domains"`
	Algorithm string `yaml:"algorithm"` // ring, nvls, ... ("" when the source does not say)
	// ScaleOut is the scale-out transport the run used where the preset's
	// is not it, and BaselineScaleOut the one a busbw_ratio divides by.
	ScaleOut         string `yaml:"scale_out"`
	BaselineScaleOut string `yaml:"baseline_scale_out"`
	// Protocol is NCCL_PROTO where the run set it (ll, simple).
	Protocol string `yaml:"protocol"`
	Metric   string `yaml:"metric"` // unit of the point values, e.g. busbw_GBps, latency_us
	Workload string `yaml:"workload"`
	// Points are the measured figures in file order.
	Points Points `yaml:"points"`
	// TimesUS are measured times in microseconds by message size, where
	// the source gives them.
	TimesUS Points `yaml:"times_us"`
	// Series are measurements by rank count, one series per algorithm.
	Series    SeriesList `yaml:"series"`
	Note      string     `yaml:"note"`
	Tolerance Tolerance  `yaml:"tolerance"`
	Source    string     `yaml:"source"`
}

// InferenceCase is one measured serving throughput or latency.
type InferenceCase struct {
	ID         string    `yaml:"id"`
	Kind       string    `yaml:"kind"`
	System     string    `yaml:"system"`
	PresetHint string    `yaml:"preset_hint"`
	Model      string    `yaml:"model"`
	Setup      string    `yaml:"setup"`
	Measured   Measured  `yaml:"measured"`
	Note       string    `yaml:"note"`
	Tolerance  Tolerance `yaml:"tolerance"`
	Source     string    `yaml:"source"`
}

// PowerCase is one measured node or system power.
type PowerCase struct {
	ID        string    `yaml:"id"`
	Kind      string    `yaml:"kind"`
	System    string    `yaml:"system"`
	Measured  Measured  `yaml:"measured"`
	Note      string    `yaml:"note"`
	Tolerance Tolerance `yaml:"tolerance"`
	Source    string    `yaml:"source"`
}

// Load decodes the embedded cases.yaml.
func Load() (*Set, error) { return Parse(FileName, casesYAML) }

// LoadAll decodes cases.yaml and then collected.yaml (the measurements the
// project collected beyond the shared set), in that order, with ids
// unique across both.
func LoadAll() (*Set, error) {
	s, err := Load()
	if err != nil {
		return nil, err
	}
	c, err := Parse(CollectedName, collectedYAML)
	if err != nil {
		return nil, err
	}
	s.Collectives = append(s.Collectives, c.Collectives...)
	s.Inference = append(s.Inference, c.Inference...)
	s.Power = append(s.Power, c.Power...)
	if err := s.check(CollectedName); err != nil {
		return nil, err
	}
	return s, nil
}

// Parse decodes data in the form of cases.yaml strictly and checks it:
// every case has an id (unique across the set), a kind and a system, and
// every tolerance lies in (0, 1]. name is used in error messages.
func Parse(name string, data []byte) (*Set, error) {
	var s Set
	if _, err := strictyaml.Decode(name, data, &s); err != nil {
		return nil, err
	}
	if err := s.check(name); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Set) check(file string) error {
	seen := map[string]string{}
	type head struct {
		field, id, kind, system string
		tol                     Tolerance
	}
	var all []head
	for i, c := range s.Collectives {
		all = append(all, head{fmt.Sprintf("collectives[%d]", i), c.ID, c.Kind, c.System, c.Tolerance})
	}
	for i, c := range s.Inference {
		all = append(all, head{fmt.Sprintf("inference[%d]", i), c.ID, c.Kind, c.System, c.Tolerance})
	}
	for i, c := range s.Power {
		all = append(all, head{fmt.Sprintf("power[%d]", i), c.ID, c.Kind, c.System, c.Tolerance})
	}
	for _, h := range all {
		fail := func(field, format string, args ...any) error {
			return &strictyaml.Error{File: file, Field: h.field + field, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case h.id == "":
			return fail(".id", "missing; add e.g. `id: C99`")
		case seen[h.id] != "":
			return fail(".id", "id %q is also used by %s", h.id, seen[h.id])
		case h.kind != "primary" && h.kind != "secondary":
			return fail(".kind", "%q is not primary or secondary", h.kind)
		case h.system == "":
			return fail(".system", "missing; say what was measured")
		}
		seen[h.id] = h.field
	}
	return nil
}

// CollectiveByID returns the collective case with that id, or nil.
func (s *Set) CollectiveByID(id string) *CollectiveCase {
	for i := range s.Collectives {
		if s.Collectives[i].ID == id {
			return &s.Collectives[i]
		}
	}
	return nil
}

// InferenceByID returns the inference case with that id, or nil.
func (s *Set) InferenceByID(id string) *InferenceCase {
	for i := range s.Inference {
		if s.Inference[i].ID == id {
			return &s.Inference[i]
		}
	}
	return nil
}

// PowerByID returns the power case with that id, or nil.
func (s *Set) PowerByID(id string) *PowerCase {
	for i := range s.Power {
		if s.Power[i].ID == id {
			return &s.Power[i]
		}
	}
	return nil
}

// Point is one measured figure of a collective case.
type Point struct {
	// Group is the enclosing key of a nested point ("npu_read_GBps" in
	// C23's `npu_read_GBps: {intra_node: 167}`); "" for top-level points.
	Group string
	// Key is the key as written: "1KiB", "large", "EP8_BS128", "intra_node".
	Key string
	// SizeBytes is the message size when Key is one ("64MiB" is 67108864);
	// 0 otherwise.
	SizeBytes float64
	// EP and BatchSize are parsed from keys such as "EP8" or "EP8_BS128"
	// (0 when absent); Transport is a trailing qualifier such as "rdma" in
	// "EP16_rdma".
	EP        int
	BatchSize int
	Transport string
	// Values holds one figure, or a [dispatch, combine] pair.
	Values []float64
	// Line is the 1-based line of the key in the file.
	Line int
}

// HasSize reports whether the point is keyed by a message size.
func (p Point) HasSize() bool { return p.SizeBytes > 0 }

// Value returns the point's first (for a single figure, its only) value.
func (p Point) Value() float64 {
	if len(p.Values) == 0 {
		return math.NaN()
	}
	return p.Values[0]
}

// Pair returns a [dispatch, combine] point's two values; ok is false when
// the point does not hold exactly two.
func (p Point) Pair() (dispatch, combine float64, ok bool) {
	if len(p.Values) != 2 {
		return 0, 0, false
	}
	return p.Values[0], p.Values[1], true
}

// Points is a case's measured figures in file order.
type Points []Point

// BySize returns the point keyed by that message size, or nil.
func (ps Points) BySize(sizeBytes float64) *Point {
	for i := range ps {
		if ps[i].HasSize() && ps[i].SizeBytes == sizeBytes {
			return &ps[i]
		}
	}
	return nil
}

// ByKey returns the top-level point with that key as written, or, given
// "group.key", the nested one; nil if there is none.
func (ps Points) ByKey(key string) *Point {
	for i := range ps {
		k := ps[i].Key
		if ps[i].Group != "" {
			k = ps[i].Group + "." + k
		}
		if k == key {
			return &ps[i]
		}
	}
	return nil
}

var epKey = regexp.MustCompile(`^EP([0-9]{1,6})(?:_BS([0-9]{1,9}))?(?:_([A-Za-z][A-Za-z0-9]*))?$`)

// UnmarshalYAML implements yaml.Unmarshaler: a mapping from key to a number
// or a list of numbers, or (one level deep) to a mapping of such.
func (ps *Points) UnmarshalYAML(n *yaml.Node) error {
	if err := noAlias(n); err != nil {
		return err
	}
	if n.Kind != yaml.MappingNode {
		return atf(n, "want a mapping of points such as {1KiB: 0.07, 1MiB: 43.7}")
	}
	var out Points
	err := eachPair(n, func(k, v *yaml.Node) error {
		if v.Kind == yaml.MappingNode {
			return eachPair(v, func(k2, v2 *yaml.Node) error {
				p, err := point(k2, v2)
				if err != nil {
					return err
				}
				p.Group = k.Value
				out = append(out, p)
				return nil
			})
		}
		p, err := point(k, v)
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return err
	}
	*ps = out
	return nil
}

func point(k, v *yaml.Node) (Point, error) {
	p := Point{Key: k.Value, Line: k.Line}
	if err := noAlias(v); err != nil {
		return p, err
	}
	switch v.Kind {
	case yaml.ScalarNode:
		x, err := number(v)
		if err != nil {
			return p, err
		}
		p.Values = []float64{x}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return p, atf(v, "point %q: empty list; want [dispatch, combine]", p.Key)
		}
		for _, e := range v.Content {
			if err := noAlias(e); err != nil {
				return p, err
			}
			x, err := number(e)
			if err != nil {
				return p, err
			}
			p.Values = append(p.Values, x)
		}
	default:
		return p, atf(v, "point %q: want a number or a list of numbers", p.Key)
	}
	if strings.HasSuffix(p.Key, "B") {
		if b, err := units.ParseBytes(p.Key); err == nil && b > 0 && !math.IsInf(b, 0) {
			p.SizeBytes = b
		}
	}
	if m := epKey.FindStringSubmatch(p.Key); m != nil {
		p.EP, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			p.BatchSize, _ = strconv.Atoi(m[2])
		}
		p.Transport = m[3]
	}
	return p, nil
}

// Series is one line of a by-rank-count measurement (C05's ring or nvls).
type Series struct {
	Name   string
	Points []RankPoint
}

// RankPoint is one figure at a rank count.
type RankPoint struct {
	Ranks int
	Value float64
	Line  int
}

// SeriesList is a case's series in file order.
type SeriesList []Series

// ByName returns the series with that name, or nil.
func (sl SeriesList) ByName(name string) *Series {
	for i := range sl {
		if sl[i].Name == name {
			return &sl[i]
		}
	}
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler: {name: {ranks: value, ...}}.
func (sl *SeriesList) UnmarshalYAML(n *yaml.Node) error {
	if err := noAlias(n); err != nil {
		return err
	}
	if n.Kind != yaml.MappingNode {
		return atf(n, "want series by name such as {ring: {2: 367, 8: 367}}")
	}
	var out SeriesList
	err := eachPair(n, func(k, v *yaml.Node) error {
		if err := noAlias(v); err != nil {
			return err
		}
		if v.Kind != yaml.MappingNode {
			return atf(v, "series %q: want a mapping from rank count to value", k.Value)
		}
		s := Series{Name: k.Value}
		err := eachPair(v, func(rk, rv *yaml.Node) error {
			r, err := strconv.Atoi(rk.Value)
			if err != nil || r < 1 {
				return atf(rk, "series %q: %q is not a rank count", k.Value, rk.Value)
			}
			if err := noAlias(rv); err != nil {
				return err
			}
			x, err := number(rv)
			if err != nil {
				return err
			}
			s.Points = append(s.Points, RankPoint{Ranks: r, Value: x, Line: rk.Line})
			return nil
		})
		if err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return err
	}
	*sl = out
	return nil
}

// Tolerance is the relative error a simulation may have against a case:
// one number, or a split by message size such as
// {ge_64MiB: 0.10, lt_64MiB: 0.35}.
type Tolerance struct {
	// Value is the tolerance when a single number is given.
	Value float64
	// ThresholdBytes, Below and AtOrAbove describe a split; ThresholdBytes
	// is 0 for a single number.
	ThresholdBytes float64
	Below          float64
	AtOrAbove      float64
	// Text is the tolerance as written.
	Text string
}

// IsSet reports whether the case gives a tolerance.
func (t Tolerance) IsSet() bool { return t.Text != "" }

// For returns the tolerance at a message size in bytes. For a split
// tolerance, sizes below the threshold (and sizeless points, passed as 0)
// get Below and the rest AtOrAbove. It returns 0 when no tolerance is set.
func (t Tolerance) For(sizeBytes float64) float64 {
	if t.ThresholdBytes == 0 {
		return t.Value
	}
	if sizeBytes >= t.ThresholdBytes {
		return t.AtOrAbove
	}
	return t.Below
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (t *Tolerance) UnmarshalYAML(n *yaml.Node) error {
	if err := noAlias(n); err != nil {
		return err
	}
	var out Tolerance
	switch n.Kind {
	case yaml.ScalarNode:
		x, err := fraction(n)
		if err != nil {
			return err
		}
		out.Value = x
		out.Text = n.Value
	case yaml.MappingNode:
		var ge, lt *yaml.Node
		var geSize, ltSize float64
		var parts []string
		err := eachPair(n, func(k, v *yaml.Node) error {
			op, size, ok := strings.Cut(k.Value, "_")
			b, err := units.ParseBytes(size)
			if !ok || (op != "ge" && op != "lt") || err != nil || b <= 0 || math.IsInf(b, 0) {
				return atf(k, "tolerance key %q: want ge_SIZE or lt_SIZE such as ge_64MiB", k.Value)
			}
			if err := noAlias(v); err != nil {
				return err
			}
			if op == "ge" {
				ge, geSize = v, b
			} else {
				lt, ltSize = v, b
			}
			parts = append(parts, k.Value+": "+v.Value)
			return nil
		})
		if err != nil {
			return err
		}
		if ge == nil || lt == nil {
			return atf(n, "a split tolerance needs both ge_SIZE and lt_SIZE")
		}
		if geSize != ltSize {
			return atf(n, "tolerance split sizes differ (%g and %g bytes); use one size for ge_ and lt_", geSize, ltSize)
		}
		if out.AtOrAbove, err = fraction(ge); err != nil {
			return err
		}
		if out.Below, err = fraction(lt); err != nil {
			return err
		}
		out.ThresholdBytes = geSize
		out.Text = "{" + strings.Join(parts, ", ") + "}"
	default:
		return atf(n, "want a tolerance such as 0.10 or {ge_64MiB: 0.10, lt_64MiB: 0.35}")
	}
	*t = out
	return nil
}

// Measurement is one named measured figure, or a named group of them
// (I13's `hgx-h100: {offline_tokens_per_s: 24525, ...}`).
type Measurement struct {
	Name string
	// Value is the figure of a leaf; 0 for a group.
	Value float64
	// Entries are a group's members in file order; nil for a leaf.
	Entries Measured
	Line    int
}

// IsGroup reports whether m holds entries rather than a value.
func (m Measurement) IsGroup() bool { return m.Entries != nil }

// Measured is a case's measured figures in file order.
type Measured []Measurement

// Get returns the figure at a path of names, e.g. Get("8_nodes", "node_kw").
func (ms Measured) Get(path ...string) (float64, bool) {
	if len(path) == 0 {
		return 0, false
	}
	for _, m := range ms {
		if m.Name != path[0] {
			continue
		}
		if len(path) == 1 {
			return m.Value, !m.IsGroup()
		}
		return m.Entries.Get(path[1:]...)
	}
	return 0, false
}

// maxMeasuredDepth bounds how deeply measured figures may nest.
const maxMeasuredDepth = 3

// UnmarshalYAML implements yaml.Unmarshaler.
func (ms *Measured) UnmarshalYAML(n *yaml.Node) error {
	out, err := measured(n, 1)
	if err != nil {
		return err
	}
	*ms = out
	return nil
}

func measured(n *yaml.Node, depth int) (Measured, error) {
	if err := noAlias(n); err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		return nil, atf(n, "want a mapping of measured figures such as {node_kw: 6.7}")
	}
	out := Measured{}
	err := eachPair(n, func(k, v *yaml.Node) error {
		if err := noAlias(v); err != nil {
			return err
		}
		m := Measurement{Name: k.Value, Line: k.Line}
		switch v.Kind {
		case yaml.MappingNode:
			if depth >= maxMeasuredDepth {
				return atf(v, "measured figures nested more than %d levels deep", maxMeasuredDepth)
			}
			sub, err := measured(v, depth+1)
			if err != nil {
				return err
			}
			m.Entries = sub
		case yaml.ScalarNode:
			x, err := number(v)
			if err != nil {
				return err
			}
			m.Value = x
		default:
			return atf(v, "measured %q: want a number or a mapping", k.Value)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// eachPair calls f on each key and value of mapping n in order, refusing
// duplicate and non-scalar keys.
func eachPair(n *yaml.Node, f func(k, v *yaml.Node) error) error {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return atf(k, "want a plain key")
		}
		if line, dup := seen[k.Value]; dup {
			return atf(k, "duplicate key %q (first set on line %d); remove one", k.Value, line)
		}
		seen[k.Value] = k.Line
		if err := f(k, v); err != nil {
			return err
		}
	}
	return nil
}

func number(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, atf(n, "%q is not a number", truncate(n.Value))
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		return 0, atf(n, "%q is not a finite, non-negative number", truncate(n.Value))
	}
	return x, nil
}

func fraction(n *yaml.Node) (float64, error) {
	x, err := number(n)
	if err != nil {
		return 0, err
	}
	if x <= 0 || x > 1 {
		return 0, atf(n, "tolerance %s must be above 0 and at most 1 (a relative error)", n.Value)
	}
	return x, nil
}

func noAlias(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		return atf(n, "aliases are not supported here; write the values out")
	}
	return nil
}

// atf makes an error that strictyaml places at n's line and column.
func atf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d:%d: %s", n.Line, n.Column, fmt.Sprintf(format, args...))
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
