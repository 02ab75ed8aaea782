package serve

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cardsea/cardsea/internal/field"
)

// Request is one request of a service's traffic: it arrives at ArrivalS
// (seconds from the start) with Input prompt tokens and wants Output
// generated tokens. Requests of one Session share a prefix of PrefixLen
// tokens (a conversation's history, a system prompt) that a prefix cache
// can keep.
type Request struct {
	ArrivalS      float64
	Input, Output int
	Session       string
	PrefixLen     int
}

// Lengths draws a token count: Fixed, or a Normal or LogNormal with mean
// Mean and standard deviation SD (clamped to [1, Max] when Max > 0), or
// one of Values at random (Empirical).
type Lengths struct {
	Dist     string // fixed (default), normal, lognormal, empirical
	Mean, SD float64
	Max      int
	Values   []int
}

// draw is one length.
func (l Lengths) draw(rng *rand.Rand) int {
	var v float64
	switch l.Dist {
	case "normal":
		v = l.Mean + l.SD*rng.NormFloat64()
	case "lognormal":
		// The underlying normal's parameters from the mean and SD.
		s2 := math.Log(1 + l.SD*l.SD/(l.Mean*l.Mean))
		v = math.Exp(math.Log(l.Mean) - s2/2 + math.Sqrt(s2)*rng.NormFloat64())
	case "empirical":
		return l.Values[rng.IntN(len(l.Values))]
	default:
		return int(math.Round(l.Mean))
	}
	n := int(math.Round(v))
	if l.Max > 0 {
		n = min(n, l.Max)
	}
	return max(n, 1)
}

// check applies a length distribution's rules, naming the field.
func (l Lengths) check(name string) error {
	switch l.Dist {
	case "", "fixed", "normal", "lognormal":
		if l.Mean < 1 || math.IsNaN(l.Mean) || math.IsInf(l.Mean, 0) {
			return field.Errorf(name, "%g: want a length of at least 1 token", l.Mean)
		}
		if l.SD < 0 || math.IsNaN(l.SD) || math.IsInf(l.SD, 0) {
			return field.Errorf(name+"_sd", "%g: want a standard deviation of 0 or more tokens", l.SD)
		}
	case "empirical":
		if len(l.Values) == 0 {
			return field.Errorf(name, "an empirical distribution needs lengths to draw from")
		}
	default:
		return field.Errorf(name+"_dist", "%q: want fixed, normal, lognormal or empirical", l.Dist)
	}
	return nil
}

// Traffic is a synthetic request stream: Rate requests per second
// arriving as a Poisson process, a Gamma renewal process of coefficient
// of variation CV (burstiness: CV 1 is Poisson, above 1 burstier), or
// on/off bursts (Poisson at Rate/OnShare during on periods of OnS seconds,
// silent between them); Requests of them (or as many as arrive in DurationS),
// lengths from Input and Output, drawn from Seed.
type Traffic struct {
	Rate      float64
	Arrival   string // poisson (default), gamma, onoff
	CV        float64
	OnS       float64
	OnShare   float64
	Requests  int
	DurationS float64
	Input     Lengths
	Output    Lengths
	// Sessions, when above 0, gives each request one of that many
	// sessions at random, its prompt opening with the session's
	// PrefixLen shared tokens (a system prompt or a conversation's
	// history), which a prefix cache can keep.
	Sessions, PrefixLen int
	Seed                uint64
}

// MaxRequests bounds a run: a rate and duration (or a trace) that ask
// for more requests than this are refused rather than filling memory
// (each request costs a few hundred bytes; two million are four days of
// the Azure conversation trace's load).
const MaxRequests = 2_000_000

