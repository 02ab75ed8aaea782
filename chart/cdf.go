package chart

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cardsea/cardsea/report"
)

// ShareColumn is the column CDF adds: the share of a series' records at
// or below each value.
const ShareColumn = "share"

// CDF is the empirical distribution of column x, per series (the values
// of the series columns, joined): a row per record, its x value and the
// share of its series' records at or below it (i/n for the i-th
// smallest of n), the series columns after. Records without a value in x
// are left out; a value that is not a number is an error naming its
// record. Cost: O(n log n) for n records.
func (d *Data) CDF(x string, series []string) (*Data, error) {
	xi, err := d.Column(x)
	if err != nil {
		return nil, err
	}
	si := make([]int, len(series))
	for i, s := range series {
		if si[i], err = d.Column(s); err != nil {
			return nil, err
		}
	}
	type point struct {
		v   float64
		row int
	}
	groups := map[string][]point{}
	var order []string
	for r, row := range d.Rows {
		v, ok, err := number(row[xi])
		if err != nil {
			return nil, fmt.Errorf("%s: column %s: %v", d.where(r), x, err)
		}
		if !ok {
			continue
		}
		var key []string
		for _, i := range si {
			key = append(key, fmt.Sprint(row[i]))
		}
		k := strings.Join(key, "\x00")
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], point{v, r})
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("%s has no values in column %s", d.source(), x)
	}
	out := &Data{Source: d.Source, Columns: append([]string{x, ShareColumn}, series...), Hints: map[string]report.Column{}}
	for k, v := range d.Hints {
		out.Hints[k] = v
	}
	out.Hints[ShareColumn] = report.Column{Key: ShareColumn, Header: "Share of records (%)", Scale: 0.01}
	for _, k := range order {
		ps := groups[k]
		slices.SortStableFunc(ps, func(a, b point) int {
			switch {
			case a.v < b.v:
				return -1
			case a.v > b.v:
				return 1
			}
			return 0
		})
		for i, p := range ps {
			row := []any{p.v, float64(i+1) / float64(len(ps))}
			for _, c := range si {
				row = append(row, d.Rows[p.row][c])
			}
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}
