// Command cardsea simulates AI supernodes: it builds their topologies, runs
// collective and inference workloads across them, and reports throughput
// against power. Run `cardsea help` for the commands.
package main

import "os"

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }
