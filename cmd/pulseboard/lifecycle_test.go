package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestLifecycleSignalStopsCleanly(t *testing.T) {
	signals := make(chan os.Signal, 2)
	started := make(chan struct{})
	serve := func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return nil
	}
	code := make(chan int, 1)
	go func() { code <- lifecycle(serve, signals, time.Minute, quiet) }()
	<-started
	signals <- syscall.SIGTERM
	require.Equal(t, exitOK, <-code)
}

func TestLifecycleTreeFailureIsExitOne(t *testing.T) {
	serve := func(context.Context) error { return errors.New("root gave up") }
	require.Equal(t, exitFailed, lifecycle(serve, make(chan os.Signal), time.Minute, quiet))
}

func TestLifecycleSecondSignalExitsAtOnce(t *testing.T) {
	signals := make(chan os.Signal, 2)
	release := make(chan struct{})
	cancelled := make(chan struct{})
	serve := func(ctx context.Context) error {
		<-ctx.Done()
		close(cancelled)
		<-release // a shutdown that would never finish on its own
		return nil
	}
	code := make(chan int, 1)
	go func() { code <- lifecycle(serve, signals, time.Hour, quiet) }()
	signals <- syscall.SIGINT
	<-cancelled
	signals <- syscall.SIGINT
	require.Equal(t, exitFailed, <-code)
	close(release)
}

func TestLifecycleShutdownBound(t *testing.T) {
	signals := make(chan os.Signal, 1)
	release := make(chan struct{})
	serve := func(ctx context.Context) error {
		<-release
		return nil
	}
	signals <- syscall.SIGTERM
	require.Equal(t, exitFailed, lifecycle(serve, signals, time.Millisecond, quiet))
	close(release)
}
