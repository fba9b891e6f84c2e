package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// mappedRSS is how many kB of the file at path the process has resident
// through its mappings (/proc/self/smaps).
func mappedRSS(t *testing.T, path string) int {
	t.Helper()
	n, err := testtool.MappedRSS(path, false)
	require.NoError(t, err)
	return n >> 10
}

// TestReadsMapOnlyWhatTheyRead: a store whose file the page cache holds
// whole (as after a restart) maps, for a read of one block, about the pages
// that block needs, not their cached neighbours: the process' memory does
// not grow with the history on disk.
func TestReadsMapOnlyWhatTheyRead(t *testing.T) {
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	payload := strings.Repeat("x", 3000)
	for s := range uint64(40) {
		var bs []Block
		for i := range int64(60) {
			b := block(Raw, s, t0+i*minute, t0+i*minute+1, 1)
			b.Data = append(b.Data, payload...)
			bs = append(bs, b)
		}
		require.NoError(t, db.Write(nil, bs))
	}
	require.NoError(t, db.Close())
	path := filepath.Join(dir, FileName)
	whole, err := os.ReadFile(path) // the page cache now holds it all
	require.NoError(t, err)
	require.Greater(t, len(whole), 7<<20)

	db = open(t, Options{Dir: dir})
	require.Len(t, read(t, db, Raw, 17, t0+30*minute, t0+30*minute), 1)
	rss := mappedRSS(t, path)
	t.Logf("file %d kB, resident through the mapping after one read: %d kB", len(whole)>>10, rss)
	require.Less(t, rss, 300, "a read of one block maps about what it reads (without dropping the cached pages first: 384 kB here, 204 kB with)")
}
