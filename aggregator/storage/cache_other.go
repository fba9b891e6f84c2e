//go:build !linux

package storage

// dropCachedPages does nothing where posix_fadvise is not at hand (see
// cache_linux.go).
func dropCachedPages(string) {}
