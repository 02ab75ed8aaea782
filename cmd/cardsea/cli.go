package main

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cardsea/cardsea/internal/buildinfo"
	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks an error in how cardsea was called (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "compare CloudMatrix 384, GB200 NVL72 and HGX H20 side by side", runDemo},
		{"compare", "put topologies side by side: systems, collectives, power, ratios to a baseline", runCompare},
		{"topo", "list the built-in topologies or show them: devices, bandwidth, power", runTopo},
		{"models", "list the LLM model zoo or show a model: params, KV cache, weights, FLOPs", runModels},
		{"collective", "simulate a collective (allreduce, alltoall, ...) over a size sweep, nccl-tests style", runCollective},
		{"infer", "simulate LLM inference (prefill, decode, serve, disagg) on a topology: TTFT, TPOT, tokens/s, power", runInfer},
		{"serve", "simulate a service under traffic, request by request: TTFT/TPOT percentiles, goodput, tokens per joule", runServe},
		{"op", "time one operator (GEMM, attention, MLA, MoE) on a preset's accelerator: roofline and measured-kernel fit", runOp},
		{"train", "simulate one training step of a dense LLM (TP, CP, DP, LoRA): step time, MFU, power per node", runTrain},
		{"run", "run a scenario file: topologies x workloads, with energy and cost", runRun},
		{"check", "validate a scenario file without running it", runCheck},
		{"sweep", "run a scenario's sweep in parallel, sharded across machines if asked", runSweep},
		{"merge", "join sweep shard files into one", runMerge},
		{"plot", "chart a results file: one column against another, a line per series, SVG or PNG", runPlot},
		{"report", "run a scenario file into one self-contained HTML page: table and charts", runReport},
		{"validate", "compare the simulator with published measurements, case by case", runValidate},
		{"reliability", "failure rates by part, time between interruptions, checkpoint goodput, Monte Carlo", runReliability},
		{"version", "print the version", runVersion},
		{"help", "show help for a command", nil},
	}
}

const version = "0.1.0-dev"

// Main runs cardsea with the given arguments (without the program name) and
// returns the process exit code. Tests drive it directly.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-V") {
		args = []string{"version"}
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return Main([]string{args[1], "--help"}, stdout, stderr)
		}
		printUsage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] && c.run != nil {
			return exitCode(c.run(args[1:], stdout, stderr), stdout, stderr)
		}
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	msg := fmt.Sprintf("cardsea: unknown command %q", args[0])
	if s := strictyaml.Nearest(args[0], names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	fmt.Fprintf(stderr, "%s\nRun 'cardsea help' for the list of commands.\n", msg)
	return exitUsage
}

func exitCode(err error, stdout, stderr io.Writer) int {
	var help *helpError
	switch {
	case err == nil, errors.Is(err, errParsed):
		return exitOK
	case errors.As(err, &help):
		fmt.Fprint(stdout, help.text)
		return exitOK
	}
	fmt.Fprintf(stderr, "cardsea: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// printUsage prints the top-level help (usage/cardsea.txt) with the
// command list in place of its {{commands}} line.
func printUsage(w io.Writer) {
	head, tail, _ := strings.Cut(strings.TrimPrefix(usageText("cardsea"), "\n"), "{{commands}}\n")
	fmt.Fprint(w, head)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, tail)
}

// newFlags makes a FlagSet for a subcommand whose errors are returned, not
// printed-and-exited, with a usage text that teaches.
func newFlags(name, usage string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	// pflag writes the usage (on --help) and its own error lines here;
	// parseFlags hands the usage to stdout and the error, once, to stderr.
	fs.SetOutput(new(bytes.Buffer))
	fs.SortFlags = false
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, strings.TrimLeft(usage, "\n"))
		fmt.Fprintln(w, "\nFlags:")
		fmt.Fprint(w, fs.FlagUsages())
	}
	return fs
}

// helpError carries a command's usage, asked for with --help: Main prints
// it to stdout and exits 0, so 'cardsea help infer | less' works.
type helpError struct{ text string }

func (e *helpError) Error() string { return "help requested" }

// parseOnly, set by tests, stops every command once its flags parse
// (errParsed, exit 0): the usage examples are checked without running.
var parseOnly bool

var errParsed = errors.New("flags parsed")

// parseFlags parses args; flag errors become usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			var b bytes.Buffer
			fs.SetOutput(&b)
			fs.Usage()
			return &helpError{text: b.String()}
		}
		return usagef("%s: %v (see 'cardsea help %s')", fs.Name(), err, strings.Fields(fs.Name())[0])
	}
	// Files are written at the end, whole: find out now, not after the
	// simulation, that one cannot be.
	for _, name := range []string{"out", "trace"} {
		fl := fs.Lookup(name)
		if fl == nil || fl.Value.String() == "" {
			continue
		}
		dir := filepath.Dir(fl.Value.String())
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("--%s %s: directory %s does not exist; create it or write elsewhere", name, fl.Value.String(), dir)
		}
	}
	if parseOnly {
		return errParsed
	}
	return nil
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "cardsea %s\n", buildinfo.String(version))
	return nil
}

// usageFiles are the commands' usage texts, one file per command (the
// manual, edited as text; TestUsageExamples runs their examples).
//
//go:embed usage/*.txt
var usageFiles embed.FS

// usageText is the usage text of the command whose file is name.txt.
func usageText(name string) string {
	data, err := usageFiles.ReadFile("usage/" + name + ".txt")
	if err != nil {
		panic("cardsea: no usage text " + name) // a build without the file is broken
	}
	return "\n" + string(data)
}
