package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"time"
)

// loadSummary is the part of pulseload's -json summary the soak checks.
type loadSummary struct {
	Dialed      int64   `json:"dialed"`
	DialFailed  int64   `json:"dial_failed"`
	Disconnects int64   `json:"disconnects"`
	Deltas      uint64  `json:"deltas"`
	DelaySample uint64  `json:"delay_samples"`
	DelayP99Ms  float64 `json:"delay_p99_ms"`
	DelayMaxMs  float64 `json:"delay_max_ms"`
	Gaps        uint64  `json:"gaps"`
	Resyncs     uint64  `json:"resyncs"`
	Replayed    uint64  `json:"replayed_deltas"`
	Undecodable uint64  `json:"undecodable"`
	Stalled     int     `json:"stalled"`
	StalledCut  int     `json:"stalled_cut"`
	FirstError  string  `json:"first_error"`
}

// runLoad runs pulseload once: clients normal readers and stalled
// never-reading connections for d.
func runLoad(ctx context.Context, bin, wsURL string, clients, stalled int, d time.Duration) (loadSummary, error) {
	args := []string{"-url", wsURL, "-clients", fmt.Sprint(clients), "-duration", d.String(), "-report", "1h", "-json"}
	if stalled > 0 {
		args = append(args, "-stalled", fmt.Sprint(stalled))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var s loadSummary
	// The summary is the last JSON value printed; progress lines come before.
	if i := bytes.LastIndex(out.Bytes(), []byte("\n{")); i >= 0 {
		if jerr := json.Unmarshal(out.Bytes()[i+1:], &s); jerr != nil && err == nil {
			err = jerr
		}
	} else if jerr := json.Unmarshal(out.Bytes(), &s); jerr != nil && err == nil {
		err = fmt.Errorf("pulseload printed no summary: %s", bytes.TrimSpace(errOut.Bytes()))
	}
	if err != nil {
		return s, fmt.Errorf("pulseload %v: %w: %s", args, err, bytes.TrimSpace(errOut.Bytes()))
	}
	return s, nil
}
