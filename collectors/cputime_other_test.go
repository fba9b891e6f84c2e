//go:build !linux

package collectors

import "time"

// threadCPU is not measured here: costOf falls back to wall time.
func threadCPU() time.Duration { return 0 }
