package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/cardsea/cardsea/internal/field"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
	"go.yaml.in/yaml/v4"
)

// Scenario is a loaded, checked scenario: its points, each a complete
// scenario with the sweep's values filled in.
type Scenario struct {
	Path   string
	File   *File
	Params []string // swept field paths, in column order
	Points []Point
	// study is the scenario compiled for the study layer, built once.
	once  sync.Once
	study *study.Study
}

// Point is one combination of swept values.
type Point struct {
	Index  int
	Values []string // one per Scenario.Params
	File   *File
	root   *yaml.Node
	// jobs are the compiled workloads: compiled once, when the point is
	// checked.
	jobs compiled
}

// MaxPoints bounds a sweep's size; larger sweeps are refused up front.
const MaxPoints = 1_000_000

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse checks a scenario given as bytes; path names it in messages and
// anchors relative topology files.
func Parse(path string, data []byte) (*Scenario, error) {
	var f File
	root, err := strictyaml.Decode(path, data, &f)
	if err != nil {
		return nil, err
	}
	s := &Scenario{Path: path, File: &f}
	base := strictyaml.Clone(root)
	dropKey(base, "sweep")
	combos, params, err := expand(path, root, f.Sweep)
	if err != nil {
		return nil, err
	}
	s.Params = params
	for i, values := range combos {
		pr := strictyaml.Clone(base)
		for k, p := range params {
			if err := strictyaml.SetPath(pr, p, values[k]); err != nil {
				return nil, at(path, strictyaml.Find(root, "sweep"), "sweep."+p, "%v", err)
			}
		}
		var pf File
		label := path
		if len(params) > 0 {
			label = fmt.Sprintf("%s (sweep point %d: %s)", path, i, describePoint(params, values))
		}
		if err := strictyaml.DecodeNode(label, "", pr, &pf); err != nil {
			return nil, err
		}
		jobs, err := check(label, filepath.Dir(path), pr, &pf)
		if err != nil {
			return nil, err
		}
		s.Points = append(s.Points, Point{Index: i, Values: values, File: &pf, root: pr, jobs: jobs})
	}
	return s, nil
}

// LoadWorkloads reads the workloads and power settings of a scenario
// file for a front door that brings its own topologies (compare): the
// file must have workloads and no sweep; its topologies are ignored.
func LoadWorkloads(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read workload file: %w", err)
	}
	var wf File
	root, err := strictyaml.Decode(path, data, &wf)
	if err != nil {
		return nil, err
	}
	if wf.Sweep != nil {
		return nil, strictyaml.At(path, strictyaml.Find(root, "sweep"), "sweep",
			"compare runs one point and cannot sweep; remove the sweep or run the file with 'cardsea sweep'")
	}
	if len(wf.Workloads) == 0 {
		return nil, strictyaml.At(path, root, "workloads",
			"no workloads; add e.g. `workloads: [{collective: {op: allreduce, sizes: 1GiB, per_accel: true}}]`")
	}
	return &wf, nil
}

// FromFile checks a scenario a front door built in memory (compare's
// topologies with a file's workloads, say) as strictly as a file on disk,
// without writing YAML and parsing it back. It has one point and no sweep;
// errors name fields without positions. label names it in messages; dir
// anchors relative topology and model files.
func FromFile(label, dir string, f *File) (*Scenario, error) {
	if f.Sweep != nil {
		return nil, fmt.Errorf("%s: a scenario built in memory cannot sweep", label)
	}
	jobs, err := check(label, dir, nil, f)
	if err != nil {
		return nil, err
	}
	return &Scenario{Path: filepath.Join(dir, "scenario"), File: f, Points: []Point{{Index: 0, File: f, jobs: jobs}}}, nil
}

func describePoint(params, values []string) string {
	var parts []string
	for i, p := range params {
		parts = append(parts, p+"="+values[i])
	}
	return strings.Join(parts, ", ")
}

