// Package scenario loads, checks and runs scenario files: the way users
// describe what to simulate (topologies, workloads, power settings), and
// sweeps over any of their fields.
//
// A scenario file is strict YAML: an unknown field, a wrong type or a
// duplicate key is an error naming file:line:column, the field and the
// nearest valid name. docs/scenarios.md documents every field; a test keeps
// the two in step.
//
// Running a scenario gives one flat record per (sweep point, topology,
// workload, size), with SI units in the field names, so the same records
// print as a table, CSV or JSON Lines. Points run in parallel; records come
// out in point order whatever the parallelism, so output is byte-identical
// for any number of workers and any sharding.
package scenario
