package main

import (
	"os"
	"testing"

	"github.com/prometheus/procfs"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

func TestBinaryMappingsAreTheExecutablesReadOnlyOnes(t *testing.T) {
	const exe = "/usr/bin/pulseboard"
	m := func(start uintptr, perms procfs.ProcMapPermissions, path string) *procfs.ProcMap {
		return &procfs.ProcMap{StartAddr: start, EndAddr: start + 4096, Perms: &perms, Pathname: path}
	}
	text := m(0x400000, procfs.ProcMapPermissions{Read: true, Execute: true, Private: true}, exe)
	rodata := m(0x1400000, procfs.ProcMapPermissions{Read: true, Private: true}, exe)
	maps := []*procfs.ProcMap{
		text,
		rodata,
		m(0x2400000, procfs.ProcMapPermissions{Read: true, Write: true, Private: true}, exe), // data: never
		m(0x7f0000000, procfs.ProcMapPermissions{Read: true, Execute: true, Private: true}, "/lib/libc.so.6"),
		m(0x7f1000000, procfs.ProcMapPermissions{Read: true, Shared: true}, "/var/lib/pulseboard.db"),
		m(0x7f2000000, procfs.ProcMapPermissions{Read: true, Shared: true}, exe),              // shared: never
		m(0x7f3000000, procfs.ProcMapPermissions{Read: true, Write: true, Private: true}, ""), // heap
		{StartAddr: 0x7f4000000, EndAddr: 0x7f4001000, Pathname: exe},                         // no permissions read
	}
	require.Equal(t, []*procfs.ProcMap{text, rodata}, binaryMappings(maps, exe))
}

// TestReleaseBinaryPagesDropsResidentPages runs the advice on this test
// binary: most of its resident code and read-only data leave, and the
// program runs on (what it uses is mapped again, one page at a time).
func TestReleaseBinaryPagesDropsResidentPages(t *testing.T) {
	before := binaryRSS(t)
	require.Greater(t, before, 1<<20, "the test binary's own pages should be resident")
	require.NoError(t, releaseBinaryPages())
	after := binaryRSS(t)
	require.Less(t, after, before/2, "resident pages of the executable: %d kB before, %d kB after", before>>10, after>>10)
}

// binaryRSS sums the Rss of the executable's read-only mappings, in
// bytes.
func binaryRSS(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	n, err := testtool.MappedRSS(exe, true)
	require.NoError(t, err)
	return n
}
