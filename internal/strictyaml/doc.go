// Package strictyaml decodes YAML documents strictly, for every file format
// cardsea reads (preset and custom topology files, scenarios).
//
// Strict means: an unknown field, a duplicate key or a value of the wrong
// type is an error, and every error names the file, line and column, the
// field, and where it can, the nearest valid field name ("unknown field
// `bandwith`, did you mean `bandwidth`?"). Decoding never panics on any
// input and never leaves the caller with a half-checked value: callers get
// either a fully decoded value or an error.
package strictyaml
