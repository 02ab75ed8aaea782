package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/trace"
)

var serveUsage = usageText("serve")

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveUsage)
	topo := fs.StringP("topo", "t", "", "topology: preset or file (required)")
	domains := fs.IntP("domains", "n", 0, "scale-up domains (default: the preset's)")
	scaleOut := scaleOutFlag(fs)
	var spec study.ServeSpec
	bindSpec(fs, &spec, study.ServeDefaults)
	pw := bindPower(fs)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	reqOut := fs.String("requests-out", "", "write every request's record (arrival, TTFT, TPOT, ...) to FILE: .jsonl (JSON Lines) or .csv")
	jobs := fs.IntP("jobs", "j", 0, "rates (or user counts) served at once, each on its own engine (default: the CPUs this process may use)")
	traceFile := fs.String("trace", "", "write a Chrome/Perfetto trace (JSON) of the last rate's run: every step of every instance, and the first 2,000 requests")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes flags only, got %q", fs.Args())
	}
	if *topo == "" || spec.Model == "" {
		return usagef("serve needs --topo, --model and traffic, e.g. --topo hgx-h100 --model llama-3.1-70b --tp 8 --rate 4 (or --replay azure-conv)")
	}
	if err := givenZero(fs, &spec); err != nil {
		return err
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("serve: %v", err)
	}
	if *reqOut != "" && !strings.HasSuffix(*reqOut, ".jsonl") && !strings.HasSuffix(*reqOut, ".csv") {
		return usagef("--requests-out %s: name a .jsonl or .csv file", *reqOut)
	}
	mode, cost, err := powerFlags(pw)
	if err != nil {
		return err
	}
	job, err := spec.Compile("")
	if err != nil {
		return flagError(err, &spec)
	}
	job.SetPowerMode(mode)
	t, err := loadTopology(*topo, *domains, *scaleOut)
	if err != nil {
		return err
	}
	j, err := job.For(t)
	if err != nil {
		return flagError(err, &spec)
	}
	keep := *reqOut != "" || *traceFile != ""
	what := "rates served"
	if job.FindMax {
		what = "rates tried"
	}
	var recs []*study.ServeRecord
	var skipped []string
	if job.Search {
		if keep {
			return usagef("--search-deployment reports one record per deployment; drop --requests-out and --trace, and run the best deployment alone for them")
		}
		recs, _, skipped, err = j.SearchDeployments(infer.NewEngine(t), progress(stderr, "deployments searched"))
	} else if job.FindMax {
		recs, err = j.Run(infer.NewEngine(t), keep, progress(stderr, what))
	} else {
		recs, err = j.RunLoads(t, *jobs, keep, progress(stderr, what))
	}
	if err != nil {
		return flagError(err, &spec)
	}
	for _, r := range recs {
		r.Label(t.Name, "", cost)
	}
	last := recs[len(recs)-1].Result
	if *reqOut != "" {
		data, err := requestRecords(recs, *reqOut)
		if err != nil {
			return err
		}
		n := 0
		for _, r := range recs {
			n += len(r.Result.PerRequest)
		}
		if err := writeFile(stderr, *reqOut, data, fmt.Sprintf("%d request records", n)); err != nil {
			return err
		}
	}
	if *traceFile != "" {
		data, err := requestTrace(last, 2000)
		if err != nil {
			return err
		}
		if err := writeFile(stderr, *traceFile, data, "trace of the steps and requests; open it at ui.perfetto.dev"); err != nil {
			return err
		}
	}
	rows := make([]study.Record, len(recs))
	for i, r := range recs {
		rows[i] = r
	}
	sheet := study.Command(&study.ServeRecord{}).Sheet(rows...)
	if f == report.FormatTable || f == report.FormatMarkdown {
		sheet.Vertical = len(recs) == 1
		inst := j.Instance.Config
		sheet.Title = fmt.Sprintf("%s served on %s", inst.Model.Title, t.Title)
		sheet.Notes = serveNotes(j, last, recs[0].Searched)
		for _, r := range recs {
			if r.Best {
				sheet.Notes = append(sheet.Notes, fmt.Sprintf("Best per provisioned facility MW (InferenceX's all-in basis): %s, %.3g requests/s within the limits, %.0f output tokens/s per MW.", r.Deployment, r.OfferedRate, r.Result.TokensPerSPerProvisionedMW))
			}
		}
		for _, s := range skipped {
			sheet.Notes = append(sheet.Notes, "Not served: "+s+".")
		}
	}
	return sheet.Write(stdout, f)
}

