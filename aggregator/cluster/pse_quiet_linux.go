//go:build !race

package cluster

import (
	_ "unsafe" // go:linkname

	_ "github.com/nats-io/nats-server/v2/server/pse" // the variable below
)

// natsProcStatFile is nats-server's pse.procStatFile, the file its CPU
// sampler reads.
//
// Why this reaches into nats-server: from its init, in every program that
// links nats-server (every pulseboard, clustered or not), pse samples the
// process's CPU once a second (a read of /proc/<pid>/stat and a sysinfo
// call on a timer of its own). Measured on a 2-core machine, a program that
// only imports nats-server spends 0.025 % of a core on it against 0.0001 %
// without (60 s, the threads' run time from /proc/<pid>/task/*/schedstat):
// about 40 % of an idle pulseboard's whole cost, and a wake-up a second
// of its own (BENCHMARKS.md, "Overhead"). The sample feeds only
// nats-server's /varz and statsz CPU figure, which pulseboard neither
// serves nor reads (the embedded server runs without a monitoring port);
// they read 0 instead. pse has no switch for it, but its sampler stops for
// good when it cannot read its file, so the name is emptied at init: the
// sampler's next tick, a second after pse's init, finds no file and does
// not rearm. If nats-server renames the variable the build fails at link
// time rather than silently sampling again (TestNATSCPUSamplerStopped).
//
// Not under the race detector: pse's init arms the sampler's timer before
// this init runs, and nothing orders this write before the timer
// goroutine's read a second later, so the detector reports it (at random,
// as its history allows) and a child pulseboard built with -race exits 66.
// Race builds are test builds; they keep the sampler.
//
//go:linkname natsProcStatFile github.com/nats-io/nats-server/v2/server/pse.procStatFile
var natsProcStatFile string

func init() { natsProcStatFile = "" }
