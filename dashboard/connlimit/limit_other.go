//go:build !unix

package connlimit

// FileLimit: no descriptor limit to read here.
func FileLimit() (int, bool) { return 0, false }
