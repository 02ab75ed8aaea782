// Package report renders result records as terminal tables, Markdown, CSV,
// JSON and JSON Lines, from one description of the columns.
//
// A record's machine names carry SI base units ("hbm_bytes",
// "busbw_bytes_per_s"); dotted names nest in JSON ("peak_flops.bf16") and
// flatten with underscores in CSV ("peak_flops_bf16"). Tables show human
// units, and every human header names its unit ("HBM (TB)"). Output is
// deterministic: columns and rows print in the order given and numbers are
// formatted without locale.
package report
