//go:build !linux

package main

// releaseBinaryPages does nothing where the pages of the executable cannot
// be advised as on Linux (binpages_linux.go).
func releaseBinaryPages() error { return nil }
