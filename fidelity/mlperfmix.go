package fidelity

import (
	"fmt"
	"math/rand/v2"

	"github.com/cardsea/cardsea/serve"
)

// mlperfPair is one stratum of an MLPerf data set: a prompt length and a
// reference output length, in tokens.
type mlperfPair struct{ input, output int }

// The request mixes of MLPerf Inference's long-context and reasoning
// benchmarks as 50 strata: every sample of the data set sorted by prompt
// length (then output), cut into 50 runs of equal count (166 to 167, 87
// to 88 samples), each run's mean prompt and mean reference output. The
// strata keep the prompts' spread and how the outputs follow them, and
// their means are the data set's. Derived from the per-sample token
// counts (tok_input_len, tok_ref_output_len) that
// openshift-psap/performance-dashboard extracts from MLCommons' data sets
// (mlperf-data/summaries/llama3-1-405b.csv and deepseek-r1.csv, 8,313 and
// 4,388 rows); assumption: those rows are the data sets' as MLCommons
// ships them, which the means confirm (below).
var (
	// Llama 3.1 405B (mlperf_llama3.1_405b_dataset_8313_processed_fp16_eval.pkl):
	// mean prompt 9,428.6 tokens (max 19,988), mean output 684.68, which
	// is mlcommons/inference language/llama3.1-405b/README.md's
	// "tokens_per_sample: 684.68".
	llama405Mix = []mlperfPair{
		{1480, 607}, {2344, 728}, {2781, 753}, {3139, 761}, {3496, 749}, {3819, 760}, {4111, 795}, {4376, 767}, {4674, 797}, {4967, 782},
		{5296, 770}, {5649, 794}, {5994, 790}, {6359, 821}, {6786, 805}, {7207, 803}, {7573, 732}, {7940, 779}, {8269, 740}, {8640, 761},
		{8978, 718}, {9220, 691}, {9454, 664}, {9778, 740}, {9935, 724}, {10185, 496}, {10427, 628}, {10484, 694}, {10726, 450}, {10921, 690},
		{11059, 605}, {11151, 728}, {11375, 296}, {11595, 720}, {11694, 622}, {11894, 540}, {12089, 547}, {12282, 581}, {12432, 679}, {12620, 387},
		{12873, 661}, {13045, 530}, {13334, 544}, {13621, 605}, {13995, 667}, {14455, 613}, {15011, 710}, {15828, 738}, {17165, 812}, {18956, 858},
	}
	// DeepSeek-R1 (mlperf_deepseek_r1_dataset_4388_fp8_eval.pkl): mean
	// prompt 803.8 tokens (max 3,140, the max_input_len NVIDIA builds
	// for), reference outputs capped at the benchmark's 20,000-token
	// limit (MLCommons, "DeepSeek-R1 ... a maximum output length of 20K",
	// mlcommons.org/2025/09/deepseek-inference-5-1) with mean 3,886.2,
	// which is mlcommons/inference language/deepseek-r1/README.md's
	// reference "mean-output-tok-len: 3886.2274".
	deepseekR1Mix = []mlperfPair{
		{72, 5330}, {88, 5738}, {100, 5898}, {110, 6806}, {119, 6292}, {129, 7112}, {141, 7238}, {156, 7470}, {177, 9589}, {207, 9974},
		{290, 4684}, {389, 7167}, {481, 6738}, {605, 8129}, {722, 5257}, {794, 6034}, {833, 2400}, {846, 1134}, {853, 1628}, {860, 2373},
		{869, 2675}, {877, 1769}, {883, 2391}, {890, 2471}, {898, 2077}, {906, 2349}, {913, 2402}, {922, 2921}, {933, 2102}, {945, 2470},
		{958, 2754}, {973, 2546}, {990, 2358}, {1010, 2142}, {1028, 2170}, {1047, 2818}, {1068, 3299}, {1088, 2883}, {1109, 2976}, {1131, 2427},
		{1151, 2737}, {1177, 2614}, {1214, 2771}, {1260, 1816}, {1276, 1476}, {1286, 2115}, {1298, 3235}, {1312, 2823}, {1337, 3367}, {1477, 4362},
	}
)

// mlperfMixRequests draws durationS seconds of Poisson arrivals at rate
// queries/s, each query a stratum of mix at random (as loadgen draws its
// samples uniformly). Deterministic for a seed. Cost: O(n) for n
// arrivals.
func mlperfMixRequests(mix []mlperfPair, rate, durationS float64, seed uint64) ([]serve.Request, error) {
	if len(mix) == 0 {
		return nil, fmt.Errorf("no strata to draw queries from")
	}
	traffic := serve.Traffic{Rate: rate, DurationS: durationS, Input: serve.Lengths{Mean: 1}, Output: serve.Lengths{Mean: 1}, Seed: seed}
	reqs, err := traffic.Generate()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	for i := range reqs {
		p := mix[rng.IntN(len(mix))]
		reqs[i].Input, reqs[i].Output = p.input, p.output
	}
	return reqs, nil
}

// mlperfSteady measures a served run (kept records) in its steady state,
// the window [from, to] while queries still arrive: output tokens per
// second are the tokens the instances generated in it (each decoding
// sequence's token a step, each first token at its prompt's end), and the
// latencies are those of the queries that arrived in it. The run's drain
// after the last arrival, when the load falls off, is left out, as
// MLPerf's ten-minute runs make it negligible. Cost: one pass over the
// run's steps and requests, and a sort of the window's latencies.
func mlperfSteady(res serve.Result, from, to float64) (serve.Result, error) {
	if len(res.PerStep) < res.Steps {
		return serve.Result{}, fmt.Errorf("the run kept %d of its %d steps (serve.MaxStepRecords an instance): shorten it", len(res.PerStep), res.Steps)
	}
	var tok float64
	for _, s := range res.PerStep {
		if mid := s.StartS + s.DurationS/2; mid >= from && mid < to {
			tok += float64(s.Decode)
		}
	}
	var ttft, tpot []float64
	for _, r := range res.PerRequest {
		if r.FirstTokenS >= from && r.FirstTokenS < to {
			tok++
		}
		if r.ArrivalS >= from && r.ArrivalS < to {
			ttft = append(ttft, r.TTFTS)
			if r.OutputTokens > 1 {
				tpot = append(tpot, r.TPOTS)
			}
		}
	}
	if len(tpot) == 0 || !(to > from) {
		return serve.Result{}, fmt.Errorf("no steady window: no query arrives between %.0f and %.0f s", from, to)
	}
	out := res
	out.OutputTokensPerS = tok / (to - from)
	out.TTFT = serve.PercentilesOf(ttft)
	out.TPOT = serve.PercentilesOf(tpot)
	return out, nil
}
