// Package chart draws results as SVG or PNG charts with gonum.org/v1/plot:
// one column against another, a line per series, axes in human units read
// from the columns' SI suffixes (size_bytes in MiB, busbw_bytes_per_s in
// GB/s, time_s in us). It reads what 'cardsea run' and 'cardsea sweep'
// write (CSV, JSON Lines, JSON) or a report.Sheet, and is shared by the
// plot and report commands.
//
// Output is deterministic: the same data gives the same bytes. Text uses
// Liberation Sans (embedded in gonum/plot, so it measures the same on
// every machine); SVG names Arial and Helvetica as fallbacks, which share
// its metrics, instead of embedding the font.
package chart
