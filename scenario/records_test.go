package scenario

import (
	"reflect"
	"testing"

	"github.com/cardsea/cardsea/study"
)

// TestRunRecordsKeepsRequests: RunRecords gives the rows Run gives, bit
// for bit, with each row's typed record behind it; keeping the served
// requests (for the report's distributions) changes no row.
func TestRunRecordsKeepsRequests(t *testing.T) {
	s, err := Parse("s.yaml", []byte("topologies: [{preset: hgx-h100}]\nworkloads:\n  - serve: {model: llama-3.1-8b, tp: 8, rate: [5, 20], requests: 40}\n"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := s.Run(Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	sheet, recs, err := s.RunRecords(Options{Jobs: 2, KeepRequests: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain.Rows, sheet.Rows) {
		t.Fatal("keeping the requests changed the rows")
	}
	if len(recs) != len(sheet.Rows) {
		t.Fatalf("%d records for %d rows", len(recs), len(sheet.Rows))
	}
	for i, r := range recs {
		sr, ok := r.(*study.ServeRecord)
		if !ok || len(sr.Result.PerRequest) != 40 {
			t.Errorf("record %d: %T, want a served record with its 40 requests", i, r)
		}
	}
}
