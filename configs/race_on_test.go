//go:build race

package configs

// slowdown: the race detector slows parsing down several times, so
// time bounds are scaled by slowdown.
const slowdown = 10
