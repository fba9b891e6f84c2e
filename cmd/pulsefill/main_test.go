package main

import (
	"bytes"
	"context"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestFillsTheDemoConfig(t *testing.T) {
	var out, errs bytes.Buffer
	dir := t.TempDir()
	err := run(context.Background(), []string{"-dir", dir, "-span", "10m", "-to", "2026-11-01T10:00:00Z"}, &out, &errs)
	require.NoError(t, err, errs.String())
	require.Contains(t, out.String(), "2026-11-01T09:50:00Z to 2026-11-01T10:00:00Z")
	require.Regexp(t, `tier raw +\d+ bytes +\d+ points`, out.String())
	require.Regexp(t, `tier 1m +\d+ bytes +\d+ points`, out.String())
}

func TestRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{}, "-dir is required"},
		{[]string{"-dir", t.TempDir(), "-span", "-1h"}, "-span must be positive"},
		{[]string{"-dir", t.TempDir(), "-to", "yesterday"}, `-to: want "now"`},
		{[]string{"-dir", t.TempDir(), "-host", "mars"}, `-host must be`},
		{[]string{"-dir", t.TempDir(), "-config", "/nonexistent.yaml"}, "nonexistent.yaml"},
	} {
		var out, errs bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errs)
		require.ErrorContains(t, err, tc.want, "%v", tc.args)
	}
	var out, errs bytes.Buffer
	require.ErrorIs(t, run(context.Background(), []string{"-h"}, &out, &errs), flag.ErrHelp)
}

var testNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func TestParseTime(t *testing.T) {
	got, err := parseTime("1764410400000", testNow)
	require.NoError(t, err)
	require.Equal(t, int64(1764410400000), got.UnixMilli())
	got, err = parseTime("now", testNow)
	require.NoError(t, err)
	require.Equal(t, testNow, got)
}
