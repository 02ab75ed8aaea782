// Package trace writes Chrome trace-event files (the JSON Object Format)
// that Perfetto (ui.perfetto.dev) and chrome://tracing open, so that a
// simulated run can be looked at on a timeline.
//
// A Trace holds events in memory: processes and threads (named by "M"
// metadata events), complete spans ("X", one start and one duration) on a
// thread, and counters ("C", one value over time) on a process. Marshal
// renders them as
//
//	{"traceEvents": [...], "displayTimeUnit": "ns"}
//
// with one event per line, in a stable order: by process, then thread,
// then (metadata first) time, then name, then the order they were added.
// The same events give the same bytes, whatever order equal-keyed events
// of different tracks were added in. Writing the bytes to a file
// (atomically) is the caller's business.
//
// Times are given in simulated seconds, as everywhere in cardsea, and kept
// to the picosecond (the sim kernel's tick); the file carries them in
// microseconds, as the format wants, written exactly ("ts": 1.5 is 1.5 us).
//
// Spans on one thread should not overlap partially: Perfetto drops a span
// that starts inside another and ends after it. Callers that have
// concurrent activity on one track merge it first (see collective's
// Recording) or give it another thread.
package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Event is one trace event. Times are integer picoseconds.
type Event struct {
	Name string
	// Ph is the phase: "X" complete span, "C" counter, "M" metadata.
	Ph       string
	Pid, Tid int
	TsPs     int64 // start
	DurPs    int64 // duration, for "X"
	Args     map[string]any
	seq      int // insertion order, the last tie-breaker
	metadata bool
}

// Trace collects events; the zero value is ready to use.
type Trace struct {
	events  []Event
	procs   int         // pids handed out by Process
	threads map[int]int // tids handed out by Thread, per pid
}

// New returns an empty trace.
func New() *Trace { return &Trace{} }

// Len is the number of events.
func (t *Trace) Len() int { return len(t.events) }

// Events returns the events in output order.
func (t *Trace) Events() []Event {
	t.sort()
	return t.events
}

// Add appends an event as given (Ph "M" events sort first on their track).
func (t *Trace) Add(e Event) {
	e.seq = len(t.events)
	e.metadata = e.Ph == "M"
	t.events = append(t.events, e)
}

// Process starts a new process (a group of tracks) named name and returns
// its pid: 1, 2, ... in call order, which is also the display order.
func (t *Trace) Process(name string) int {
	t.procs++
	pid := t.procs
	t.Add(Event{Name: "process_name", Ph: "M", Pid: pid, Args: map[string]any{"name": name}})
	t.Add(Event{Name: "process_sort_index", Ph: "M", Pid: pid, Args: map[string]any{"sort_index": pid}})
	return pid
}

// Thread starts a new thread (a track of spans) named name in process pid
// and returns its tid: 1, 2, ... per process in call order, which is also
// the display order.
func (t *Trace) Thread(pid int, name string) int {
	if t.threads == nil {
		t.threads = map[int]int{}
	}
	t.threads[pid]++
	tid := t.threads[pid]
	t.Add(Event{Name: "thread_name", Ph: "M", Pid: pid, Tid: tid, Args: map[string]any{"name": name}})
	t.Add(Event{Name: "thread_sort_index", Ph: "M", Pid: pid, Tid: tid, Args: map[string]any{"sort_index": tid}})
	return tid
}

// Span adds a complete span on thread (pid, tid) from start to end
// seconds; args, if not nil, are shown with it. A span that ends before it
// starts is an error of the caller and is clamped to zero length.
func (t *Trace) Span(pid, tid int, name string, start, end float64, args map[string]any) {
	a, b := Picos(start), Picos(end)
	t.Add(Event{Name: name, Ph: "X", Pid: pid, Tid: tid, TsPs: a, DurPs: max(b-a, 0), Args: args})
}

// Counter sets counter name of process pid to value from time at (seconds)
// until its next sample. Each name is one track.
func (t *Trace) Counter(pid int, name string, at, value float64) {
	t.Add(Event{Name: name, Ph: "C", Pid: pid, TsPs: Picos(at), Args: map[string]any{"value": value}})
}

// Picos converts seconds to whole picoseconds, rounding to nearest.
func Picos(s float64) int64 { return int64(math.Round(s * 1e12)) }

func (t *Trace) sort() {
	slices.SortFunc(t.events, func(a, b Event) int {
		switch {
		case a.Pid != b.Pid:
			return cmpInt(a.Pid, b.Pid)
		case a.Tid != b.Tid:
			return cmpInt(a.Tid, b.Tid)
		case a.metadata != b.metadata:
			if a.metadata {
				return -1
			}
			return 1
		case a.TsPs != b.TsPs:
			return cmpInt(a.TsPs, b.TsPs)
		case a.Name != b.Name:
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		return cmpInt(a.seq, b.seq)
	})
	for i := range t.events {
		t.events[i].seq = i
	}
}

func cmpInt[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Marshal renders the trace as a Chrome trace-event JSON object, one event
// per line. It fails only on an argument encoding/json cannot encode (a NaN,
// a channel).
func (t *Trace) Marshal() ([]byte, error) {
	t.sort()
	var b bytes.Buffer
	b.WriteString("{\"traceEvents\": [")
	for i, e := range t.events {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{\"name\":")
		if err := writeJSON(&b, e.Name); err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, ",\"ph\":%q,\"pid\":%d,\"tid\":%d", e.Ph, e.Pid, e.Tid)
		if e.Ph != "M" {
			b.WriteString(",\"ts\":")
			b.WriteString(micros(e.TsPs))
		}
		if e.Ph == "X" {
			b.WriteString(",\"dur\":")
			b.WriteString(micros(e.DurPs))
		}
		if len(e.Args) > 0 {
			b.WriteString(",\"args\":")
			if err := writeJSON(&b, e.Args); err != nil { // map keys come out sorted
				return nil, fmt.Errorf("trace: event %q: %w", e.Name, err)
			}
		}
		b.WriteByte('}')
	}
	b.WriteString("\n],\n\"displayTimeUnit\": \"ns\"}\n")
	return b.Bytes(), nil
}

// writeJSON appends v as JSON without HTML escaping ("->" stays readable).
func writeJSON(b *bytes.Buffer, v any) error {
	n := b.Len()
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		b.Truncate(n)
		return err
	}
	b.Truncate(b.Len() - 1) // Encode's newline
	return nil
}

// micros formats picoseconds as an exact decimal number of microseconds.
func micros(ps int64) string {
	neg := ps < 0
	if neg {
		ps = -ps
	}
	s := strconv.FormatInt(ps/1e6, 10)
	if f := ps % 1e6; f != 0 {
		frac := strconv.FormatInt(f+1e6, 10)[1:] // six digits, leading zeros kept
		for frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s
}
