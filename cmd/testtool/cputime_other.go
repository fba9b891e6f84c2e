//go:build !linux

package testtool

import "time"

// threadCPU is not measured here: CostOf falls back to wall time.
func threadCPU() time.Duration { return 0 }
