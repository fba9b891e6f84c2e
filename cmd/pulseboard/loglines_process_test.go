package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A restart storm writes each kind of supervision line ten times a minute
// and then one "… N more like this" when the program stops; what it left
// out is on /metrics. Before the log's rate limit, three such sources
// wrote about a hundred lines per source a second.
func TestBinaryRestartStormLogBounded(t *testing.T) {
	besideOthers(t)
	stderr := &lockedBuffer{}
	cmd, url := startPulseboardTo(t, stderr, "-config", "testdata/storm.yaml", "-storage.path", "")

	// Each storm source crashes 101 times and is parked: every kind of its
	// lines has been written 100 times or more by then.
	parked := regexp.MustCompile(`(?m)^pulseboard_supervisor_events_total\{child="storm\d",event="parked",supervisor="collectors"\} 1$`)
	require.Eventually(t, func() bool {
		return len(parked.FindAllString(scrape(t, url+"/metrics"), -1)) == 3
	}, 30*time.Second, 50*time.Millisecond, "the storm sources parked")
	suppressed := regexp.MustCompile(`(?m)^pulseboard_log_lines_suppressed_total\{level="\w+"\} (\d+)$`)
	n := 0
	for _, m := range suppressed.FindAllStringSubmatch(scrape(t, url+"/metrics"), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	require.GreaterOrEqual(t, n, 3*3*(100-10), "the storm's lines counted as suppressed")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "stderr:\n%s", stderr.String())
	log := stderr.String()
	for _, child := range []string{"storm1", "storm2", "storm3"} {
		for _, event := range []string{"started", "exited", "restarting"} {
			kind := "child=" + child + " event=" + event
			written := strings.Count(log, "msg=supervision component=supervisor supervisor=collectors "+kind+" ")
			require.LessOrEqual(t, written, 10, kind)
			require.Regexp(t, `msg="… \d+ more like this" component=supervisor like=supervision suppressed=\d+ within=1m0s supervisor=collectors `+kind, log)
		}
	}
}

// scrape is the body of a GET of url.
func scrape(t *testing.T, url string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
