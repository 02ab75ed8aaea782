package serve

import (
	"strings"
	"testing"
)

// FuzzTrace feeds arbitrary bytes to the trace readers: they never
// panic, every error names the file, and what they accept is a trace a
// run can take (arrivals from 0 in order, lengths of at least 1, prefixes
// within their prompts).
func FuzzTrace(f *testing.F) {
	f.Add([]byte("arrival_s,input_tokens,output_tokens\n0,10,5\n1.5,20,1\n"), false)
	f.Add([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n"), false)
	f.Add([]byte("arrival_s,input_tokens,output_tokens,session,prefix_tokens\n0,10,5,a,4\n"), false)
	f.Add([]byte("{\"arrival_s\": 0, \"input_tokens\": 5, \"output_tokens\": 2}\n"), true)
	f.Add([]byte("\xef\xbb\xbfarrival_s,input_tokens\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		name := "f.csv"
		parse := parseCSV
		if jsonl {
			name, parse = "f.jsonl", parseJSONL
		}
		rs, err := parse(name, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		for i, r := range rs {
			if r.Input < 1 || r.Output < 1 || r.PrefixLen < 0 || r.PrefixLen > r.Input || (i > 0 && r.ArrivalS < rs[i-1].ArrivalS) || rs[0].ArrivalS != 0 {
				t.Fatalf("accepted a bad request %d: %+v", i, r)
			}
		}
	})
}
