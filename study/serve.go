package study

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// Defaults of a serving spec.
const (
	DefaultServeRequests  = 1000 // requests per run when neither requests nor duration is given
	DefaultServeInputLen  = 1024 // prompt tokens per request (synthetic traffic)
	DefaultServeOutputLen = 256  // generated tokens per request (synthetic traffic)
	DefaultSLOPercentile  = 99   // the percentile an SLO search holds
	// ServePhase names a request-level serving record's phase.
	ServePhase = "service"
)

// ServeSpec is an inference service under traffic, as 'cardsea serve'
// and a scenario's serve workload state it: the instances (model,
// parallelism, precision, as an inference spec's), the traffic, the
// serving engine's limits, the router, disaggregation and the SLOs. A
// zero field takes its default.
type ServeSpec struct {
	// The instance (InstanceSpec: model, accelerators per instance,
	// parallelism, precision, MTP, the engine's cap), and how many.
	InstanceSpec `yaml:",inline"`
	Replicas     int `yaml:"replicas" min:"1" help:"instances side by side behind the router, each --ranks accelerators (default 1)"`

	// Traffic.
	Rate        Rates   `yaml:"rate" help:"offered load, requests/s; a list runs one record per rate (a latency-throughput curve); with --replay the trace is scaled to it"`
	Concurrency Counts  `yaml:"concurrency" help:"closed loop instead of a rate: this many users, each sending its next request when its last finishes (vllm bench serve --max-concurrency); a list runs one record per value"`
	Replay      string  `yaml:"replay" help:"replay a request trace: azure-conv, azure-code (Azure LLM inference trace 2023, CC-BY) or a CSV/JSONL file"`
	RateScale   float64 `yaml:"rate_scale" help:"with --replay: multiply the trace's own rate (instead of --rate)"`
	Requests    int     `yaml:"requests" min:"1" help:"requests per run (default 1000, or as many as arrive in --duration)"`
	Duration    string  `yaml:"duration" help:"run for this long of arrivals, e.g. 10min (instead of --requests)"`
	Arrival     string  `yaml:"arrival" help:"arrival process: poisson (default), gamma (burstiness --cv) or onoff (bursts of --on-period, --on-share of the time)"`
	CV          float64 `yaml:"cv" help:"gamma arrivals: coefficient of variation of the gaps (1 is Poisson, more is burstier)"`
	OnPeriod    string  `yaml:"on_period" help:"onoff arrivals: length of a burst, e.g. 2s"`
	OnShare     float64 `yaml:"on_share" help:"onoff arrivals: share of the time in bursts, (0, 1]"`
	InputLen    int     `yaml:"input_len" min:"1" help:"synthetic traffic: mean prompt tokens per request"`
	OutputLen   int     `yaml:"output_len" min:"1" help:"synthetic traffic: mean generated tokens per request"`
	LenDist     string  `yaml:"len_dist" help:"synthetic lengths: fixed (default), normal or lognormal"`
	LenCV       float64 `yaml:"len_cv" help:"normal or lognormal lengths: standard deviation over the mean"`
	Sessions    int     `yaml:"sessions" help:"synthetic traffic: spread the requests over this many sessions, each prompt opening with its session's --prefix-len shared tokens (the prefix cache keeps them)"`
	PrefixLen   int     `yaml:"prefix_len" help:"synthetic traffic: tokens each session's prompts share (a system prompt), with --sessions"`
	Seed        int     `yaml:"seed" help:"random seed of the synthetic traffic"`
	Warmup      string  `yaml:"warmup" help:"requests arriving in this first stretch are served, not counted, e.g. 30s"`

	// The serving engine, per data-parallel rank (vLLM's names).
	// (max_batched_tokens is the instance's: InstanceSpec.)
	BlockSize     int    `yaml:"block_size" min:"1" help:"KV cache block (page), tokens (default the engine's: vLLM 16)"`
	NoPrefixCache bool   `yaml:"no_prefix_cache" help:"turn the prefix cache off"`
	Router        string `yaml:"router" help:"round-robin, least-loaded or shortest-queue"`

	// Disaggregation: prefill instances before the decode instances.
	PrefillAccelerators int `yaml:"prefill_accelerators" flag:"prefill-ranks" min:"1" help:"disaggregate: accelerators per prefill instance (the first ones); the decode instances follow"`
	PrefillReplicas     int `yaml:"prefill_replicas" min:"1" help:"disaggregated: prefill instances (default 1)"`
	PrefillTP           int `yaml:"prefill_tp" min:"1" help:"disaggregated: prefill tensor parallel degree (default 1)"`
	PrefillEP           int `yaml:"prefill_ep" min:"1" help:"disaggregated: prefill expert parallel degree (default: every die)"`

	// SLOs and the search.
	TTFTSLO     string `yaml:"ttft_slo" help:"time-to-first-token limit, e.g. 2s (goodput counts requests within every limit)"`
	TPOTSLO     string `yaml:"tpot_slo" help:"time-per-output-token limit, e.g. 50ms"`
	FindMaxRate bool   `yaml:"find_max_rate" help:"search the highest rate whose --slo-percentile TTFT and TPOT meet the limits"`
	// SearchDeployment also searches instance sizes and their
	// parallelism (or, disaggregated, how many prefill instances) for the
	// most output tokens/s per facility MW at the highest rate.
	SearchDeployment bool    `yaml:"search_deployment" help:"also search instance sizes (or, with --prefill-ranks, how many prefill instances) for the most tokens/s per MW within the limits; one record per deployment"`
	Percentile       float64 `yaml:"slo_percentile" help:"the percentile the search holds to the limits: 50, 90, 95 or 99"`
}

