package infer

import (
	"fmt"
	"math"
	"sort"
)

// Disagg is prefill/decode disaggregation on one topology: a prefill
// instance and a decode instance on disjoint accelerators, each with its
// own batch and parallelism, and the KV cache of every prompt moving from
// the prefill dies to the decode dies over the fabric.
type Disagg struct {
	// Prefill and Decode are the two instances. Prefill.Phase and
	// Decode.Phase are set by RunDisagg; Prefill.InputLen is the prompt.
	// Decode.Context 0 means the mean KV length over a request's decode,
	// InputLen + OutputLen/2. Each instance takes Accelerators from its
	// FirstAccelerator; the two ranges must not overlap.
	Prefill, Decode Config
	// OutputLen is the tokens each request generates.
	OutputLen int
}

// DisaggResult is one disaggregated configuration.
type DisaggResult struct {
	Prefill, Decode Result
	// OutputLen is the tokens each request generates.
	OutputLen int
	// KVBytesPerRequest is one prompt's KV cache in the KV dtype;
	// KVTransferBytes what one prefill step hands over (every sequence of
	// the batch), and KVTransferS how long that takes on the fabric, all
	// transfers at once from the prefill dies holding each layer's cache
	// to the decode dies that need it.
	KVBytesPerRequest, KVTransferBytes, KVTransferS float64
	// KVTransferBytesPerS is KVTransferBytes over KVTransferS.
	KVTransferBytesPerS float64
	// TTFTS is the prefill's TTFT plus the KV transfer; TPOTS the decode's.
	TTFTS, TPOTS float64
	// PrefillRequestsPerS is what the prefill instance finishes: a
	// batch per prefill step, or per KV transfer where that takes longer
	// (the next batch's prefill overlaps the last one's transfer).
	// DecodeRequestsPerS is what the decode instance completes:
	// its tokens/s over OutputLen.
	PrefillRequestsPerS, DecodeRequestsPerS float64
	// KVTransferBound says the KV transfer, not the prefill step, limits
	// the prefill instance.
	KVTransferBound bool
	// PrefillPerDecode is how many prefill instances keep one decode
	// instance busy (DecodeRequestsPerS / PrefillRequestsPerS): the
	// balanced ratio, a fraction in general.
	PrefillPerDecode float64
	// PrefillInstances and DecodeInstances are the smallest deployment of
	// whole instances that balances (WholeInstances), and PrefillUse and
	// DecodeUse the share of each pool's capacity it uses at the load its
	// decode instances serve running full.
	PrefillInstances, DecodeInstances int
	PrefillUse, DecodeUse             float64
	// For that deployment: its accelerators, output tokens/s (its decode
	// instances'), per accelerator, IT and facility power (every instance
	// at its step's average power: an under-used prefill instance counts
	// as running, as a provisioned deployment draws), output tokens/s per
	// IT kW and IT joules per output token.
	Accelerators                   int
	TokensPerS, TokensPerSPerAccel float64
	PowerW, FacilityPowerW         float64
	// ProvisionedFacilityW is the deployment's provisioned facility
	// power (Result.ProvisionedFacilityW of each instance).
	ProvisionedFacilityW   float64
	TokensPerKW, JPerToken float64
	// BalancedAccelerators is the fractional system of the balanced
	// ratio, PrefillPerDecode prefill instances and one decode instance:
	// the limit a large deployment approaches.
	BalancedAccelerators                    float64
	PrefillTokensPerSPerAccel               float64 // prompt tokens/s per prefill accelerator
	DecodeTokensPerSPerAccel                float64 // output tokens/s per decode accelerator
	PrefillAccelerators, DecodeAccelerators int     // each instance's size
}

