package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func TestWriteFailureDegradesAndRecovers(t *testing.T) {
	var logs logBuf
	type health struct {
		ok     bool
		detail string
	}
	var told []health // OnHealth runs on the writer's goroutine: this one
	db := open(t, Options{Dir: t.TempDir(), Logger: logs.logger(),
		OnHealth: func(ok bool, detail string) { told = append(told, health{ok, detail}) }})
	kept := block(Raw, 1, t0, t0+1, 2)
	require.NoError(t, db.Write(nil, []Block{kept}))

	db.failWrite = func() error { return syscall.ENOSPC }
	for i := range 3 {
		lost := block(Raw, 1, t0+int64(i+1)*minute, t0+int64(i+1)*minute, 1)
		err := db.Write([]SeriesMeta{{Key: 9}}, []Block{lost})
		require.ErrorIs(t, err, syscall.ENOSPC)
	}
	ok, detail := db.Health()
	require.False(t, ok)
	require.Equal(t, "storage degraded to memory-only: write "+db.Path()+": no space left on device", detail)
	require.Len(t, logs.lines("ERROR"), 1, "one Error line, not one per flush")
	require.Contains(t, logs.lines("ERROR")[0], db.Path())
	require.Equal(t, 1.0, gauge(t, db, "pulseboard_storage_degraded"))
	require.Equal(t, 3.0, gauge(t, db, "pulseboard_storage_flush_errors_total"))
	require.Equal(t, []Block{kept}, read(t, db, Raw, 1, 0, t0+day), "a failed Write stores nothing")
	require.Equal(t, int64(1), db.Stats()[Raw].Blocks, "nor counts anything")
	s, err := db.Series()
	require.NoError(t, err)
	require.Empty(t, s)

	db.failWrite = nil
	require.NoError(t, db.Write(nil, []Block{block(Raw, 1, t0+minute, t0+minute, 1)}))
	ok, detail = db.Health()
	require.True(t, ok)
	require.Empty(t, detail)
	require.Len(t, logs.lines("INFO"), 1, "one Info line on recovery")
	require.Equal(t, 0.0, gauge(t, db, "pulseboard_storage_degraded"))
	require.Len(t, read(t, db, Raw, 1, 0, t0+day), 2)
	require.Equal(t, []health{{false, "storage degraded to memory-only: write " + db.Path() + ": no space left on device"}, {true, ""}}, told,
		"told of each change once, not of every failed flush")
}

func TestEnforceFailureDegrades(t *testing.T) {
	c := &clock{}
	c.set(timeAt(t0))
	db := open(t, Options{Dir: t.TempDir(), Now: c.now, Retention: [NumTiers]Limit{Raw: {Time: time.Hour}}})
	require.NoError(t, db.Write(nil, []Block{block(Raw, 1, t0, t0+1, 2)}))
	c.set(timeAt(t0 + 3*hour))
	db.failWrite = func() error { return syscall.EIO }
	require.ErrorIs(t, db.Enforce(), syscall.EIO)
	ok, _ := db.Health()
	require.False(t, ok)
	require.Equal(t, int64(1), db.Stats()[Raw].Blocks, "a failed drop drops nothing")
	db.failWrite = nil
	require.NoError(t, db.Enforce())
	require.Equal(t, int64(0), db.Stats()[Raw].Blocks)
	ok, _ = db.Health()
	require.True(t, ok)
}

// TestReadOnlyFile makes the file read-only for real. Root ignores file
// modes, so as root it is skipped; the file size limit test below fails
// writes for real under any user.
func TestReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: chmod does not stop root's writes; TestFileSizeLimitDegrades covers a real write failure")
	}
	dir := t.TempDir()
	db := open(t, Options{Dir: dir})
	require.NoError(t, db.Close())
	require.NoError(t, os.Chmod(filepath.Join(dir, FileName), 0o400))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, FileName), 0o600) })
	_, err := Open(Options{Dir: dir})
	require.ErrorIs(t, err, os.ErrPermission, "a read-only file is an error for the caller, not corruption")
	require.NoFileExists(t, filepath.Join(dir, FileName)+".corrupt-0")
}

// TestFileSizeLimitDegrades fails writes for real: a child process lowers
// its file size limit (RLIMIT_FSIZE) below what the next Write needs, so
// the kernel answers EFBIG as it would ENOSPC on a full disk.
func TestFileSizeLimitDegrades(t *testing.T) {
	first, _, wait := startChild(t, "fsize", t.TempDir())
	require.True(t, strings.HasPrefix(first, "degraded: storage degraded to memory-only: "), first)
	require.Equal(t, 1, strings.Count(first, FileName), "the file named once: %s", first)
	require.Contains(t, first, "file too large")
	rest := wait()
	require.Contains(t, rest, "recovered")
}

func childFileSizeLimit(t *testing.T, dir string) {
	db, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Write(nil, []Block{block(Raw, 1, t0, t0, 1)}))
	info, err := os.Stat(db.Path())
	require.NoError(t, err)
	var was syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was))
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(info.Size()), Max: was.Max}))
	big := Block{Tier: Raw, Series: 2, Start: t0, End: t0, Points: 1, Data: make([]byte, 4<<20)}
	err = db.Write(nil, []Block{big})
	require.ErrorContains(t, err, syscall.EFBIG.Error(), "bbolt does not wrap its resize error")
	_, detail := db.Health()
	fmt.Printf("degraded: %s\n", detail)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was))
	require.NoError(t, db.Write(nil, []Block{big}))
	if ok, _ := db.Health(); ok && len(read(t, db, Raw, 2, 0, t0)) == 1 {
		fmt.Println("recovered")
	}
}

// gauge reads one unlabelled gauge or counter of db's collector.
func gauge(t *testing.T, db *DB, name string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(db.Collector())
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			m := mf.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no single metric %s", name)
	return 0
}