// Values are one number or a list of them, as a scenario writes them
// (`rate: 8` or `rate: [2, 4, 8]`) and the command line (`--rate 8` or
// `--rate 2,4,8`): each value is one record.
type Values[T int | float64] []T

// Rates are offered loads in requests per second.
type Rates = Values[float64]

// Counts are whole numbers (users of closed loops).
type Counts = Values[int]

// UnmarshalYAML reads one value or a list of them.
func (v *Values[T]) UnmarshalYAML(unmarshal func(any) error) error {
	var one T
	if err := unmarshal(&one); err == nil {
		*v = Values[T]{one}
		return nil
	}
	var many []T
	if err := unmarshal(&many); err != nil {
		return fmt.Errorf("want %s or a list of them, e.g. 8 or [2, 4, 8]", v.what())
	}
	*v = many
	return nil
}

// what names the values in messages.
func (v *Values[T]) what() string {
	if _, whole := any(T(0)).(int); whole {
		return "a whole number"
	}
	return "a rate in requests/s"
}

// String is the values as the command line writes them.
func (v *Values[T]) String() string {
	parts := make([]string, len(*v))
	for i, x := range *v {
		parts[i] = strconv.FormatFloat(float64(x), 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Set parses a comma-separated list (a command-line flag).
func (v *Values[T]) Set(s string) error {
	var out Values[T]
	for _, part := range strings.Split(s, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil || float64(T(f)) != f { // a fraction for a count, or NaN
			return fmt.Errorf("%q: want %s, e.g. 8 or 2,4,8", part, v.what())
		}
		out = append(out, T(f))
	}
	*v = out
	return nil
}

// Type names the flag's value in help texts.
func (v *Values[T]) Type() string {
	if _, whole := any(T(0)).(int); whole {
		return "counts"
	}
	return "rates"
}

// ServeDefaults are the values zero fields of a ServeSpec take.
var ServeDefaults = map[string]string{
	"replicas": "1", "requests": strconv.Itoa(DefaultServeRequests), "arrival": "poisson", "input_len": strconv.Itoa(DefaultServeInputLen),
	"output_len": strconv.Itoa(DefaultServeOutputLen), "len_dist": "fixed", "router": "round-robin",
	"weights_dtype": DefaultDtype, "kv_dtype": DefaultDtype, "act_dtype": DefaultDtype, "mtp_accept": strconv.FormatFloat(DefaultMTPAccept, 'g', -1, 64),
	"slo_percentile": strconv.Itoa(DefaultSLOPercentile), "prefill_replicas": "1", "engine": "vllm",
}

// ServeJob is a compiled serving spec.
type ServeJob struct {
	spec ServeSpec
	// Instance (decode, or colocated) and Prefill (disaggregated; Model
	// nil otherwise) before the topology resolves DP.
	Instance, Prefill *InferenceJob
	// Rates to run (requests/s; a replay at its own rate x RateScale), or
	// Users: closed loops of so many users (then Rates is empty).
	Rates      []float64
	Users      []int
	trace      []serve.Request
	traceRate  float64
	traffic    serve.Traffic
	Settings   serve.Settings
	Config     serve.Config
	TTFT, TPOT float64
	Percentile float64
	FindMax    bool
	Search     bool
}

// Compile checks the spec; dir anchors relative model and trace files.
func (s ServeSpec) Compile(dir string) (*ServeJob, error) {
	if s.Accelerators < 0 || s.Replicas < 0 || s.Requests < 0 || s.PrefillAccelerators < 0 || s.PrefillReplicas < 0 {
		return nil, field.Errorf("accelerators", "counts must be 0 (the default) or more")
	}
	inst := InferenceSpec{InstanceSpec: s.InstanceSpec, Phase: string(infer.Decode)}
	inst.Engine, inst.MaxSeqs = "none", 0 // the scheduler caps the sequences (Settings)
	ij, err := inst.Compile(dir)
	if err != nil {
		return nil, err
	}
	j := &ServeJob{spec: s, Instance: ij, Percentile: or(s.Percentile, DefaultSLOPercentile), FindMax: s.FindMaxRate || s.SearchDeployment, Search: s.SearchDeployment}
	if s.PrefillAccelerators > 0 {
		pre := inst
		pre.Accelerators, pre.TP, pre.EP, pre.DP, pre.MTPDraft, pre.MTPAccept = s.PrefillAccelerators, s.PrefillTP, s.PrefillEP, 0, 0, 0
		if s.AttnDP && pre.TP == 0 {
			pre.TP = 1
		}
		pre.AttnDP = false
		if j.Prefill, err = pre.Compile(dir); err != nil {
			return nil, err
		}
		j.Prefill.Config.Model = ij.Config.Model // one model, loaded once
	} else {
		for _, v := range []struct {
			k   string
			set bool
		}{{"prefill_replicas", s.PrefillReplicas != 0}, {"prefill_tp", s.PrefillTP != 0}, {"prefill_ep", s.PrefillEP != 0}} {
			if v.set {
				return nil, field.Errorf(v.k, "is for a disaggregated service: give {prefill_accelerators} too")
			}
		}
	}
	for _, l := range []struct {
		k, v string
		out  *float64
	}{{"ttft_slo", s.TTFTSLO, &j.TTFT}, {"tpot_slo", s.TPOTSLO, &j.TPOT}} {
		if l.v == "" {
			continue
		}
		if *l.out, err = units.ParseDuration(l.v); err != nil || !(*l.out > 0) {
			return nil, field.Errorf(l.k, "%q: want a duration such as 50ms", l.v)
		}
	}
	switch p := j.Percentile; {
	case p != 50 && p != 90 && p != 95 && p != 99:
		return nil, field.Errorf("slo_percentile", "%g: want 50, 90, 95 or 99", p)
	case s.FindMaxRate && j.TTFT == 0 && j.TPOT == 0:
		return nil, field.Errorf("find_max_rate", "searches under limits: give {ttft_slo}, {tpot_slo} or both")
	case s.SearchDeployment && j.TTFT == 0 && j.TPOT == 0:
		return nil, field.Errorf("search_deployment", "compares deployments at their highest rate within limits: give {ttft_slo}, {tpot_slo} or both")
	case s.SearchDeployment && (s.TP != 0 || s.EP != 0 || s.DP != 0 || s.Replicas != 0 && s.PrefillAccelerators != 0):
		return nil, field.Errorf("search_deployment", "chooses the instances' sizes and parallelism; drop {tp}, {ep}, {dp} (and {replicas} when disaggregated)")
	case s.FindMaxRate && len(s.Rate) > 1:
		return nil, field.Errorf("rate", "%v: the search finds the rate; give one starting rate or none", s.Rate)
	}
	if err := s.compileTraffic(j, dir); err != nil {
		return nil, err
	}
	eng := strings.ToLower(or(s.Engine, "vllm"))
	if err := serve.CheckEngine(eng); err != nil {
		return nil, err
	}
	// The steps pay the scheduler's engine's runtime (graphs, host cost).
	j.Instance.stepEngine, j.Instance.rt.maxSeqs = eng, s.MaxSeqs
	if j.Prefill != nil {
		j.Prefill.stepEngine, j.Prefill.rt.maxSeqs = eng, s.MaxSeqs
	}
	j.Settings = serve.Settings{Engine: eng, MaxSeqs: s.MaxSeqs, MaxBatchedTokens: s.MaxBatchedTokens, BlockSize: s.BlockSize, NoPrefixCache: s.NoPrefixCache}
	router := or(strings.ToLower(s.Router), "round-robin")
	if !slices.Contains(serve.Routers, router) {
		return nil, field.Errorf("router", "%q: want round-robin, least-loaded or shortest-queue", s.Router)
	}
	j.Config = serve.Config{Replicas: or(s.Replicas, 1), PrefillReplicas: or(s.PrefillReplicas, 1), Settings: j.Settings, Router: router,
		TTFTSLOS: j.TTFT, TPOTSLOS: j.TPOT}
	if s.Warmup != "" {
		w, err := units.ParseDuration(s.Warmup)
		if err != nil || w < 0 {
			return nil, field.Errorf("warmup", "%q: want a duration such as 30s", s.Warmup)
		}
		j.Config.WarmupS = w
	}
	return j, nil
}

// compileTraffic checks the traffic fields: a replayed trace or a
// synthetic stream, the rates, the length of a run.
func (s ServeSpec) compileTraffic(j *ServeJob, dir string) error {
	for _, r := range s.Rate {
		if !(r > 0) || math.IsInf(r, 0) {
			return field.Errorf("rate", "%g: want a positive request rate (requests/s)", r)
		}
	}
	dur := 0.0
	if s.Duration != "" {
		d, err := units.ParseDuration(s.Duration)
		if err != nil {
			return field.Wrap("duration", err)
		}
		if !(d > 0) {
			return field.Errorf("duration", "%q: want a positive duration such as 10min", s.Duration)
		}
		dur = d
	}
	if s.Requests > 0 && dur > 0 {
		return field.Errorf("requests", "%d and {duration} %s: give one", s.Requests, s.Duration)
	}
	j.Rates = s.Rate
	if len(s.Concurrency) > 0 {
		switch {
		case len(s.Rate) > 0 || s.RateScale != 0:
			return field.Errorf("concurrency", "%v and {rate}: a closed loop sets its own rate; give one", []int(s.Concurrency))
		case j.FindMax:
			return field.Errorf("concurrency", "%v: the searches are over the rate; drop {concurrency} or the search", []int(s.Concurrency))
		}
		for _, n := range s.Concurrency {
			if n < 1 {
				return field.Errorf("concurrency", "%d: want at least 1 user", n)
			}
		}
		j.Users = s.Concurrency
	}
	if s.Replay != "" {
		for _, v := range []struct {
			k   string
			set bool
		}{{"arrival", s.Arrival != ""}, {"cv", s.CV != 0}, {"input_len", s.InputLen != 0}, {"output_len", s.OutputLen != 0}, {"len_dist", s.LenDist != ""}, {"seed", s.Seed != 0},
			{"sessions", s.Sessions != 0}, {"prefix_len", s.PrefixLen != 0}} {
			if v.set {
				return field.Errorf(v.k, "is for synthetic traffic; {replay} %s brings its own arrivals and lengths", s.Replay)
			}
		}
		if s.RateScale != 0 && len(s.Rate) > 0 {
			return field.Errorf("rate_scale", "%g and {rate}: give one (the rate scales the trace to a mean rate)", s.RateScale)
		}
		if s.RateScale < 0 {
			return field.Errorf("rate_scale", "%g: want a positive factor", s.RateScale)
		}
		path := s.Replay
		if _, builtin := serve.Builtin[path]; !builtin && dir != "" && !strings.HasPrefix(path, "/") {
			path = dir + "/" + path
		}
		rs, err := serve.LoadTrace(path)
		if err != nil {
			return field.Wrap("replay", err)
		}
		if n := len(rs); n > 1 && rs[n-1].ArrivalS > 0 {
			j.traceRate = float64(n-1) / rs[n-1].ArrivalS
		}
		j.trace = rs
		if len(j.Rates) == 0 && j.Users == nil {
			j.Rates = []float64{or(s.RateScale, 1) * j.traceRate}
		}
		j.traffic = serve.Traffic{Requests: s.Requests, DurationS: dur}
		return nil
	}
	if s.RateScale != 0 {
		return field.Errorf("rate_scale", "scales a replayed trace; give {replay}, or set {rate}")
	}
	if len(j.Rates) == 0 && j.FindMax {
		j.Rates = Rates{1} // where the search starts
	}
	if len(j.Rates) == 0 && j.Users == nil {
		return field.Errorf("rate", "is missing: say the offered load in requests/s (e.g. 8) or the users of a closed loop ({concurrency}), or replay a trace (azure-conv)")
	}
	rate0 := 1.0 // a closed loop's requests need lengths only
	if len(j.Rates) > 0 {
		rate0 = j.Rates[0]
	}
	dist := strings.ToLower(or(s.LenDist, "fixed"))
	if s.LenCV < 0 || (s.LenCV > 0 && dist == "fixed") {
		return field.Errorf("len_cv", "%g: a spread for normal or lognormal lengths ({len_dist})", s.LenCV)
	}
	var on float64
	if s.OnPeriod != "" {
		d, err := units.ParseDuration(s.OnPeriod)
		if err != nil || !(d > 0) {
			return field.Errorf("on_period", "%q: want a duration such as 2s", s.OnPeriod)
		}
		on = d
	}
	if s.Seed < 0 {
		return field.Errorf("seed", "%d: want 0 or more", s.Seed)
	}
	in, out := float64(or(s.InputLen, DefaultServeInputLen)), float64(or(s.OutputLen, DefaultServeOutputLen))
	t := serve.Traffic{Rate: rate0, Arrival: strings.ToLower(s.Arrival), CV: s.CV, OnS: on, OnShare: s.OnShare, Requests: s.Requests, DurationS: dur,
		Input: serve.Lengths{Dist: dist, Mean: in, SD: s.LenCV * in}, Output: serve.Lengths{Dist: dist, Mean: out, SD: s.LenCV * out},
		Sessions: s.Sessions, PrefixLen: s.PrefixLen, Seed: uint64(s.Seed)}
	if t.Requests == 0 && dur == 0 {
		t.Requests = DefaultServeRequests
	}
	if err := t.Check(); err != nil {
		return err
	}
	j.traffic = t
	return nil
}

// requests is the traffic at rate (requests/s).
func (j *ServeJob) requests(rate float64) ([]serve.Request, error) {
	if j.trace == nil {
		t := j.traffic
		t.Rate = rate
		return t.Generate()
	}
	scale := 1.0
	if j.traceRate > 0 {
		scale = rate / j.traceRate
	}
	rs := serve.Scale(j.trace, scale, j.traffic.Requests)
	if d := j.traffic.DurationS; d > 0 {
		n := 0
		for n < len(rs) && rs[n].ArrivalS <= d {
			n++
		}
		if n == 0 {
			return nil, field.Errorf("duration", "%s: no request of the trace arrives that soon", j.spec.Duration)
		}
		rs = rs[:n]
	}
	return rs, nil
}

// For resolves the instances' parallelism on t.
func (j *ServeJob) For(t *topology.Topology) (*ServeJob, error) {
	out := *j
	var err error
	if out.Instance, err = j.Instance.For(t); err != nil {
		return nil, err
	}
	if j.Prefill != nil {
		if out.Prefill, err = j.Prefill.For(t); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// SetPowerMode sets the energy accounting of the instances' steps.
func (j *ServeJob) SetPowerMode(m power.Mode) {
	j.Instance.SetPowerMode(m)
	if j.Prefill != nil {
		j.Prefill.SetPowerMode(m)
	}
}

// config is the service on e's topology.
func (j *ServeJob) config(e *infer.Engine, keep bool) serve.Config {
	c := j.Config
	c.Engine = e
	c.Instance = j.Instance.Config
	if j.Prefill != nil {
		c.Prefill = j.Prefill.Config
		c.Instance.FirstAccelerator = 0
	}
	c.KeepRequests = keep
	return c
}

// Run serves the traffic at each rate on e's topology (resolve the job
// with For first), or searches the highest rate that meets the SLOs;
// keep keeps each request's record.
func (j *ServeJob) Run(e *infer.Engine, keep bool, progress func(done, total int)) ([]*ServeRecord, error) {
	if j.Search {
		recs, _, _, err := j.SearchDeployments(e, progress)
		return recs, err
	}
	if j.FindMax {
		r, err := j.maxRate(e, keep, progress)
		if err != nil {
			return nil, err
		}
		return []*ServeRecord{r}, nil
	}
	var out []*ServeRecord
	for i := range j.Loads() {
		r, err := j.RunLoad(e, i, keep)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		if progress != nil {
			progress(i+1, j.Loads())
		}
	}
	return out, nil
}

// RunLoads serves every load of the job (Loads) on jobs workers, each
// with its own engine on t, and returns the records in load order
// (deterministic: a load's result does not depend on which worker or
// engine ran it). Cost: one run per load, and one engine per worker.
func (j *ServeJob) RunLoads(t *topology.Topology, jobs int, keep bool, progress func(done, total int)) ([]*ServeRecord, error) {
	recs, errs, _ := Map(Runner{Jobs: jobs, Progress: progress}, j.Loads(), func() *infer.Engine { return infer.NewEngine(t) },
		func(e *infer.Engine, i int) (*ServeRecord, error) { return j.RunLoad(e, i, keep) })
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// Loads is how many records the job runs: its rates, or its closed
// loops' user counts.
func (j *ServeJob) Loads() int {
	if j.Users != nil {
		return len(j.Users)
	}
	return len(j.Rates)
}

// RunLoad serves load i of Loads: a rate, or a closed loop of users.
func (j *ServeJob) RunLoad(e *infer.Engine, i int, keep bool) (*ServeRecord, error) {
	if j.Users == nil {
		return j.runAt(e, j.Rates[i], keep)
	}
	rate := 1.0 // a closed loop reads the requests' lengths, not their arrivals
	if j.trace != nil {
		rate = j.traceRate
	}
	reqs, err := j.requests(rate)
	if err != nil {
		return nil, err
	}
	c := j.config(e, keep)
	c.Concurrency = j.Users[i]
	res, err := serve.Run(c, reqs)
	if err != nil {
		return nil, err
	}
	return &ServeRecord{Concurrency: j.Users[i], Result: res, Job: j, Percentile: j.Percentile}, nil
}

// runAt serves the traffic at one rate.
func (j *ServeJob) runAt(e *infer.Engine, rate float64, keep bool) (*ServeRecord, error) {
	reqs, err := j.requests(rate)
	if err != nil {
		return nil, err
	}
	res, err := serve.Run(j.config(e, keep), reqs)
	if err != nil {
		return nil, err
	}
	return &ServeRecord{OfferedRate: rate, Result: res, Job: j, Percentile: j.Percentile}, nil
}

// pick is p at the job's percentile.
func (j *ServeJob) pick(p serve.Percentiles) float64 {
	switch j.Percentile {
	case 50:
		return p.P50
	case 90:
		return p.P90
	case 95:
		return p.P95
	}
	return p.P99
}

// meets says whether r holds the SLOs at the job's percentile.
func (j *ServeJob) meets(r serve.Result) bool {
	return (j.TTFT == 0 || j.pick(r.TTFT) <= j.TTFT) && (j.TPOT == 0 || j.pick(r.TPOT) <= j.TPOT)
}

// maxRate finds the highest offered rate that meets the SLOs, to 2%:
// doubling from the first rate (or 1 request/s) until a rate fails, then
// bisecting. Cost: about log2(rate) + 6 runs.
func (j *ServeJob) maxRate(e *infer.Engine, keep bool, progress func(done, total int)) (*ServeRecord, error) {
	rate := 1.0
	if len(j.Rates) > 0 {
		rate = j.Rates[0]
	}
	runs := 0
	try := func(r float64) (*ServeRecord, bool, error) {
		rec, err := j.runAt(e, r, keep)
		runs++
		if progress != nil {
			progress(runs, runs+1)
		}
		if err != nil {
			return nil, false, err
		}
		return rec, j.meets(rec.Result), nil
	}
	var good *ServeRecord
	var lo, hi float64
	rec, ok, err := try(rate)
	if err != nil {
		return nil, err
	}
	if ok {
		good, lo = rec, rate
		for hi = 2 * rate; ; hi *= 2 {
			rec, ok, err := try(hi)
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			good, lo = rec, hi
			if hi > 1e7 {
				return good, nil
			}
		}
	} else {
		hi = rate
		for lo = rate / 2; ; lo /= 2 {
			rec, ok, err := try(lo)
			if err != nil {
				return nil, err
			}
			if ok {
				good = rec
				break
			}
			if lo < 1e-4 {
				return nil, infeasibleServe(j, rec)
			}
		}
	}
	for hi/lo > 1.02 {
		mid := math.Sqrt(lo * hi)
		rec, ok, err := try(mid)
		if err != nil {
			return nil, err
		}
		if ok {
			good, lo = rec, mid
		} else {
			hi = mid
		}
	}
	good.Searched = true
	return good, nil
}

// infeasibleServe says no rate meets the limits, with the closest run.
func infeasibleServe(j *ServeJob, r *ServeRecord) error {
	return &infer.InfeasibleError{Reason: fmt.Sprintf("no rate meets the limits (TTFT %s, TPOT %s at p%g): even at %.4g requests/s TTFT p%g is %s and TPOT %s; use more accelerators or looser limits",
		units.FormatDuration(j.TTFT), units.FormatDuration(j.TPOT), j.Percentile, r.OfferedRate, j.Percentile,
		units.FormatDuration(j.pick(r.Result.TTFT)), units.FormatDuration(j.pick(r.Result.TPOT)))}
}

// ServeRecord is one served run: the service at one offered rate, or the
// highest rate that meets the SLOs (Searched).
type ServeRecord struct {
	Topology, Workload string
	// OfferedRate is the open loop's requests/s; Concurrency the closed
	// loop's users (one of them is 0).
	OfferedRate float64
	Concurrency int
	Result      serve.Result
	Job         *ServeJob
	Percentile  float64
	Searched    bool
	// Deployment names the deployment a deployment search tried, and
	// Best marks the search's best.
	Deployment string
	Best       bool
	Cost       power.Cost
}
