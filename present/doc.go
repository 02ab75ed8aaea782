// Package present lays records out for people: the per-command tables,
// the side-by-side and ratio tables of compare, and the HTML report with
// its choice of charts. It projects records (report.Sheet rows in the
// record schema, study.Fields) into rows and columns, as benchstat's
// benchproc does; it never simulates and never decides a rule.
package present