// serveNotes say how the run was made and what its figures count.
func serveNotes(j *study.ServeJob, r serve.Result, searched bool) []string {
	notes := []string{
		fmt.Sprintf("%d requests (%d counted after the warm-up) through %d instance(s)%s on %d accelerators; %d steps, each priced by the inference engine for its real composition on the fabric (%d engine runs; go doc github.com/cardsea/cardsea/serve).",
			r.Arrived, r.Requests, r.Instances, disaggNote(r), r.Accelerators, r.Steps, r.EngineRuns),
		"TTFT: arrival to first token; TPOT: a request's mean time per later token; inter-token latency: every gap between two tokens of a sequence. Throughput over the counted requests' span; energy over the whole run, idle gaps included, for the instances' share of the system.",
	}
	if searched {
		notes = append(notes, fmt.Sprintf("The highest offered load whose p%g TTFT and TPOT meet the limits, to 2%% (bisection over the rate).", j.Percentile))
	}
	return notes
}

func disaggNote(r serve.Result) string {
	if r.PrefillInstances == 0 {
		return ""
	}
	return fmt.Sprintf(" and %d prefill instance(s) before them", r.PrefillInstances)
}

// requestRecords renders every request of every rate as JSON Lines or CSV.
func requestRecords(recs []*study.ServeRecord, path string) ([]byte, error) {
	var b bytes.Buffer
	if strings.HasSuffix(path, ".jsonl") {
		enc := json.NewEncoder(&b)
		for _, rec := range recs {
			for _, q := range rec.Result.PerRequest {
				if err := enc.Encode(struct {
					Rate float64 `json:"offered_requests_per_s"`
					serve.RequestRecord
				}{rec.OfferedRate, q}); err != nil {
					return nil, err
				}
			}
		}
		return b.Bytes(), nil
	}
	w := csv.NewWriter(&b)
	head := []string{"offered_requests_per_s", "id", "arrival_s", "input_tokens", "output_tokens", "start_s", "first_token_s", "done_s",
		"queue_s", "ttft_s", "tpot_s", "e2e_s", "preemptions", "prefix_hit_tokens", "instance", "meets_slo", "measured"}
	if err := w.Write(head); err != nil {
		return nil, err
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, rec := range recs {
		for _, q := range rec.Result.PerRequest {
			if err := w.Write([]string{g(rec.OfferedRate), strconv.Itoa(q.ID), g(q.ArrivalS), strconv.Itoa(q.InputTokens), strconv.Itoa(q.OutputTokens),
				g(q.StartS), g(q.FirstTokenS), g(q.DoneS), g(q.QueueS), g(q.TTFTS), g(q.TPOTS), g(q.E2ES), strconv.Itoa(q.Preemptions),
				strconv.Itoa(q.PrefixHit), q.Instance, strconv.FormatBool(q.MeetsSLO), strconv.FormatBool(q.Measured)}); err != nil {
				return nil, err
			}
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// requestTrace draws a served run: each instance's steps (what each
// carried) with its decoding sequences as a counter, and the first n
// requests, one track each: time queued, prefill (to the first token),
// decode.
func requestTrace(r serve.Result, n int) ([]byte, error) {
	tr := trace.New()
	pids := map[string]int{}
	stepTid := map[string]int{}
	for _, st := range r.PerStep {
		pid, ok := pids[st.Instance]
		if !ok {
			pid = tr.Process(st.Instance)
			pids[st.Instance] = pid
			stepTid[st.Instance] = tr.Thread(pid, "steps")
		}
		tr.Span(pid, stepTid[st.Instance], "step", st.StartS, st.StartS+st.DurationS, map[string]any{"decode_sequences": st.Decode, "prompt_tokens": st.Prefill})
		tr.Counter(pid, "decoding sequences", st.StartS, float64(st.Decode))
	}
	for i, q := range r.PerRequest {
		if i >= n {
			break
		}
		pid, ok := pids[q.Instance]
		if !ok {
			pid = tr.Process(q.Instance)
			pids[q.Instance] = pid
		}
		tid := tr.Thread(pid, fmt.Sprintf("request %d", q.ID))
		args := map[string]any{"input_tokens": q.InputTokens, "output_tokens": q.OutputTokens, "preemptions": q.Preemptions}
		tr.Span(pid, tid, "queued", q.ArrivalS, q.StartS, args)
		tr.Span(pid, tid, "prefill", q.StartS, q.FirstTokenS, args)
		if q.DoneS > q.FirstTokenS {
			tr.Span(pid, tid, "decode", q.FirstTokenS, q.DoneS, args)
		}
	}
	return tr.Marshal()
}
