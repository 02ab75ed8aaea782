// Package script runs script tests: files of commands, each followed by
// the output it must print, in the style of go.etcd.io/raft's
// testdata/*.txt (cockroachdb/datadriven). The model packages (network,
// collective) pin their behaviour with them, below the command line, so
// that a CLI golden pins presentation and a script pins the model.
//
// A script is a sequence of blocks:
//
//	# A comment: lines starting with # and blank lines between blocks
//	# are kept as they are.
//	command arg key=value key=value
//	optional input lines
//	----
//	expected output
//
// The expected output ends at the first blank line, or at the end of the
// file. Output that itself holds blank lines is written between two
// separators and ends at the next "----" followed by a second one:
//
//	command
//	----
//	----
//	first paragraph
//
//	second paragraph
//	----
//	----
//
// Run the tests with -rewrite to write each command's actual output into
// its file in place of the expected output (then review the diff).
//
// Arguments are words separated by spaces: key=value, or a bare key (a
// flag). The handler reads them through Command's accessors; an argument
// the handler never reads, or one it cannot parse, fails the test at the
// command's line, so a typo in a script does not pass silently. A handler
// that returns an error prints "error: " and the error as its output, so
// scripts pin error messages too.
package script

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/units"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of script tests with the actual output")

// Arg is one argument of a command: Key=Val, or a bare Key with an empty
// Val and Flag set.
type Arg struct {
	Key, Val string
	Flag     bool
	used     bool
}

// Command is one command of a script.
type Command struct {
	// Pos is "file:line" of the command line.
	Pos  string
	Name string
	Args []*Arg
	// Input is the text between the command line and the separator, with
	// no final newline ("" for none).
	Input string
	err   error
}

// usageError is a mistake in the script itself: it fails the test rather
// than becoming the command's output.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func (c *Command) fail(format string, a ...any) {
	if c.err == nil {
		c.err = &usageError{fmt.Sprintf(format, a...)}
	}
}

// Has reports whether the command has argument key (flag or key=value),
// and marks it read.
func (c *Command) Has(key string) bool {
	found := false
	for _, a := range c.Args {
		if a.Key == key {
			a.used, found = true, true
		}
	}
	return found
}

// lookup returns the value of key=value, or ok false when it is absent. A
// bare flag named key is a script error.
func (c *Command) lookup(key string) (string, bool) {
	var val string
	ok := false
	for _, a := range c.Args {
		if a.Key != key {
			continue
		}
		a.used = true
		if a.Flag {
			c.fail("%s: argument %s needs a value (%s=...)", c.Name, key, key)
			return "", false
		}
		if ok {
			c.fail("%s: argument %s given twice", c.Name, key)
		}
		val, ok = a.Val, true
	}
	return val, ok
}

// String returns the value of key, or def when it is absent.
func (c *Command) String(key, def string) string {
	if v, ok := c.lookup(key); ok {
		return v
	}
	return def
}

// Need returns the value of key; its absence is a script error.
func (c *Command) Need(key string) string {
	v, ok := c.lookup(key)
	if !ok {
		c.fail("%s: missing argument %s=...", c.Name, key)
	}
	return v
}

// Int returns the integer value of key, or def when it is absent.
func (c *Command) Int(key string, def int) int {
	v, ok := c.lookup(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		c.fail("%s: %s=%s is not an integer", c.Name, key, v)
	}
	return n
}

// Float returns the value of key as a plain number, or def when it is
// absent.
func (c *Command) Float(key string, def float64) float64 {
	v, ok := c.lookup(key)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		c.fail("%s: %s=%s is not a number", c.Name, key, v)
	}
	return f
}

// Ints returns the comma-separated integers of key, or nil when absent.
func (c *Command) Ints(key string) []int {
	v, ok := c.lookup(key)
	if !ok {
		return nil
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			c.fail("%s: %s=%s is not a list of integers", c.Name, key, v)
			return nil
		}
		out = append(out, n)
	}
	return out
}

// Bytes returns key as a byte quantity ("1GiB", "64MB", "4096"), or def.
func (c *Command) Bytes(key string, def float64) float64 {
	return c.parsed(key, def, units.ParseBytes)
}

// Duration returns key as a duration in seconds ("5us", "0"), or def.
func (c *Command) Duration(key string, def float64) float64 {
	return c.parsed(key, def, units.ParseDuration)
}

// Bandwidth returns key as a rate in bytes/s per direction ("100GB/s"),
// or def.
func (c *Command) Bandwidth(key string, def float64) float64 {
	return c.parsed(key, def, func(s string) (float64, error) {
		b, err := units.ParseBandwidth(s)
		if err != nil {
			return 0, err
		}
		return b.PerDirBytesPerS(units.PerDirection)
	})
}

