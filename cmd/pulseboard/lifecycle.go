package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"
)

// Exit codes of the run command.
const (
	exitOK     = 0
	exitFailed = 1
)

// lifecycle runs serve until it returns on its own or a signal arrives.
//
// On the first signal it cancels serve's context and waits for serve to
// return, at most bound. A second signal, or the bound passing, ends the
// wait at once: the caller exits the process, abandoning what still runs.
// A clean stop after a signal is exit code 0; serve failing on its own (the
// supervision tree gave up) or a shutdown that did not finish is 1.
func lifecycle(serve func(context.Context) error, signals <-chan os.Signal, bound time.Duration, log *slog.Logger) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()

	select {
	case err := <-done:
		if err != nil {
			log.Error("pulseboard stopped on its own", "err", err)
			return exitFailed
		}
		return exitOK
	case sig := <-signals:
		log.Info("shutting down", "signal", sig.String(), "bound", bound)
		cancel()
	}

	timer := time.NewTimer(bound)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("shutdown finished with an error", "err", err)
			return exitFailed
		}
		log.Info("stopped cleanly")
		return exitOK
	case sig := <-signals:
		log.Warn("second signal: exiting at once", "signal", sig.String())
		return exitFailed
	case <-timer.C:
		log.Error("shutdown did not finish in time: exiting", "bound", bound)
		return exitFailed
	}
}
