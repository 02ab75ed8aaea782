// Package field is the error a library returns about one field of its
// input, named in the library's own vocabulary (the scenario file's
// snake_case keys: input_len, tpot_slo), so that each front door names it
// in its own: the command line as --input-len, a scenario file as
// workloads[0].inference.input_len at its line and column.
//
// A message may mention other fields as {name}; Rename rewrites every
// name, the field's own and those in the message, with the front door's
// namer.
package field

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Error is a problem with one field of an input.
type Error struct {
	// Field is the field's name in the library's vocabulary.
	Field string
	// Msg says what is wrong and how to fix it; {name} mentions another
	// field.
	Msg string
	// Err, if set, is the underlying error (a parse error, say).
	Err error
	// name renders field names; nil is the library's own vocabulary.
	name func(string) string
}

// Errorf returns an Error about field f.
func Errorf(f, format string, args ...any) *Error {
	return &Error{Field: f, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an Error about field f caused by err.
func Wrap(f string, err error) *Error {
	return &Error{Field: f, Msg: err.Error(), Err: err}
}

var ref = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// Error renders "FIELD MSG" ("FIELD: MSG" for a wrapped error) with every
// name through the namer.
func (e *Error) Error() string {
	if e.Err != nil {
		return e.namer()(e.Field) + ": " + e.Message()
	}
	return e.namer()(e.Field) + " " + e.Message()
}

// Message is the error without the field's own name (for a front door
// that names the field itself, as a scenario file's position does), with
// the names it mentions through the namer.
func (e *Error) Message() string {
	name := e.namer()
	return ref.ReplaceAllStringFunc(e.Msg, func(m string) string { return name(m[1 : len(m)-1]) })
}

func (e *Error) namer() func(string) string {
	if e.name == nil {
		return func(s string) string { return s }
	}
	return e.name
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Rename returns err with every field name of the Error it holds (if
// any) rendered by name; other errors are returned as they are.
func Rename(err error, name func(string) string) error {
	var fe *Error
	if !errors.As(err, &fe) {
		return err
	}
	c := *fe
	c.name = name
	if fe == err {
		return &c
	}
	return &renamed{outer: err, inner: &c}
}

// renamed is an error chain whose Error carries a namer: its text is the
// chain's with the inner Error's text replaced.
type renamed struct {
	outer error
	inner *Error
}

func (r *renamed) Error() string {
	orig := (&Error{Field: r.inner.Field, Msg: r.inner.Msg, Err: r.inner.Err}).Error()
	s := r.outer.Error()
	if i := strings.Index(s, orig); i >= 0 {
		return s[:i] + r.inner.Error() + s[i+len(orig):]
	}
	return s
}

func (r *renamed) Unwrap() error { return r.outer }
