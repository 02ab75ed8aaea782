package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/cardsea/cardsea/fidelity"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/validation"
)

var validateUsage = usageText("validate")

func runValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("validate", validateUsage)
	format := fs.String("format", "table", "output format: table, markdown, json or csv")
	strict := fs.Bool("strict", false, "exit 1 when a point is outside its tolerance")
	nccl := fs.Bool("nccl", false, "run the 1,848 measured nccl-tests points (H100, H200, B200, GB200; one node) instead: the error distribution by system, op and size")
	ncclAlgos := fs.String("nccl-algorithms", "nccl", "with --nccl: nccl (only what NCCL 2.29 runs in one node, as nccl-tests did) or any (the fastest cardsea has, as --algo auto)")
	kern := fs.Bool("kernels", false, "print instead the held-out error of the measured-kernel fits (GEMM, attention, MLA, MoE on H100, H200, B200, GB200) by system, kernel and shape band, from the sample the project carries")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("validate takes no arguments, got %q", fs.Args())
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("validate: %v", err)
	}
	if *kern && *nccl {
		return usagef("--kernels and --nccl are separate reports; give one")
	}
	if *kern {
		return runValidateKernels(stdout, f)
	}
	if *nccl {
		algos := fidelity.NCCLsAlgorithms
		switch *ncclAlgos {
		case "nccl":
		case "any":
			algos = fidelity.AnyAlgorithm
		default:
			return usagef("--nccl-algorithms %q: want nccl or any", *ncclAlgos)
		}
		ms, err := validation.NCCL()
		if err != nil {
			return err
		}
		ps, err := fidelity.SimulateNCCL(ms, algos)
		if err != nil {
			return err
		}
		return present.NCCLBands(ps, algos).Write(stdout, f)
	}
	rows, err := fidelity.RunProgress(progress(stderr, "cases validated"))
	if err != nil {
		return err
	}
	sheet := &report.Sheet{Columns: []report.Column{
		{Key: "case", Header: "Case"},
		{Key: "topology", Header: "Topology"},
		{Key: "point", Header: "Point"},
		{Key: "unit", Header: "Unit"},
		{Key: "measured", Header: "Measured", Digits: 2},
		{Key: "simulated", Header: "Simulated", Digits: 2},
		{Key: "error", Header: "Error (%)", Scale: 0.01, Digits: 1},
		{Key: "tolerance", Header: "Tolerance (%)", Scale: 0.01, Digits: 0},
		{Key: "status", Header: "Status"},
	}}
	text := f == report.FormatTable || f == report.FormatMarkdown
	if !text {
		sheet.Columns = append(sheet.Columns, report.Column{Key: "why", Header: "Why it misses"}, report.Column{Key: "kernels", Header: "Kernels"})
	}
	var kernelNotes []string // inference cases: what timed their operators
	var gaps, waits []string
	pass, fail, pending := 0, 0, 0
	for _, r := range rows {
		var m, s, e, tol any
		switch {
		case strings.HasPrefix(r.Status, "pending"):
			if r.Unit != "" {
				m = r.Measured // nothing simulated to compare it with
			}
		case r.Unit != "":
			m, s, e, tol = r.Measured, r.Simulated, r.Error(), r.Tolerance
		}
		status := r.Status
		if text && strings.HasPrefix(status, "pending: ") {
			// What a pending case waits for is a sentence: under the
			// table, so that the table fits a terminal.
			waits = append(waits, fmt.Sprintf("%s[P%d] %s: %s.", bulletFor(f), len(waits)+1, r.Case, strings.TrimSuffix(strings.TrimPrefix(status, "pending: "), ".")))
			status = fmt.Sprintf("pending [P%d]", len(waits))
		}
		var why any
		if r.Why != "" {
			why = r.Why
			if text {
				gaps = append(gaps, fmt.Sprintf("%s[%d] %s %s: %s.", bulletFor(f), len(gaps)+1, r.Case, r.Point, r.Why))
				status = fmt.Sprintf("fail [%d]", len(gaps))
			}
		}
		row := []any{r.Case, r.Preset, r.Point, r.Unit, m, s, e, tol, status}
		var kern any
		if r.Kernels != "" {
			kern = r.Kernels
			if note := fmt.Sprintf("%s%s on %s: %s.", bulletFor(f), r.Case, r.Preset, r.Kernels); !slices.Contains(kernelNotes, note) {
				kernelNotes = append(kernelNotes, note)
			}
		}
		if !text {
			row = append(row, why, kern)
		}
		sheet.Rows = append(sheet.Rows, row)
		switch r.Status {
		case "pass":
			pass++
		case "fail":
			fail++
		default:
			pending++
		}
	}
	if f == report.FormatTable || f == report.FormatMarkdown {
		sheet.Title = "Simulated against published measurements"
		sheet.Notes = []string{fmt.Sprintf("%d points pass, %d fail, %d cases pending. Sources: validation/README.md.", pass, fail, pending)}
		if len(gaps) > 0 {
			sheet.Notes = append(sheet.Notes, "", "Why the failing points miss (what the model does not capture):")
			sheet.Notes = append(sheet.Notes, gaps...)
		}
		if len(waits) > 0 {
			sheet.Notes = append(sheet.Notes, "", "What the pending cases wait for:")
			sheet.Notes = append(sheet.Notes, waits...)
		}
		if len(kernelNotes) > 0 {
			sheet.Notes = append(sheet.Notes, "", "What timed the inference cases' operators (cardsea validate --kernels: the fits' held-out error):")
			sheet.Notes = append(sheet.Notes, kernelNotes...)
			sheet.Notes = append(sheet.Notes, bulletFor(f)+"Presets "+fittedPresetsNote()+".")
		}
	}
	if err := sheet.Write(stdout, f); err != nil {
		return err
	}
	if *strict && fail > 0 {
		return fmt.Errorf("%d points outside their tolerance", fail)
	}
	return nil
}

// bulletFor starts a note of a list: a Markdown list item, so that the
// notes stay apart, or nothing in a terminal table.
func bulletFor(f report.Format) string {
	if f == report.FormatMarkdown {
		return "- "
	}
	return ""
}
