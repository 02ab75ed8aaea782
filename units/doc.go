// Package units is the one place in cardsea where physical quantities are
// converted, parsed from human-written text and formatted for tables.
//
// # Conventions
//
// Every quantity is a float64 in SI base units unless a name says otherwise:
// bytes, bytes per second, FLOP per second, watts, seconds and joules. Other
// packages should store and compute in these units and only call this
// package at the edges (configuration files, command-line flags, reports).
//
// Decimal prefixes k, M, G, T, P, E are powers of 1000 (1 GB = 1e9 bytes).
// Binary prefixes Ki, Mi, Gi, Ti, Pi, Ei are powers of 1024 (1 GiB = 2^30
// bytes). Memory capacities from vendors are usually binary (an "80 GB" HBM
// stack is really 80 GiB); link rates are always decimal.
//
// In byte and bandwidth units a capital "B" means bytes and a lowercase "b"
// (or "bit", "bps") means bits, which are divided by 8: "400Gb/s" and
// "400Gbps" are 50e9 bytes/s. The case of the prefix letter itself is
// tolerated there ("64gB" is 64 GB), because milli-bytes make no sense.
// For power and energy the case of the prefix matters: "mW" is a milliwatt
// and "MW" a megawatt; "k" and "K" are both kilo. For FLOP/s and counts
// a lowercase "m" is rejected or read as mega as documented on each parser.
//
// # Direction of link bandwidth
//
// Vendors quote interconnect bandwidth either per direction or as the sum of
// both directions. NVLink 5 is marketed as "1.8 TB/s" per GPU, which is
// bidirectional: 900 GB/s in each direction. [ParseBandwidth] records what
// the text says in [Bandwidth.Dir] ("1.8TB/s bidir", "900GB/s/dir",
// "28 GB/s uni"), and [Bandwidth.PerDirBytesPerS] converts to the per-direction
// figure the simulator uses, refusing to guess when nobody said which it is.
//
// # Errors
//
// Parsers never panic. On failure they return a *[Error] whose message is a
// single line that quotes the input, says what is wrong and shows accepted
// examples, for instance:
//
//	units: "1.8XB/s" is not a bandwidth: unknown unit "XB/s" (want e.g. 900GB/s, 400Gb/s, 1.8TB/s bidir)
//
// Negative values, NaN, infinities, empty input and trailing garbage are
// rejected by every parser.
//
// # Formatting
//
// The Format functions are deterministic and locale-free. They choose the
// SI prefix that puts the mantissa in [1, 1000), print [DefaultDigits]
// significant digits and trim trailing zeros: "49.2 TB", "900 GB/s",
// "2.5 PFLOP/s", "145 kW", "1.2 us" (ASCII "us", not "µs"). Zero prints as
// "0 <unit>". Everything they print is accepted by the matching parser.
package units
