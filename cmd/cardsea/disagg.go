package main

import (
	"io"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
)

// runDisagg runs a compiled disaggregated job on t: a prefill instance
// and a decode instance with the KV transfer between them.
func runDisagg(t *topology.Topology, job *study.InferenceJob, spec *study.InferenceSpec, cost power.Cost, f report.Format, stdout io.Writer) error {
	j, err := job.For(t)
	if err != nil {
		return flagError(err, spec)
	}
	rec, err := j.Run(infer.NewEngine(t), nil)
	if err != nil {
		return flagError(err, spec)
	}
	sheet := present.Disagg(t, rec.(*study.DisaggRecord).Result, cost, f == report.FormatTable || f == report.FormatMarkdown)
	return sheet.Write(stdout, f)
}