// Check applies the traffic's rules.
func (t Traffic) Check() error {
	switch {
	case !(t.Rate > 0) || math.IsInf(t.Rate, 0):
		return field.Errorf("rate", "%g: want a positive request rate (requests/s)", t.Rate)
	case t.Arrival != "" && t.Arrival != "poisson" && t.Arrival != "gamma" && t.Arrival != "onoff":
		return field.Errorf("arrival", "%q: want poisson, gamma or onoff", t.Arrival)
	case t.Arrival == "gamma" && !(t.CV > 0):
		return field.Errorf("cv", "%g: a gamma arrival process needs a coefficient of variation above 0 (1 is Poisson)", t.CV)
	case t.Arrival == "onoff" && (!(t.OnS > 0) || !(t.OnShare > 0) || t.OnShare > 1):
		return field.Errorf("on_share", "%g with {on_s} %g: bursts need an on period above 0 s and an on share in (0, 1]", t.OnShare, t.OnS)
	case t.Requests < 0 || t.DurationS < 0 || math.IsNaN(t.DurationS):
		return field.Errorf("requests", "%d with {duration} %gs: want positive counts", t.Requests, t.DurationS)
	case t.Requests == 0 && t.DurationS == 0:
		return field.Errorf("requests", "say how long to run: a number of requests or a duration")
	case t.Sessions < 0 || t.PrefixLen < 0 || (t.PrefixLen > 0) != (t.Sessions > 0):
		return field.Errorf("prefix_len", "%d with {sessions} %d: give both, sessions above 0 and a shared prefix of at least 1 token", t.PrefixLen, t.Sessions)
	case t.Requests > MaxRequests || (t.Requests == 0 && t.Rate*t.DurationS > MaxRequests):
		return field.Errorf("requests", "%.0f requests: more than the %d a run holds; shorten the duration or lower the rate", math.Max(float64(t.Requests), t.Rate*t.DurationS), MaxRequests)
	}
	if err := t.Input.check("input_len"); err != nil {
		return err
	}
	return t.Output.check("output_len")
}

// Generate draws the requests, in arrival order.
func (t Traffic) Generate() ([]Request, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(t.Seed, 0x9e3779b97f4a7c15))
	var out []Request
	now := 0.0
	for {
		switch t.Arrival {
		case "gamma":
			// Shape 1/CV^2, mean 1/Rate.
			k := 1 / (t.CV * t.CV)
			now += gamma(rng, k) / (k * t.Rate)
		case "onoff":
			onRate := t.Rate / t.OnShare
			period := t.OnS / t.OnShare
			now += rng.ExpFloat64() / onRate
			// Time spent in on periods maps to wall time with the gaps.
			if phase := math.Mod(now, period); phase > t.OnS {
				now += period - phase
			}
		default:
			now += rng.ExpFloat64() / t.Rate
		}
		if t.Requests > 0 && len(out) == t.Requests || t.Requests == 0 && now > t.DurationS {
			break
		}
		q := Request{ArrivalS: now, Input: t.Input.draw(rng), Output: t.Output.draw(rng)}
		if t.Sessions > 0 {
			q.Session = strconv.Itoa(rng.IntN(t.Sessions))
			q.Input = max(q.Input, t.PrefixLen+1) // the shared prefix, then something new
			q.PrefixLen = t.PrefixLen
		}
		out = append(out, q)
	}
	return out, nil
}

