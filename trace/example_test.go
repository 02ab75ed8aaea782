package trace_test

import (
	"fmt"

	"github.com/cardsea/cardsea/trace"
)

func Example() {
	t := trace.New()
	ranks := t.Process("ranks")
	acc0 := t.Thread(ranks, "acc0")
	t.Span(ranks, acc0, "send to acc1", 1e-6, 3.5e-6, nil)
	links := t.Process("links")
	t.Counter(links, "acc0 -> sw0 (%)", 1e-6, 100)
	t.Counter(links, "acc0 -> sw0 (%)", 3.5e-6, 0)
	b, err := t.Marshal()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(b))
	// Output:
	// {"traceEvents": [
	// {"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"ranks"}},
	// {"name":"process_sort_index","ph":"M","pid":1,"tid":0,"args":{"sort_index":1}},
	// {"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"acc0"}},
	// {"name":"thread_sort_index","ph":"M","pid":1,"tid":1,"args":{"sort_index":1}},
	// {"name":"send to acc1","ph":"X","pid":1,"tid":1,"ts":1,"dur":2.5},
	// {"name":"process_name","ph":"M","pid":2,"tid":0,"args":{"name":"links"}},
	// {"name":"process_sort_index","ph":"M","pid":2,"tid":0,"args":{"sort_index":2}},
	// {"name":"acc0 -> sw0 (%)","ph":"C","pid":2,"tid":0,"ts":1,"args":{"value":100}},
	// {"name":"acc0 -> sw0 (%)","ph":"C","pid":2,"tid":0,"ts":3.5,"args":{"value":0}}
	// ],
	// "displayTimeUnit": "ns"}
}