func dropKey(root *yaml.Node, key string) {
	if root.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			root.Content = append(root.Content[:i], root.Content[i+2:]...)
			return
		}
	}
}

func at(file string, n *yaml.Node, field, format string, args ...any) error {
	return strictyaml.At(file, n, field, format, args...)
}

// expand lists the sweep's combinations: product keys in sorted order, the
// last varying fastest, each combined with every zip position.
func expand(file string, root *yaml.Node, sw *Sweep) ([][]string, []string, error) {
	if sw == nil {
		return [][]string{nil}, nil, nil
	}
	sweepNode := strictyaml.Find(root, "sweep")
	var params []string
	var lists [][]string
	keys := make([]string, 0, len(sw.Product))
	for k := range sw.Product {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	total := 1
	for _, k := range keys {
		if len(sw.Product[k]) == 0 {
			return nil, nil, at(file, sweepNode, "sweep.product."+k, "has no values; give a list such as [1, 2]")
		}
		params = append(params, k)
		lists = append(lists, sw.Product[k])
		total *= len(sw.Product[k])
		if total > MaxPoints {
			return nil, nil, at(file, sweepNode, "sweep", "expands to more than %d points; split it (and see --shard)", MaxPoints)
		}
	}
	zkeys := make([]string, 0, len(sw.Zip))
	for k := range sw.Zip {
		zkeys = append(zkeys, k)
	}
	sort.Strings(zkeys)
	zlen := -1
	for _, k := range zkeys {
		if _, dup := sw.Product[k]; dup {
			return nil, nil, at(file, sweepNode, "sweep.zip."+k, "is swept in product too; sweep a field in one of them")
		}
		n := len(sw.Zip[k])
		if zlen >= 0 && n != zlen {
			return nil, nil, at(file, sweepNode, "sweep.zip."+k, "has %d values but %s has %d; zipped lists advance together and must be as long", n, zkeys[0], zlen)
		}
		if n == 0 {
			return nil, nil, at(file, sweepNode, "sweep.zip."+k, "has no values")
		}
		zlen = n
		params = append(params, k)
	}
	if zlen < 0 {
		zlen = 1
	}
	if total*zlen > MaxPoints {
		return nil, nil, at(file, sweepNode, "sweep", "expands to %d points, more than %d (about %d MiB just to hold the decoded points); split it across files or machines (see --shard)",
			total*zlen, MaxPoints, total*zlen*8>>10)
	}
	var out [][]string
	idx := make([]int, len(lists))
	for {
		for z := 0; z < zlen; z++ {
			var v []string
			for i, l := range lists {
				v = append(v, l[idx[i]])
			}
			for _, k := range zkeys {
				v = append(v, sw.Zip[k][z])
			}
			out = append(out, v)
		}
		i := len(idx) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(lists[i]) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	return out, params, nil
}

// check validates a decoded point beyond what the schema types catch and
// compiles its inference workloads; dir anchors relative model files.
func check(file, dir string, root *yaml.Node, f *File) (compiled, error) {
	c := compiled{infer: make([]*study.InferenceJob, len(f.Workloads)), coll: make([]*study.CollectiveJob, len(f.Workloads)),
		train: make([]*train.Config, len(f.Workloads)), serve: make([]*study.ServeJob, len(f.Workloads)), topos: make([]compiledTopo, len(f.Topologies))}
	err := checkInto(file, dir, root, f, &c)
	if err == nil {
		c.mode, c.cost, err = f.Power.Compile()
		if err != nil {
			err = fieldError(file, root, "power", err)
		}
	}
	return c, err
}

// compiled are a point's workloads compiled by the study layer, by
// workload index (nil where the workload is of another kind).
type compiled struct {
	topos []compiledTopo
	infer []*study.InferenceJob
	coll  []*study.CollectiveJob
	train []*train.Config
	serve []*study.ServeJob
	// mode and cost are the point's power settings.
	mode power.Mode
	cost power.Cost
}

// compiledTopo is a topology reference's overrides and faults, parsed.
type compiledTopo struct {
	overrides []topology.Override
	faults    []topology.Fault
}

func checkInto(file, dir string, root *yaml.Node, f *File, comp *compiled) error {
	jobs, colls, trains := comp.infer, comp.coll, comp.train
	if len(f.Topologies) == 0 {
		return at(file, root, "topologies", "no topologies; add e.g. `topologies: [{preset: cm384}]`")
	}
	if len(f.Workloads) == 0 {
		return at(file, root, "workloads", "no workloads; add e.g. `workloads: [{collective: {op: allreduce, sizes: 1MiB:1GiB}}]`")
	}
	for i, t := range f.Topologies {
		field := fmt.Sprintf("topologies[%d]", i)
		n := strictyaml.Find(root, field)
		if (t.Preset == "") == (t.File == "") {
			return at(file, n, field, "give exactly one of `preset` or `file`")
		}
		if t.Domains < 0 {
			return at(file, n, field+".domains", "must be 1 or more")
		}
		if t.ScaleOut != "" && !slices.Contains(topology.Transports(), strings.ToLower(t.ScaleOut)) {
			return at(file, n, field+".scale_out", "%q: want %s (or leave it out for the preset's own)", t.ScaleOut, strings.Join(topology.Transports(), " or "))
		}
		ovr, err := flatten(t.Overrides, "")
		if err != nil {
			return at(file, n, field+".overrides", "%v", err)
		}
		fs, err := topology.ParseFaults(t.Faults)
		if err != nil {
			return at(file, n, field+".faults", "%v", err)
		}
		comp.topos[i] = compiledTopo{overrides: ovr, faults: fs}
	}
	for i, w := range f.Workloads {
		field := fmt.Sprintf("workloads[%d]", i)
		n := strictyaml.Find(root, field)
		kinds := 0
		for _, set := range []bool{w.Collective != nil, w.Inference != nil, w.Training != nil, w.Serve != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return at(file, n, field, "give exactly one workload kind: `collective:`, `inference:`, `training:` or `serve:`")
		}
		if w.Serve != nil {
			j, err := w.Serve.Compile(dir)
			if err != nil {
				return fieldError(file, root, field+".serve", err)
			}
			comp.serve[i] = j
			continue
		}
		if w.Training != nil {
			c, err := w.Training.Compile(dir)
			if err != nil {
				return fieldError(file, root, field+".training", err)
			}
			trains[i] = &c
			continue
		}
		if w.Inference != nil {
			j, err := w.Inference.Compile(dir)
			if err != nil {
				return fieldError(file, root, field+".inference", err)
			}
			jobs[i] = j
			continue
		}
		j, err := w.Collective.Compile()
		if err != nil {
			return fieldError(file, root, field+".collective", err)
		}
		colls[i] = j
	}
	if r := f.Report.Format; r != "" {
		if _, err := report.ParseFormat(r, append(report.DataFormats, report.FormatJSONL)...); err != nil {
			return at(file, strictyaml.Find(root, "report"), "report.format", "%v", err)
		}
	}
	known := map[string]bool{}
	var names []string
	for _, c := range study.All().Columns() {
		known[c.Key] = true
		names = append(names, c.Key)
	}
	reported := map[string]bool{}
	for _, k := range study.Of(f.kinds()...).Keys() {
		reported[k] = true
	}
	for i, c := range f.Report.Columns {
		field := fmt.Sprintf("report.columns[%d]", i)
		n := strictyaml.Find(root, field)
		if n == nil {
			n = strictyaml.Find(root, "report")
		}
		if !known[c] {
			msg := fmt.Sprintf("unknown result field %q", c)
			if n := strictyaml.Nearest(c, names); n != "" {
				msg += fmt.Sprintf(", did you mean %q?", n)
			}
			return at(file, n, field, "%s", msg)
		}
		if !reported[c] {
			var near []string
			for k := range reported {
				near = append(near, k)
			}
			slices.Sort(near)
			msg := fmt.Sprintf("no workload of this scenario reports %q (%s records do)", c, readers(c))
			if n := strictyaml.Nearest(c, near); n != "" {
				msg += fmt.Sprintf("; did you mean %q?", n)
			}
			return at(file, n, field, "%s", msg)
		}
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// flatten turns nested override maps into field paths and values.
func flatten(m map[string]any, prefix string) ([]topology.Override, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []topology.Override
	for _, k := range keys {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		switch v := m[k].(type) {
		case map[string]any:
			sub, err := flatten(v, p)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		case string:
			out = append(out, topology.Override{Path: p, Value: v})
		case int:
			out = append(out, topology.Override{Path: p, Value: strconv.Itoa(v)})
		case float64:
			out = append(out, topology.Override{Path: p, Value: strconv.FormatFloat(v, 'g', -1, 64)})
		case bool:
			out = append(out, topology.Override{Path: p, Value: strconv.FormatBool(v)})
		default:
			return nil, fmt.Errorf("override %s: want a value or a mapping, got %T", p, v)
		}
	}
	return out, nil
}

// topologyName is what LoadWith takes for a reference: a preset name, or
// the file path relative to the scenario.
func (t TopologyRef) topologyName(scenarioPath string) string {
	if t.Preset != "" {
		return t.Preset
	}
	if filepath.IsAbs(t.File) {
		return t.File
	}
	return filepath.Join(filepath.Dir(scenarioPath), t.File)
}

// label names the topology in results; a faulty topology's default label
// lists its faults, so that it and the healthy one tell apart.
func (t TopologyRef) label() string {
	name := t.Preset
	switch {
	case t.Label != "":
		return t.Label
	case t.Preset == "":
		name = strings.TrimSuffix(filepath.Base(t.File), filepath.Ext(t.File))
	}
	if len(t.Faults) > 0 {
		name += " (fail " + strings.Join(t.Faults, ", ") + ")"
	}
	return name
}

// disaggPhase is the phase of a disaggregated workload.
const disaggPhase = study.DisaggPhase

// kinds are the kinds of record the file's workloads produce.
func (f *File) kinds() []study.Record {
	out := []study.Record{&study.InfeasibleRecord{}}
	for _, w := range f.Workloads {
		switch {
		case w.Collective != nil:
			out = append(out, &study.CollectiveRecord{})
		case w.Training != nil:
			out = append(out, &study.TrainingRecord{})
		case w.Inference != nil && infer.Phase(w.Inference.Phase) == disaggPhase:
			out = append(out, &study.DisaggRecord{})
		case w.Inference != nil:
			out = append(out, &study.InferenceRecord{})
		case w.Serve != nil:
			out = append(out, &study.ServeRecord{})
		}
	}
	return out
}

// readers names the kinds of record that report field key.
func readers(key string) string {
	f, _ := study.Lookup(key)
	var out []string
	for _, k := range []struct {
		name string
		has  bool
	}{{"collective", f.Collective != nil}, {"inference", f.Inference != nil}, {"disaggregation", f.Disagg != nil}, {"training", f.Training != nil}, {"serve", f.Serve != nil}} {
		if k.has {
			out = append(out, k.name)
		}
	}
	return strings.Join(out, " and ")
}

// fieldError places err at the field it names (a field.Error from the
// study layer or a library) under prefix, e.g.
// workloads[0].inference.input_len, or at prefix itself.
func fieldError(file string, root *yaml.Node, prefix string, err error) error {
	var fe *field.Error
	if errors.As(err, &fe) && fe == err {
		path := prefix + "." + fe.Field
		if n := strictyaml.Find(root, path); n != nil {
			return at(file, n, path, "%s", fe.Message())
		}
	}
	return at(file, strictyaml.Find(root, prefix), prefix, "%v", err)
}
