// Command pulseboard runs the live metrics dashboard: supervised collectors
// feed an aggregator that pushes updates to browsers over WebSocket and
// exports everything to Prometheus.
//
//	pulseboard [run] [-config FILE] [-listen ADDR] [-log-level LEVEL]
//	pulseboard check [-config FILE]
//	pulseboard version
package main

import (
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
