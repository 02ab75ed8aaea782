package report_test

import (
	"os"

	"github.com/cardsea/cardsea/report"
)

func Example() {
	s := &report.Sheet{
		Columns: []report.Column{
			{Key: "name", Header: "Name"},
			{Key: "hbm_bytes", Header: "HBM (GB)", Scale: 1e9},
		},
		Rows: [][]any{
			{"h100", 80e9},
			{"b200", 192e9},
		},
	}
	if err := s.Write(os.Stdout, report.FormatCSV); err != nil {
		panic(err)
	}
	if err := s.Write(os.Stdout, report.FormatJSON); err != nil {
		panic(err)
	}
	// Output:
	// name,hbm_bytes
	// h100,8e+10
	// b200,1.92e+11
	// [
	//   {
	//     "name": "h100",
	//     "hbm_bytes": 8e+10
	//   },
	//   {
	//     "name": "b200",
	//     "hbm_bytes": 1.92e+11
	//   }
	// ]
}
