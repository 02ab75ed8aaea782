package scenario

import "github.com/cardsea/cardsea/study"

// File is the schema of a scenario file.
type File struct {
	// Name labels the scenario in results.
	Name string `yaml:"name"`
	// Description says what the scenario asks.
	Description string `yaml:"description"`
	// Topologies to run every workload on.
	Topologies []TopologyRef `yaml:"topologies"`
	// Workloads to run on every topology.
	Workloads []Workload `yaml:"workloads"`
	// Power sets the energy accounting and the price of electricity.
	Power PowerSettings `yaml:"power"`
	// Report says what to print.
	Report ReportSettings `yaml:"report"`
	// Sweep varies fields of this file; every combination is a point.
	Sweep *Sweep `yaml:"sweep"`
}

// TopologyRef names a topology: a preset or a topology file, how many
// scale-up domains, and field overrides.
type TopologyRef struct {
	// Preset is a built-in topology name (cardsea topo list).
	Preset string `yaml:"preset"`
	// File is a topology file, relative to the scenario file.
	File string `yaml:"file"`
	// Label names the topology in results (default: preset or file name).
	Label string `yaml:"label"`
	// Domains joins this many scale-up domains over the scale-out network.
	Domains int `yaml:"domains"`
	// ScaleOut runs the scale-out network on infiniband or roce (default:
	// the preset's own transport).
	ScaleOut string `yaml:"scale_out"`
	// Overrides sets fields of the topology file by path, e.g.
	// {accelerator: {hbm_bandwidth: 10 TB/s}} or {"fabric.link.bandwidth": 100 GB/s/dir}.
	Overrides map[string]any `yaml:"overrides"`
	// Faults fail parts of the topology for the whole run, in the forms
	// of cardsea collective --fail: "switch:sw3", "plane:3",
	// "link:acc0-sw0", "accel:17", "degrade:acc0-sw0=0.5".
	Faults []string `yaml:"faults"`
}

// Workload is one thing to run; exactly one kind is set.
type Workload struct {
	// Name labels the workload in results (default: its kind and op).
	Name string `yaml:"name"`
	// Collective runs a collective operation over a size sweep.
	Collective *CollectiveWorkload `yaml:"collective"`
	// Inference runs an LLM prefill or decode step.
	Inference *InferenceWorkload `yaml:"inference"`
	// Training runs one optimizer step of a dense LLM.
	Training *TrainingWorkload `yaml:"training"`
	// Serve runs a service under traffic, request by request.
	Serve *ServeWorkload `yaml:"serve"`
}

// ServeWorkload is an inference service under traffic: the study
// layer's spec, which 'cardsea serve' fills from its flags.
type ServeWorkload = study.ServeSpec

// TrainingWorkload is one training configuration: the study layer's
// spec, which 'cardsea train' fills from its flags.
type TrainingWorkload = study.TrainingSpec

// InferenceWorkload is one LLM serving configuration: the study layer's
// spec, which 'cardsea infer' fills from its flags (one set of fields,
// defaults and rules for both).
type InferenceWorkload = study.InferenceSpec

// CollectiveWorkload is a collective operation over a size sweep: the
// study layer's spec, which 'cardsea collective' fills from its flags.
type CollectiveWorkload = study.CollectiveSpec

// PowerSettings sets the energy accounting and the prices: the study
// layer's, which the commands' power flags fill too.
type PowerSettings = study.PowerSpec

// Sweep varies fields of the scenario. Keys are field paths in this file
// ("power.price_per_kwh", "topologies[0].preset",
// "workloads[0].collective.sizes",
// "topologies[0].overrides.accelerator.hbm_bandwidth"); values are lists.
// Product takes every combination (keys in sorted order, the last varying
// fastest); Zip advances its lists together; with both, every product
// combination runs with every zip position.
type Sweep struct {
	Product map[string][]string `yaml:"product"`
	Zip     map[string][]string `yaml:"zip"`
}

// ReportSettings choose what a run prints; command-line flags override.
type ReportSettings struct {
	// Format: table (default), markdown, json, csv or jsonl.
	Format string `yaml:"format"`
	// Columns keeps only these result fields, in this order (machine
	// names, e.g. [topology, size_bytes, busbw_bytes_per_s]); the point
	// and swept fields are always kept.
	Columns []string `yaml:"columns"`
}