func (c *Command) parsed(key string, def float64, parse func(string) (float64, error)) float64 {
	v, ok := c.lookup(key)
	if !ok {
		return def
	}
	f, err := parse(v)
	if err != nil {
		c.fail("%s: %s=%s: %v", c.Name, key, v, err)
	}
	return f
}

// Handler runs one command and returns its output.
type Handler func(c *Command) (string, error)

// RunDir runs every *.txt script in dir as a subtest named after the
// file, each with a fresh handler from newHandler (a script's state is
// its own).
func RunDir(t *testing.T, dir string, newHandler func(t *testing.T) Handler) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no scripts in %s", dir)
	}
	slices.Sort(files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			Run(t, f, newHandler(t))
		})
	}
}

// block is one part of a script: verbatim text (comments and blank
// lines), or a command with its expected output.
type block struct {
	text     string // verbatim, when cmd is nil
	cmd      *Command
	cmdText  string // the command line and its input, as written
	expected string
}

// Run runs the script at path with h, comparing each command's output
// with the expected output, or with -rewrite writing it in.
func Run(t *testing.T, path string, h Handler) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parse(path, string(data))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, b := range blocks {
		if b.cmd == nil {
			out.WriteString(b.text)
			continue
		}
		got := run(t, b.cmd, h)
		if !*rewrite && got != b.expected {
			t.Errorf("%s: %s\ngot:\n%s\nwant:\n%s", b.cmd.Pos, b.cmd.Name, got, b.expected)
		}
		out.WriteString(b.cmdText)
		out.WriteString("----\n")
		if strings.Contains(got, "\n\n") || strings.HasPrefix(got, "\n") || got == "----" || strings.HasPrefix(got, "----\n") {
			out.WriteString("----\n" + got + "\n----\n----\n")
		} else if got != "" {
			out.WriteString(got + "\n")
		}
	}
	if *rewrite && out.String() != string(data) {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// run runs one command, turning a handler error into output and a script
// mistake into a test failure.
func run(t *testing.T, c *Command, h Handler) string {
	t.Helper()
	got, err := h(c)
	if c.err != nil {
		t.Fatalf("%s: %v", c.Pos, c.err)
	}
	var ue *usageError
	if errors.As(err, &ue) {
		t.Fatalf("%s: %v", c.Pos, err)
	}
	if err != nil {
		// A handler that fails may not have read every argument.
		got = "error: " + err.Error()
	} else {
		for _, a := range c.Args {
			if !a.used {
				t.Fatalf("%s: %s takes no argument %s", c.Pos, c.Name, a.Key)
			}
		}
	}
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Join(lines, "\n")
}

// Usage returns an error that fails the test at the command (a mistake in
// the script, such as an unknown command) instead of being printed.
func Usage(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// parse splits a script into blocks.
func parse(path, data string) ([]block, error) {
	lines := strings.SplitAfter(data, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	trim := func(l string) string { return strings.TrimRight(l, "\r\n") }
	var blocks []block
	for i := 0; i < len(lines); {
		l := trim(lines[i])
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			blocks = append(blocks, block{text: lines[i]})
			i++
			continue
		}
		pos := fmt.Sprintf("%s:%d", path, i+1)
		fields := strings.Fields(l)
		c := &Command{Pos: pos, Name: fields[0]}
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			c.Args = append(c.Args, &Arg{Key: k, Val: v, Flag: !ok})
		}
		var text strings.Builder
		text.WriteString(l + "\n")
		i++
		var input []string
		for ; i < len(lines) && trim(lines[i]) != "----"; i++ {
			input = append(input, trim(lines[i]))
			text.WriteString(trim(lines[i]) + "\n")
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s: %s has no ---- and expected output", pos, c.Name)
		}
		c.Input = strings.Join(input, "\n")
		i++ // the separator
		var exp []string
		if i < len(lines) && trim(lines[i]) == "----" {
			// Output with blank lines: up to "----" "----".
			i++
			for ; ; i++ {
				if i+1 >= len(lines) {
					return nil, fmt.Errorf("%s: output opened with ---- ---- is not closed by ---- ----", pos)
				}
				if trim(lines[i]) == "----" && trim(lines[i+1]) == "----" {
					i += 2
					break
				}
				exp = append(exp, trim(lines[i]))
			}
		} else {
			for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
				exp = append(exp, trim(lines[i]))
			}
		}
		blocks = append(blocks, block{cmd: c, cmdText: text.String(), expected: strings.Join(exp, "\n")})
	}
	return blocks, nil
}
