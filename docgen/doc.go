// Package docgen generates the reference documents that are derived from
// data (docs/presets.md from the preset files), so that documents and data
// never drift: a test fails when a generated document is stale, and
// `make docs` rewrites it.
package docgen
