package main

import (
	"math"
	"sync/atomic"

	"github.com/pulseboard/pulseboard/configs"
)

// knownReserve is the room aggregator.memory_limit keeps for the series of
// the sources known from their config (simulated ones), as the config's
// check charged them (configs.KnownSeriesMemory): the store reads it
// (aggregator.Options.MemoryReserved) under its lock when a series of
// another source arrives, the reloader sets it before it applies new
// sources. Safe for concurrent use.
type knownReserve struct {
	limits configs.Aggregator // the running aggregator keys (restart-only)
	bits   atomic.Uint64      // math.Float64bits of the bytes kept
}

// set keeps the room the known sources among srcs were charged.
func (k *knownReserve) set(srcs []configs.Source) {
	k.bits.Store(math.Float64bits(configs.KnownSeriesMemory(k.limits, srcs)))
}

// bytes is the room kept, in bytes of estimated heap.
func (k *knownReserve) bytes() float64 { return math.Float64frombits(k.bits.Load()) }
