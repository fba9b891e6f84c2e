package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/dashboard"
)

func TestCrashControlTranslatesErrors(t *testing.T) {
	fails := func(err error) crashControl { return func(string) error { return err } }

	require.NoError(t, fails(nil).Crash("x"))

	err := fails(fmt.Errorf("source %q: %w", "x", pbcollectors.ErrUnknownSource)).Crash("x")
	require.ErrorIs(t, err, dashboard.ErrUnknownSource)
	require.ErrorIs(t, err, pbcollectors.ErrUnknownSource, "the manager's error is kept")

	err = fails(fmt.Errorf("source %q: %w", "x", pbcollectors.ErrNotRunning)).Crash("x")
	require.ErrorIs(t, err, dashboard.ErrNotRunning)
	require.NotErrorIs(t, err, dashboard.ErrUnknownSource)

	other := errors.New("broken")
	err = fails(other).Crash("x")
	require.Equal(t, other, err, "anything else passes through")
	require.NotErrorIs(t, err, dashboard.ErrUnknownSource)
	require.NotErrorIs(t, err, dashboard.ErrNotRunning)
}
