package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/report"
)

var modelsUsage = usageText("models")

func runModels(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, strings.TrimLeft(modelsUsage, "\n"))
		} else {
			fmt.Fprint(stdout, strings.TrimLeft(modelsUsage, "\n"))
		}
		if len(args) == 0 {
			return usagef("models needs a subcommand: list or show")
		}
		return nil
	}
	switch args[0] {
	case "list":
		return runModelsList(args[1:], stdout, stderr)
	case "show":
		return runModelsShow(args[1:], stdout, stderr)
	}
	return usagef("models: unknown subcommand %q (want list or show)", args[0])
}

func runModelsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models list", modelsUsage)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("models list takes no arguments, got %q", fs.Args())
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("models list: %v", err)
	}
	sheet := &report.Sheet{Columns: []report.Column{
		{Key: "name", Header: "Name"},
		{Key: "title", Header: "Model"},
		{Key: "total_params", Header: "Total params (B)", Scale: 1e9, Digits: 1},
		{Key: "active_params", Header: "Active params (B)", Scale: 1e9, Digits: 1},
		{Key: "layers", Header: "Layers"},
		{Key: "attention", Header: "Attention"},
		{Key: "routed_experts", Header: "Routed experts"},
		{Key: "shared_experts", Header: "Shared experts"},
		{Key: "top_k", Header: "Experts per token"},
	}, Notes: []string{
		"Parameters are computed from each published config (checked against the published counts);",
		"active excludes the input embedding. Sources: 'cardsea models show NAME'.",
	}}
	for _, name := range llm.Names() {
		m, err := llm.Load(name)
		if err != nil {
			return err
		}
		var routed, shared, topK any
		if m.MoE != nil {
			routed, shared, topK = m.MoE.RoutedExperts, m.MoE.SharedExperts, m.MoE.TopK
		}
		sheet.Rows = append(sheet.Rows, []any{m.Name, m.Title, m.TotalParams(), m.ActiveParams(),
			m.Layers, string(m.Attention.Kind), routed, shared, topK})
	}
	return sheet.Write(stdout, f)
}

func runModelsShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models show", modelsUsage)
	context := fs.IntP("context", "c", 4096, "context length in tokens for the FLOPs per token")
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("models show needs a model name or file, e.g. 'cardsea models show deepseek-r1' (see 'cardsea models list')")
	}
	if *context < 1 {
		return usagef("--context is %d; want 1 or more tokens", *context)
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("models show: %v", err)
	}
	var models []*llm.Model
	for _, name := range fs.Args() {
		m, err := llm.Load(name)
		if err != nil {
			return err
		}
		models = append(models, m)
	}
	return present.Models(models, *context).Write(stdout, f)
}
