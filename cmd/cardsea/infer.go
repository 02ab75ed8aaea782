package main

import (
	"fmt"
	"io"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
)

var inferUsage = usageText("infer")

func runInfer(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("infer", inferUsage)
	topo := fs.StringP("topo", "t", "", "topology: preset or file (required)")
	domains := fs.IntP("domains", "n", 0, "scale-up domains (default: the preset's)")
	scaleOut := scaleOutFlag(fs)
	var spec study.InferenceSpec
	bindSpec(fs, &spec, study.InferenceDefaults)
	curve := fs.Bool("curve", false, "print tokens/s per accelerator against tokens/s per user for doubling batches")
	wide := fs.Bool("wide", false, "tables show every field of every record, however wide; JSON and CSV always do")
	pw := bindPower(fs)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	traceFile := fs.String("trace", "", "write a Chrome/Perfetto trace (JSON) of the step (the last one with --curve)")
	fail := fs.StringArray("fail", nil, "fail an element (repeatable): switch:NAME, plane:N, link:A-B, accel:N, degrade:A-B=F; runs with and without")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("infer takes flags only, got %q", fs.Args())
	}
	if *topo == "" || spec.Model == "" {
		return usagef("infer needs --topo and --model, e.g. --topo cm384 --model deepseek-r1 (see 'cardsea models list')")
	}
	if err := givenZero(fs, &spec); err != nil {
		return err
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("infer: %v", err)
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
	if err := inferModes(job, *curve, *traceFile != "", len(*fail) > 0); err != nil {
		return err
	}
	t, err := loadTopology(*topo, *domains, *scaleOut)
	if err != nil {
		return err
	}
	if job.Disagg != nil {
		return runDisagg(t, job, &spec, cost, f, stdout)
	}
	healthy, t, err := applyFaults(t, *fail)
	if err != nil {
		return err
	}
	runAll := func(t *topology.Topology) ([]infer.Result, error) {
		j, err := job.For(t)
		if err != nil {
			return nil, flagError(err, &spec)
		}
		e := infer.NewEngine(t)
		if *curve {
			maxB := 4096
			if spec.Batch > 0 {
				maxB = spec.Batch
			}
			return e.Curve(j.Config, infer.Batches(maxB))
		}
		rec, err := j.Run(e, progress(stderr, "parallelism configurations searched"))
		if err != nil {
			return nil, flagError(err, &spec)
		}
		return []infer.Result{rec.(*study.InferenceRecord).Result}, nil
	}
	var before []infer.Result
	if healthy != t {
		if before, err = runAll(healthy); err != nil {
			return fmt.Errorf("without the faults: %w", err)
		}
	}
	results, err := runAll(t)
	if err != nil {
		return err
	}
	if *traceFile != "" {
		tr := trace.New()
		infer.AddTrace(tr, t, results[len(results)-1])
		data, err := tr.Marshal()
		if err != nil {
			return err
		}
		if err := writeFile(stderr, *traceFile, data, "trace of the step; open it at ui.perfetto.dev"); err != nil {
			return err
		}
	}
	sheet := present.Inference(t, results, cost, before, mode, f == report.FormatTable || f == report.FormatMarkdown)
	sheet.Wide = *wide
	return sheet.Write(stdout, f)
}

// inferModes refuses the command line's modes (--curve, --trace, --fail)
// where they do not apply to the job.
func inferModes(job *study.InferenceJob, curve, trace, fail bool) error {
	switch {
	case job.Disagg != nil && curve:
		return usagef("--phase disagg takes no --curve; give the instances' parallelism, and --ttft-slo or --tpot-slo to search batches")
	case job.Disagg != nil && trace:
		return usagef("--trace does not draw --phase disagg yet; trace the prefill or decode phase alone")
	case job.Disagg != nil && fail:
		return usagef("--fail does not combine with --phase disagg yet; run the prefill or decode phase alone with faults")
	case curve && job.Search:
		return usagef("--search-parallelism searches under a limit, not along --curve; drop one of them")
	}
	return nil
}
