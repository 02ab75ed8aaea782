package study

import (
	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// Defaults of a collective spec.
const (
	DefaultSizes      = "1KiB:8GiB"
	DefaultChunkBytes = "4MiB"
	DefaultOp         = "allreduce"
)

// CollectiveSpec is a collective operation over a size sweep, nccl-tests
// style, as a scenario file's `collective:` workload, 'cardsea collective'
// and 'cardsea compare' state it. A zero field takes its default; Compile
// checks every rule once and names fields by these keys (field.Error).
type CollectiveSpec struct {
	// Op: allreduce, allgather, reducescatter, alltoall, broadcast, reduce, sendrecv.
	Op string `yaml:"op" short:"o" help:"operation: allreduce, allgather, reducescatter, alltoall, broadcast, reduce, sendrecv"`
	// Sizes: MIN:MAX[:xF|:+STEP] or a comma list, e.g. 1MiB:1GiB:x4.
	Sizes string `yaml:"sizes" short:"s" help:"sizes: MIN:MAX[:xF|:+STEP] or a comma list"`
	// Algorithm: auto, ring, tree, hd, direct, pairwise, nvls, hier.
	Algorithm string `yaml:"algorithm" flag:"algo" short:"a" help:"algorithm: auto, ring, tree, hd, direct, pairwise, nvls, hier (NCCL_ALGO: Ring, Tree, NVLS; across scale-up domains auto tries what NCCL runs there)"`
	// Protocol: auto, ll, ll128, simple.
	Protocol string `yaml:"protocol" flag:"proto" help:"protocol: ll, ll128, simple or auto (NCCL_PROTO; auto tries LL128 within one NVLink domain of Hopper or Blackwell GPUs)"`
	// Ranks: how many ranks (default every die; with per_accel or
	// per_server, the first that many).
	Ranks int `yaml:"ranks" help:"number of ranks (default: every die)"`
	// PerAccel places one rank per accelerator package.
	PerAccel bool `yaml:"per_accel" help:"one rank per accelerator package (a 910C's two dies are one rank)"`
	// PerServer places one rank per server.
	PerServer bool `yaml:"per_server" help:"one rank per server"`
	// RankList names ranks by die index.
	RankList []int `yaml:"rank_list" help:"ranks by die index, e.g. 0,8,16,24"`
	// Groups splits the ranks into that many equal groups that run the
	// operation at once and contend; the record is the slowest group's.
	Groups int `yaml:"groups" min:"1" help:"split the ranks into this many groups that run at once and contend"`
	// Strided makes every Groups-th rank a group (data-parallel style)
	// instead of consecutive ranks (tensor-parallel style).
	Strided bool `yaml:"strided" help:"with --groups: every G-th rank forms a group (data-parallel style) instead of consecutive ranks"`
	// ChunkBytes is the pipelining chunk (default 4MiB).
	ChunkBytes string `yaml:"chunk_bytes" help:"pipelining chunk size for ring, tree and nvls"`
	// Channels bounds the ring and tree channels across scale-up
	// domains (NCCL_MAX_NCHANNELS).
	Channels int `yaml:"channels" min:"1" help:"at most this many ring and tree channels across scale-up domains, as NCCL_MAX_NCHANNELS (default: NCCL's search, one per NIC up to 32; fewer leave NICs idle; NCCL_MIN_NCHANNELS above the NIC count only copies channels, which changes nothing here)"`
	// MNNVLDisable keeps traffic between servers of one scale-up domain
	// off the scale-up fabric (NCCL_MNNVL_ENABLE=0).
	MNNVLDisable bool `yaml:"mnnvl_disable" help:"as NCCL_MNNVL_ENABLE=0: each server (an NVL72 tray) is its own NVLink domain, and traffic between servers goes over the scale-out network"`
	// P2PDisable keeps every transfer off the scale-up fabric
	// (NCCL_P2P_DISABLE=1 with NCCL_SHM_DISABLE=1).
	P2PDisable bool `yaml:"p2p_disable" help:"as NCCL_P2P_DISABLE=1 with NCCL_SHM_DISABLE=1 (\"NVLink off\" runs): every transfer goes out by a NIC and in by one, within a server too"`
	// MaxMemory bounds one simulated operation's memory (default 12GB);
	// larger plans are refused before they allocate.
	MaxMemory string `yaml:"max_memory" help:"memory one simulated operation may take, e.g. 20GB (default 12GB): a larger plan is refused up front with its estimate"`
}

// CollectiveDefaults are the values zero fields of a CollectiveSpec take,
// by key, for help texts (Compile applies them).
var CollectiveDefaults = map[string]string{
	"op": DefaultOp, "sizes": DefaultSizes, "algorithm": string(collective.Auto), "protocol": "auto", "chunk_bytes": DefaultChunkBytes,
}

// CollectiveJob is a compiled collective spec: typed and checked.
type CollectiveJob struct {
	Op        collective.Op
	Algorithm collective.Algorithm
	Options   collective.Options // protocol and chunk
	Sizes     []int64            // bytes, in order
	Placement collective.Placement
	// Groups run at once when 2 or more, Strided or consecutive.
	Groups  int
	Strided bool
	// Scope is what the scale-up fabric carries (mnnvl_disable,
	// p2p_disable); Fabric builds a fabric with it.
	Scope network.Scope
}

// Compile checks the spec and turns it into a job. Every rule of a
// collective workload that needs no topology is here, once.
func (s CollectiveSpec) Compile() (*CollectiveJob, error) {
	op, err := collective.ParseOp(or(s.Op, DefaultOp))
	if err != nil {
		return nil, field.Wrap("op", err)
	}
	if op == collective.MoEDispatch || op == collective.MoECombine {
		return nil, field.Errorf("op", "%s needs a token workload: an inference workload of a MoE model runs it", op)
	}
	sizes, err := units.ParseSizes(or(s.Sizes, DefaultSizes))
	if err != nil {
		return nil, field.Wrap("sizes", err)
	}
	algo, err := collective.ParseAlgorithm(or(s.Algorithm, string(collective.Auto)))
	if err != nil {
		return nil, field.Wrap("algorithm", err)
	}
	proto, err := collective.ParseProtocol(s.Protocol)
	if err != nil {
		return nil, field.Wrap("protocol", err)
	}
	chunk, err := units.ParseSize(or(s.ChunkBytes, DefaultChunkBytes))
	if err != nil || chunk <= 0 {
		return nil, field.Errorf("chunk_bytes", "%q: want a size above 0 such as 4MiB", s.ChunkBytes)
	}
	maxMem := collective.DefaultMaxMemory
	if s.MaxMemory != "" {
		m, err := units.ParseSize(s.MaxMemory)
		if err != nil || m <= 0 {
			return nil, field.Errorf("max_memory", "%q: want a size above 0 such as 20GB", s.MaxMemory)
		}
		maxMem = float64(m)
	}
	switch {
	case s.Ranks < 0:
		return nil, field.Errorf("ranks", "%d: want 0 (every die) or more", s.Ranks)
	case s.PerAccel && s.PerServer:
		return nil, field.Errorf("per_accel", "and {per_server} exclude each other")
	case s.Groups < 0:
		return nil, field.Errorf("groups", "%d: want 0 or 1 (one group) or more, e.g. 8", s.Groups)
	case s.Strided && s.Groups < 2:
		return nil, field.Errorf("strided", "says how {groups} splits the ranks; give {groups} 2 or more")
	case s.Channels < 0:
		return nil, field.Errorf("channels", "%d: want 1 or more (NCCL_MAX_NCHANNELS), or 0 for NCCL's own search", s.Channels)
	case s.MNNVLDisable && s.P2PDisable:
		return nil, field.Errorf("mnnvl_disable", "and {p2p_disable} both given: p2p_disable already keeps every transfer off the scale-up fabric; give one")
	}
	scope := network.ScopeAll
	switch {
	case s.MNNVLDisable:
		scope = network.ScopeServer
	case s.P2PDisable:
		scope = network.ScopeNone
	}
	return &CollectiveJob{Op: op, Algorithm: algo, Options: collective.Options{Protocol: proto, ChunkBytes: float64(chunk), Channels: s.Channels, MaxMemory: maxMem},
		Sizes: sizes, Placement: collective.Placement{Ranks: s.Ranks, PerAccel: s.PerAccel, PerServer: s.PerServer, List: s.RankList},
		Groups: s.Groups, Strided: s.Strided, Scope: scope}, nil
}

// Fabric builds top's fabric with the job's scope.
func (j *CollectiveJob) Fabric(top *topology.Topology) *network.Fabric {
	return network.NewScopedFabric(top, j.Scope)
}

// Place puts the job's ranks on f and splits them into its groups (one
// group unless Groups is 2 or more).
func (j *CollectiveJob) Place(f *network.Fabric) ([]*collective.Group, error) {
	if j.Scope != network.ScopeAll && f.Topo.Domains < 2 {
		key := "mnnvl_disable"
		if j.Scope == network.ScopeNone {
			key = "p2p_disable"
		}
		return nil, field.Errorf(key, "sends traffic over the scale-out network, and %s as one scale-up domain is built without one: give {domains} 2 or more and place the ranks in the first ({ranks} %d)", f.Topo.Name, len(f.Topo.LiveDies()))
	}
	g, err := collective.NewGroup(f, j.Placement)
	if err != nil || j.Groups < 2 {
		return []*collective.Group{g}, err
	}
	return g.Split(j.Groups, j.Strided)
}

// Run simulates one size on the placed groups gs: alone, or every group
// at once, where the result is the slowest group's and the second value
// holds every group's, together and alone. links keeps per-link
// statistics.
func (j *CollectiveJob) Run(gs []*collective.Group, size int64, links bool) (collective.Result, *collective.Concurrent, error) {
	req := collective.Request{Tune: true, Links: links}
	for _, g := range gs {
		req.Jobs = append(req.Jobs, collective.Job{Group: g, Op: j.Op, Algorithm: j.Algorithm, Bytes: float64(size), Options: j.Options})
	}
	out, err := collective.Execute(gs[0].Fabric, req)
	if err != nil {
		return collective.Result{}, nil, err
	}
	if len(gs) == 1 {
		r := out.Results[0]
		r.Groups, r.AloneS = 0, 0 // it ran alone
		return r, nil, nil
	}
	return out.Results[out.Slowest], &collective.Concurrent{Together: out.Results, Alone: out.Alone, Slowest: out.Slowest}, nil
}
