package serve

import (
	"math"
	"slices"

	"github.com/cardsea/cardsea/infer"
)

// Percentiles of a latency, in seconds.
type Percentiles struct {
	Mean, P50, P90, P95, P99, Max float64
}

// PercentilesOf is the mean and percentiles of xs (linear between the
// closest ranks, as numpy does); the zero Percentiles for none.
func PercentilesOf(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	q := func(p float64) float64 {
		h := p * float64(len(s)-1)
		lo := int(math.Floor(h))
		if lo+1 >= len(s) {
			return s[len(s)-1]
		}
		return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
	}
	var sum float64
	for _, x := range s {
		sum += x
	}
	return Percentiles{Mean: sum / float64(len(s)), P50: q(0.5), P90: q(0.9), P95: q(0.95), P99: q(0.99), Max: s[len(s)-1]}
}

// weightedPercentiles of values xs counted ws times each.
func weightedPercentiles(xs []float64, ws []int32) Percentiles {
	idx := make([]int, 0, len(xs))
	var total, sum float64
	for i := range xs {
		if ws[i] > 0 {
			idx = append(idx, i)
			total += float64(ws[i])
			sum += xs[i] * float64(ws[i])
		}
	}
	if total == 0 {
		return Percentiles{}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	q := func(p float64) float64 {
		target := p * total
		var c float64
		for _, i := range idx {
			c += float64(ws[i])
			if c >= target {
				return xs[i]
			}
		}
		return xs[idx[len(idx)-1]]
	}
	return Percentiles{Mean: sum / total, P50: q(0.5), P90: q(0.9), P95: q(0.95), P99: q(0.99), Max: xs[idx[len(idx)-1]]}
}

// RequestRecord is one request's life, in seconds from the start.
type RequestRecord struct {
	ID             int     `json:"id"`
	ArrivalS       float64 `json:"arrival_s"`
	InputTokens    int     `json:"input_tokens"`
	OutputTokens   int     `json:"output_tokens"`
	StartS         float64 `json:"start_s"`
	FirstTokenS    float64 `json:"first_token_s"`
	DoneS          float64 `json:"done_s"`
	QueueS         float64 `json:"queue_s"`
	TTFTS          float64 `json:"ttft_s"`
	TPOTS          float64 `json:"tpot_s"`
	E2ES           float64 `json:"e2e_s"`
	Preemptions    int     `json:"preemptions"`
	PrefixHit      int     `json:"prefix_hit_tokens"`
	Instance       string  `json:"instance"`
	MeetsSLO       bool    `json:"meets_slo"`
	Measured       bool    `json:"measured"`
	DecodeInstance string  `json:"-"`
}

// StepRecord is one step of an instance: when it started, how long it
// took, and what it carried.
type StepRecord struct {
	Instance          string
	StartS, DurationS float64
	Decode, Prefill   int // decoding sequences, prompt tokens
}

// MaxStepRecords bounds the steps an instance keeps for a trace.
const MaxStepRecords = 200_000

// Result is a served run.
type Result struct {
	// Requests served and counted (arrived after the warm-up), of
	// Arrived in all; Accelerators the instances hold.
	Requests, Arrived, Accelerators int
	Instances, PrefillInstances     int
	// Instance and Prefill are the (decode or colocated) and prefill
	// instances' configurations as the engine resolved them, and DP and
	// PrefillDP their data-parallel ranks.
	Instance, Prefill infer.Config
	DP, PrefillDP     int
	// WindowS is the measured span: from the first counted arrival to
	// the last counted completion; DurationS the whole run's.
	WindowS, DurationS float64
	// Throughput over the window: requests, output and input tokens per
	// second, output tokens per second per accelerator.
	RequestsPerS, OutputTokensPerS, InputTokensPerS, OutputTokensPerSPerAccel float64
	// Latencies of counted requests: TTFT (arrival to first token), TPOT
	// (the mean time between a request's later tokens), ITL (every gap
	// between two tokens of a sequence: the steps, weighted by the
	// sequences they advance), E2E, and the queueing delay (arrival to
	// first scheduled).
	TTFT, TPOT, ITL, E2E, Queue Percentiles
	// Goodput is the requests per second that meet every SLO given, and
	// SLOAttainment their share.
	GoodputRequestsPerS, SLOAttainment float64
	Preemptions                        int
	// PrefixHitRate is prompt tokens served from the prefix cache over
	// all prompt tokens.
	PrefixHitRate float64
	// KVUseMean (time-weighted while stepping) and KVUsePeak are the
	// share of the KV blocks in use, over the decode instances.
	KVUseMean, KVUsePeak float64
	// KVTransfer is the time from a prompt's end to its KV at the decode
	// instance (disaggregated).
	KVTransfer Percentiles
	// Energy over the whole run (every instance's steps and idle gaps),
	// IT and facility; per request; average IT power; output tokens per
	// joule and per second per facility MW.
	EnergyJ, FacilityEnergyJ, EnergyJPerRequest, AvgPowerW, AvgFacilityPowerW float64
	TokensPerJ, TokensPerSPerMW                                               float64
	// ProvisionedFacilityPowerW is the instances' provisioned facility
	// power (every component at its rating, through the PUE: InferenceX's
	// all-in basis), and TokensPerSPerProvisionedMW the output tokens/s
	// per MW of it; TokensPerSPerMW is per MW of average facility power.
	ProvisionedFacilityPowerW, TokensPerSPerProvisionedMW float64
	// Steps the instances took, and engine runs the step grid needed.
	Steps, EngineRuns int
	// PerRequest holds every request's record, and PerStep each
	// instance's first MaxStepRecords steps (Config.KeepRequests).
	PerRequest []RequestRecord
	PerStep    []StepRecord
}

// result gathers the run's statistics.
func (r *runner) result() Result {
	cfg := r.cfg
	res := Result{Arrived: len(r.reqs), Instances: len(r.decode), PrefillInstances: len(r.prefill),
		Instance: r.decode[0].resolved(), DP: r.decode[0].dp}
	if len(r.prefill) > 0 {
		res.Prefill, res.PrefillDP = r.prefill[0].resolved(), r.prefill[0].dp
	}
	all := append(slices.Clone(r.prefill), r.decode...)
	for _, in := range all {
		res.Accelerators += in.acc()
		res.Steps += in.steps
	}
	end := r.lastDoneS
	res.DurationS = end
	var ttft, tpot, e2e, queue []float64
	first, last := math.Inf(1), 0.0
	var outTok, inTok, promptTok, good float64
	var allOut float64
	for _, q := range r.reqs {
		allOut += float64(q.Output)
		promptTok += float64(q.Input)
		rec := RequestRecord{ID: q.id, ArrivalS: q.ArrivalS, InputTokens: q.Input, OutputTokens: q.Output, StartS: q.startS,
			FirstTokenS: q.firstS, DoneS: q.doneS, QueueS: q.startS - q.ArrivalS, TTFTS: q.firstS - q.ArrivalS, E2ES: q.doneS - q.ArrivalS,
			Preemptions: q.preemptions, PrefixHit: q.prefixHit, Instance: q.inst.name}
		if q.Output > 1 {
			rec.TPOTS = (q.doneS - q.firstS) / float64(q.Output-1)
		}
		rec.MeetsSLO = (cfg.TTFTSLOS == 0 || rec.TTFTS <= cfg.TTFTSLOS) && (cfg.TPOTSLOS == 0 || rec.TPOTS <= cfg.TPOTSLOS)
		rec.Measured = q.ArrivalS >= cfg.WarmupS
		if rec.Measured {
			res.Requests++
			first = math.Min(first, q.ArrivalS)
			last = math.Max(last, q.doneS)
			ttft = append(ttft, rec.TTFTS)
			if q.Output > 1 {
				tpot = append(tpot, rec.TPOTS)
			}
			e2e = append(e2e, rec.E2ES)
			queue = append(queue, rec.QueueS)
			outTok += float64(q.Output)
			inTok += float64(q.Input)
			if rec.MeetsSLO {
				good++
			}
		}
		if cfg.KeepRequests {
			res.PerRequest = append(res.PerRequest, rec)
		}
	}
	if res.Requests > 0 {
		res.WindowS = last - first
	}
	if res.WindowS > 0 {
		res.RequestsPerS = float64(res.Requests) / res.WindowS
		res.OutputTokensPerS = outTok / res.WindowS
		res.InputTokensPerS = inTok / res.WindowS
		res.OutputTokensPerSPerAccel = res.OutputTokensPerS / float64(res.Accelerators)
		res.GoodputRequestsPerS = good / res.WindowS
	}
	if res.Requests > 0 {
		res.SLOAttainment = good / float64(res.Requests)
	}
	res.TTFT, res.TPOT, res.E2E, res.Queue = PercentilesOf(ttft), PercentilesOf(tpot), PercentilesOf(e2e), PercentilesOf(queue)
	res.KVTransfer = PercentilesOf(r.transferS)
	var stepS []float64
	var stepD []int32
	var kvSum, busy float64
	var hits int
	for _, in := range all {
		res.EnergyJ += in.j + in.idleW*math.Max(0, end-in.busyS)
		res.FacilityEnergyJ += in.fj + in.idleFW*math.Max(0, end-in.busyS)
		hits += in.cache.hits
		res.EngineRuns += in.p.runs
		res.PerStep = append(res.PerStep, in.stepLog...)
		if in.prefillOnly {
			continue
		}
		stepS = append(stepS, in.stepS...)
		stepD = append(stepD, in.stepD...)
		kvSum += in.kvTimeSum
		busy += in.busyS
		res.KVUsePeak = math.Max(res.KVUsePeak, in.peakKV)
	}
	res.ITL = weightedPercentiles(stepS, stepD)
	if busy > 0 {
		res.KVUseMean = kvSum / busy
	}
	if promptTok > 0 {
		res.PrefixHitRate = float64(hits) / promptTok
	}
	res.Preemptions = r.preemptions
	if r.completed > 0 {
		res.EnergyJPerRequest = res.EnergyJ / float64(r.completed)
	}
	if end > 0 {
		res.AvgPowerW = res.EnergyJ / end
		res.AvgFacilityPowerW = res.FacilityEnergyJ / end
	}
	if res.EnergyJ > 0 {
		res.TokensPerJ = allOut / res.EnergyJ
	}
	if res.FacilityEnergyJ > 0 {
		res.TokensPerSPerMW = allOut / res.FacilityEnergyJ * 1e6
	}
	for _, in := range all {
		res.ProvisionedFacilityPowerW += in.provFW
	}
	if end > 0 && res.ProvisionedFacilityPowerW > 0 {
		res.TokensPerSPerProvisionedMW = allOut / end / (res.ProvisionedFacilityPowerW / 1e6)
	}
	return res
}

// resolved is the instance's configuration as the engine resolved it,
// or as given when it never stepped (a decode pool of one-token
// requests).
func (in *instance) resolved() infer.Config {
	if in.p.resolved.Model != nil {
		return in.p.resolved
	}
	return in.p.base
}
