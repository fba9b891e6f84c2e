package collectors

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

// TestReadUpTo: the buffer grows by doubling up to max and no further, and
// a buffer that is big enough is read into as it is.
func TestReadUpTo(t *testing.T) {
	body := strings.Repeat("x", 5000)
	got, err := readUpTo(nil, strings.NewReader(body), 10_000)
	require.NoError(t, err)
	require.Equal(t, body, string(got))

	got, err = readUpTo(nil, strings.NewReader(body), 3000)
	require.NoError(t, err)
	require.Len(t, got, 3000, "stops at max")

	buf := make([]byte, 0, 8192)
	got, err = readUpTo(buf, strings.NewReader(body), 10_000)
	require.NoError(t, err)
	require.Equal(t, body, string(got))
	require.Same(t, &buf[:1][0], &got[:1][0], "read into the buffer given")

	got, err = readUpTo(buf, io.MultiReader(strings.NewReader("ab"), iotest{}), 10)
	require.ErrorIs(t, err, errBroken)
	require.Equal(t, "ab", string(got), "what came before the error, with the buffer")
}

var errBroken = io.ErrClosedPipe

type iotest struct{}

func (iotest) Read([]byte) (int, error) { return 0, errBroken }

// TestRefusedBodyMemoryIsReused: a target that always sends a gzip bomb
// costs the fetcher its body limit once, not at every poll (the soak's
// bomb, polled every second, was 22 MiB of garbage a second, and the
// collections it forced delayed every dashboard). Once the target answers
// a body that fits, that body takes the memory and the fetcher keeps none.
func TestRefusedBodyMemoryIsReused(t *testing.T) {
	const limit = 1 << 20
	bomb := gzipped(t, make([]byte, 8<<20))
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if healthy.Load() {
			_, _ = io.WriteString(w, "a 1\n")
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb)
	}))
	t.Cleanup(srv.Close)
	cfg := urlSource(configs.TypePrometheus, srv.URL)
	client(cfg).MaxBodyBytes = limit
	f, err := newFetcher(*client(cfg), testEnv(srv), http.MethodGet, "", true)
	require.NoError(t, err)
	defer f.client.CloseIdleConnections()
	fetch := func() error {
		_, err := f.fetch(context.Background())
		return err
	}

	require.ErrorIs(t, fetch(), ErrBodyTooLarge)
	require.GreaterOrEqual(t, cap(f.spare), limit+1, "the refused body's memory is kept")
	const polls = 4
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range polls {
		require.ErrorIs(t, fetch(), ErrBodyTooLarge)
	}
	runtime.ReadMemStats(&after)
	perPoll := (after.TotalAlloc - before.TotalAlloc) / polls
	require.Less(t, perPoll, uint64(limit/4), "allocated by a refused poll: the request and the inflater, not the body (it was 2.2× the limit)")

	healthy.Store(true)
	r, err := f.fetch(context.Background())
	require.NoError(t, err)
	require.Equal(t, "a 1\n", string(r.Body))
	require.Nil(t, f.spare, "a body handed out is the caller's: the fetcher keeps nothing")
}
