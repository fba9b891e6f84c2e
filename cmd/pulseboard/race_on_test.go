//go:build race

package main

// raceSlowdown scales the browser tests' gross-regression time bounds
// under the race detector, which slows the server's side of them (filling
// and restoring history, building a snapshot) several times: on a loaded
// machine the history load read 6.0 s under -race against 1.4 s without.
const raceSlowdown = 2