// gamma draws from a Gamma(k, 1) distribution (Marsaglia and Tsang, 2000;
// boosted for k < 1).
func gamma(rng *rand.Rand, k float64) float64 {
	if k < 1 {
		return gamma(rng, k+1) * math.Pow(rng.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

//go:embed traces/*.csv
var traces embed.FS

// Builtin names the traces shipped with cardsea (serve/traces, with
// their attribution in its README): the Azure LLM inference trace 2023's
// conversation and coding services (CC-BY 4.0; Patel et al., Splitwise,
// ISCA 2024).
var Builtin = map[string]string{
	"azure-conv": "traces/azure-llm-2023-conv.csv",
	"azure-code": "traces/azure-llm-2023-code.csv",
}

// BuiltinNames lists Builtin's names in order.
func BuiltinNames() []string {
	names := make([]string, 0, len(Builtin))
	for n := range Builtin {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// LoadTrace reads a request trace: a built-in name (azure-conv,
// azure-code) or a file, CSV with a header or JSON Lines (.jsonl), one
// request per row. Its arrival column is seconds (arrival_s, or
// timestamp as seconds or as a date-time like the Azure trace's), its
// lengths input_tokens and output_tokens (or the Azure trace's
// ContextTokens and GeneratedTokens); session and prefix_tokens are
// optional. Arrivals count from the first request. Errors name the file,
// the line and the column.
func LoadTrace(name string) ([]Request, error) {
	var data []byte
	var err error
	if p, ok := Builtin[name]; ok {
		data, err = traces.ReadFile(p)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (built-in traces: %s)", err, strings.Join(BuiltinNames(), ", "))
	}
	if strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".json") {
		return parseJSONL(name, data)
	}
	return parseCSV(name, data)
}

// columns maps a trace's column names to what they hold.
var columns = map[string]string{
	"arrival_s": "arrival", "timestamp": "arrival", "arrival": "arrival", "time": "arrival",
	"input_tokens": "input", "contexttokens": "input", "input_len": "input", "prompt_tokens": "input",
	"output_tokens": "output", "generatedtokens": "output", "output_len": "output", "completion_tokens": "output",
	"session": "session", "session_id": "session", "prefix_id": "session",
	"prefix_tokens": "prefix", "prefix_len": "prefix",
}

// row is one request's fields as text, before checking.
type row map[string]string

func parseCSV(name string, data []byte) ([]Request, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: want a CSV header (arrival_s, input_tokens, output_tokens)", name, err)
	}
	idx := map[string]int{}
	for i, h := range head {
		if k, ok := columns[strings.ToLower(strings.TrimSpace(h))]; ok {
			idx[k] = i
		}
	}
	for _, k := range []string{"arrival", "input", "output"} {
		if _, ok := idx[k]; !ok {
			return nil, fmt.Errorf("%s:1: no %s column in %q: want arrival_s (or timestamp), input_tokens (or ContextTokens) and output_tokens (or GeneratedTokens)", name, k, strings.Join(head, ","))
		}
	}
	var rows []row
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if len(rows) >= MaxRequests {
			return nil, fmt.Errorf("%s:%d: more than %d requests; split the trace", name, line, MaxRequests)
		}
		x := row{}
		for k, i := range idx {
			x[k] = strings.TrimSpace(rec[i])
		}
		rows = append(rows, x)
		lines = append(lines, line)
	}
	return build(name, rows, lines)
}

func parseJSONL(name string, data []byte) ([]Request, error) {
	var rows []row
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		if len(rows) >= MaxRequests {
			return nil, fmt.Errorf("%s:%d: more than %d requests; split the trace", name, n, MaxRequests)
		}
		x := row{}
		for key, v := range m {
			if k, ok := columns[strings.ToLower(key)]; ok {
				x[k] = fmt.Sprint(v)
			}
		}
		rows = append(rows, x)
		lines = append(lines, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return build(name, rows, lines)
}

// build checks rows and makes them requests, arrivals from the first.
func build(name string, rows []row, lines []int) ([]Request, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no requests", name)
	}
	out := make([]Request, 0, len(rows))
	for i, x := range rows {
		at := func(col, format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s %s", name, lines[i], col, fmt.Sprintf(format, args...))
		}
		for _, k := range []string{"arrival", "input", "output"} {
			if x[k] == "" {
				return nil, at(k, "is missing: every request needs an arrival, input and output tokens")
			}
		}
		t, err := arrival(x["arrival"])
		if err != nil {
			return nil, at("arrival", "%q: want seconds or a date-time (2023-11-16 18:15:46.68)", x["arrival"])
		}
		var req Request
		req.ArrivalS = t
		for _, f := range []struct {
			k   string
			dst *int
			min int
		}{{"input", &req.Input, 1}, {"output", &req.Output, 1}, {"prefix", &req.PrefixLen, 0}} {
			if x[f.k] == "" {
				continue
			}
			v, err := strconv.ParseFloat(x[f.k], 64)
			if err != nil || v != math.Trunc(v) || v < float64(f.min) || v > 1e9 {
				return nil, at(f.k, "%q: want a whole number of tokens, at least %d", x[f.k], f.min)
			}
			*f.dst = int(v)
		}
		if req.PrefixLen > req.Input {
			return nil, at("prefix", "%d tokens is more than the %d-token prompt", req.PrefixLen, req.Input)
		}
		req.Session = x["session"]
		if i > 0 && t < out[i-1].ArrivalS {
			return nil, at("arrival", "%s is before the previous request's: sort the trace by arrival", x["arrival"])
		}
		out = append(out, req)
	}
	t0 := out[0].ArrivalS
	for i := range out {
		out[i].ArrivalS -= t0
	}
	return out, nil
}

// arrival parses seconds or a date-time into seconds.
func arrival(s string) (float64, error) {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("not finite")
		}
		return v, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return float64(t.UnixNano()) / 1e9, nil
		}
	}
	return 0, fmt.Errorf("bad time")
}

// Scale keeps a trace's shape at another rate: arrivals compressed by
// scale (2 doubles the rate), then the first n requests (0 for all).
func Scale(rs []Request, scale float64, n int) []Request {
	out := slices.Clone(rs)
	if n > 0 && n < len(out) {
		out = out[:n]
	}
	for i := range out {
		out[i].ArrivalS /= scale
	}
	return out
}