// setup fills in the phases and defaults and checks the placement.
func (e *Engine) disaggSetup(d *Disagg) error {
	p, dc := &d.Prefill, &d.Decode
	p.Phase, dc.Phase = Prefill, Decode
	if d.OutputLen < 1 {
		return fmt.Errorf("output length %d: want at least 1 token per request", d.OutputLen)
	}
	if p.InputLen < 1 {
		return fmt.Errorf("input length %d: want at least 1 prompt token", p.InputLen)
	}
	if dc.Context == 0 {
		dc.Context = p.InputLen + d.OutputLen/2
	}
	if p.Model != dc.Model {
		return fmt.Errorf("prefill serves %s and decode %s: want one model", p.Model.Name, dc.Model.Name)
	}
	if p.Precision.KVCache != dc.Precision.KVCache {
		return fmt.Errorf("prefill keeps its KV cache in %s and decode in %s: want one KV dtype", p.Precision.KVCache, dc.Precision.KVCache)
	}
	if p.Accelerators < 1 || dc.Accelerators < 1 {
		return fmt.Errorf("prefill %d and decode %d accelerators: each instance needs at least 1", p.Accelerators, dc.Accelerators)
	}
	total := len(e.Topo.Accels)
	if p.FirstAccelerator+p.Accelerators > total || dc.FirstAccelerator+dc.Accelerators > total {
		return fmt.Errorf("prefill on accelerators %d-%d and decode on %d-%d, but %s has accelerators 0 to %d",
			p.FirstAccelerator, p.FirstAccelerator+p.Accelerators-1, dc.FirstAccelerator, dc.FirstAccelerator+dc.Accelerators-1, e.Topo.Name, total-1)
	}
	if p.FirstAccelerator < dc.FirstAccelerator+dc.Accelerators && dc.FirstAccelerator < p.FirstAccelerator+p.Accelerators {
		return fmt.Errorf("prefill on accelerators %d-%d and decode on %d-%d overlap: want disjoint instances",
			p.FirstAccelerator, p.FirstAccelerator+p.Accelerators-1, dc.FirstAccelerator, dc.FirstAccelerator+dc.Accelerators-1)
	}
	return nil
}

// RunDisagg simulates a prefill step, a decode step and the KV transfer
// of a prefill step's batch, and balances the two instances.
func (e *Engine) RunDisagg(d Disagg) (DisaggResult, error) {
	if err := e.disaggSetup(&d); err != nil {
		return DisaggResult{}, err
	}
	pre, err := e.Run(d.Prefill)
	if err != nil {
		return DisaggResult{}, fmt.Errorf("prefill: %w", err)
	}
	dec, err := e.Run(d.Decode)
	if err != nil {
		return DisaggResult{}, fmt.Errorf("decode: %w", err)
	}
	return e.disaggWith(d, pre, dec)
}

// disaggWith completes a result from simulated instances.
func (e *Engine) disaggWith(d Disagg, pre, dec Result) (DisaggResult, error) {
	r := DisaggResult{Prefill: pre, Decode: dec, OutputLen: d.OutputLen, PrefillAccelerators: pre.Accelerators, DecodeAccelerators: dec.Accelerators}
	m := pre.Config.Model
	r.KVBytesPerRequest = m.KVBytes(pre.Config.InputLen, pre.Config.Precision.KVCache.Bytes())
	sends, total := kvSends(pre, dec, r.KVBytesPerRequest, e.base(pre.Config), e.base(dec.Config))
	r.KVTransferBytes = total
	s, err := e.Sends(sends)
	if err != nil {
		return r, fmt.Errorf("KV transfer: %w", err)
	}
	r.KVTransferS = s
	if s > 0 {
		r.KVTransferBytesPerS = total / s
	}
	r.TTFTS = pre.TTFTS + s
	r.TPOTS = dec.TPOTS
	seqs := float64(pre.Config.Batch * pre.Accelerators)
	r.KVTransferBound = s > pre.StepS
	r.PrefillRequestsPerS = seqs / math.Max(pre.StepS, s)
	r.DecodeRequestsPerS = dec.TokensPerS / float64(d.OutputLen)
	r.PrefillPerDecode = r.DecodeRequestsPerS / r.PrefillRequestsPerS
	r.BalancedAccelerators = r.PrefillPerDecode*float64(pre.Accelerators) + float64(dec.Accelerators)
	r.PrefillInstances, r.DecodeInstances, r.PrefillUse, r.DecodeUse = WholeInstances(r.PrefillPerDecode)
	p, n := float64(r.PrefillInstances), float64(r.DecodeInstances)
	r.Accelerators = r.PrefillInstances*pre.Accelerators + r.DecodeInstances*dec.Accelerators
	r.TokensPerS = n * dec.TokensPerS * r.DecodeUse
	if r.Accelerators > 0 {
		r.TokensPerSPerAccel = r.TokensPerS / float64(r.Accelerators)
	}
	r.PowerW = p*pre.PowerW + n*dec.PowerW
	r.FacilityPowerW = p*pre.FacilityPowerW + n*dec.FacilityPowerW
	r.ProvisionedFacilityW = p*pre.ProvisionedFacilityW + n*dec.ProvisionedFacilityW
	if r.PowerW > 0 && r.TokensPerS > 0 {
		r.TokensPerKW = r.TokensPerS / (r.PowerW / 1e3)
		r.JPerToken = r.PowerW / r.TokensPerS
	}
	r.PrefillTokensPerSPerAccel = pre.TokensPerSPerAccel
	r.DecodeTokensPerSPerAccel = dec.TokensPerSPerAccel
	return r, nil
}

