//go:build !race

package configs

// slowdown scales time bounds; 1 without the race detector.
const slowdown = 1