// kvSends lays out the KV transfer of one prefill step: sequence k of the
// batch lives on prefill replica k mod DP and goes to decode replica k mod
// DP (round robin). Within a replica, die (stage s, TP rank t) sits at
// s x stage dies + replica x TP + t. A layer's KV is cut along its heads:
// prefill TP rank t of TP sends the t-th of TP equal slices (ranks that
// hold the same KV heads, or MLA's unsplit latent, share the sending), and
// a decode die receives, for the layers of its stage, the slice of heads
// its TP rank attends to (the whole latent for MLA), so with equal TP and
// KV heads split both sides, rank t sends to rank t only. Bytes between
// the same two dies add up.
func kvSends(pre, dec Result, perSeq float64, preBase, decBase int) ([]Send, float64) {
	m := pre.Config.Model
	pc, dc := pre.Config, dec.Config
	pStage, dStage := pre.Dies/pc.PP, dec.Dies/dc.PP
	// overlap[s][s'] is the share of the layers in prefill stage s and
	// decode stage s'.
	L := m.Layers
	overlap := func(s, sd int) float64 {
		lo := max(s*L/pc.PP, sd*L/dc.PP)
		hi := min((s+1)*L/pc.PP, (sd+1)*L/dc.PP)
		return math.Max(0, float64(hi-lo)) / float64(L)
	}
	split := KVSplit(m, dc.TP)
	// heads[t][td] is the share of a layer's KV prefill rank t sends to
	// decode rank td.
	heads := make([][]float64, pc.TP)
	for t := range heads {
		heads[t] = make([]float64, dc.TP)
		lo, hi := float64(t)/float64(pc.TP), float64(t+1)/float64(pc.TP)
		for td := range dc.TP {
			part := math.Floor(float64(td) * split / float64(dc.TP))
			dlo, dhi := part/split, (part+1)/split
			heads[t][td] = math.Max(0, math.Min(hi, dhi)-math.Max(lo, dlo))
		}
	}
	bytes := map[[2]int]float64{}
	seqs := pc.Batch * pre.Accelerators
	var total float64
	for k := range seqs {
		rp, rd := k%pre.DP, k%dec.DP
		for s := range pc.PP {
			for sd := range dc.PP {
				ov := overlap(s, sd)
				if ov == 0 {
					continue
				}
				for t := range pc.TP {
					from := preBase + s*pStage + rp*pc.TP + t
					for td := range dc.TP {
						b := perSeq * ov * heads[t][td]
						if b == 0 {
							continue
						}
						to := decBase + sd*dStage + rd*dc.TP + td
						bytes[[2]int{from, to}] += b
						total += b
					}
				}
			}
		}
	}
	keys := make([][2]int, 0, len(bytes))
	for k := range bytes {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([]Send, len(keys))
	for i, k := range keys {
		out[i] = Send{From: k[0], To: k[1], Bytes: bytes[k]}
	}
	return out, total
}

// BestDisaggUnderSLO searches the prefill batch for the most prompt
// tokens/s per accelerator with TTFT (prefill plus KV transfer) within
// ttftSLO, and the decode batch for the most tokens/s per accelerator with
// TPOT within tpotSLO; a limit of 0 keeps that instance's batch as given.
func (e *Engine) BestDisaggUnderSLO(d Disagg, ttftSLO, tpotSLO float64) (DisaggResult, error) {
	if err := e.disaggSetup(&d); err != nil {
		return DisaggResult{}, err
	}
	var pre, dec Result
	var err error
	if tpotSLO > 0 {
		dec, err = e.BestUnderSLO(d.Decode, tpotSLO)
	} else {
		dec, err = e.Run(d.Decode)
	}
	if err != nil {
		return DisaggResult{}, fmt.Errorf("decode: %w", err)
	}
	if ttftSLO <= 0 {
		if pre, err = e.Run(d.Prefill); err != nil {
			return DisaggResult{}, fmt.Errorf("prefill: %w", err)
		}
		return e.disaggWith(d, pre, dec)
	}
	// TTFT grows with the prefill batch: bisect on it, KV transfer included.
	try := func(b int) (DisaggResult, bool, error) {
		c := d
		c.Prefill.Batch = b
		p, err := e.Run(c.Prefill)
		if err != nil {
			return DisaggResult{}, false, err
		}
		r, err := e.disaggWith(c, p, dec)
		return r, err == nil && r.TTFTS <= ttftSLO, err
	}
	best, ok, err := try(1)
	if err != nil {
		return best, fmt.Errorf("prefill: %w", err)
	}
	if !ok {
		return best, infeasible("prefill: even batch 1 takes %.1f ms to the first token (prefill %.1f ms, KV transfer %.1f ms), over the %.1f ms limit",
			best.TTFTS*1e3, best.Prefill.TTFTS*1e3, best.KVTransferS*1e3, ttftSLO*1e3)
	}
	lo, hi := 1, min(max(best.Prefill.MaxBatch, 1), 4096)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		r, ok, err := try(mid)
		if err != nil || !ok {
			hi = mid - 1
			continue
		}
		lo, best = mid, r
	}
	return best, nil
}

// BalancedUse is the least share of its prefill pool's capacity a
// whole deployment that balances uses (WholeInstances).
const BalancedUse = 0.9

// WholeInstances is the smallest deployment of whole instances that
// balances when ratio prefill instances keep one decode instance busy.
// The load is what its d decode instances serve running full (decode use
// 1, as the balanced ratio's one decode instance does); p = ceil(ratio x
// d) prefill instances, the fewest that keep up, so neither pool is over
// 100%; and d is the smallest, from 1, at which the prefill pool is at
// least BalancedUse used (ratio x d / p), so that rounding up to whole
// prefill instances idles under a tenth of them. 10.05 gives 11:1 (91%
// prefill use), 8.74 gives 9:1 (97%), 1.2 gives 4:3 (90%, where 2:1
// would idle 40%), 0.3 gives 1:3 (90%). A ratio that is not positive,
// or outside 1e-9 to 1e9, gives zeros.
func WholeInstances(ratio float64) (prefill, decode int, prefillUse, decodeUse float64) {
	if !(ratio > 0) || math.IsInf(ratio, 0) || ratio > 1e9 || ratio < 1e-9 {
		return 0, 0, 0, 0
	}
	const eps = 1e-9
	// Below BalancedUse / ratio decode instances one prefill instance is
	// under BalancedUse used: start there. Past 9 / ratio, rounding up
	// costs under a tenth: the loop ends by then.
	for d := max(1, int(math.Floor(BalancedUse/ratio))); ; d++ {
		need := ratio * float64(d)
		p := max(1, int(math.Ceil(need-eps)))
		if use := need / float64(p); use >= BalancedUse-eps {
			return p, d, min(use, 1), 1
		}
	}
}
