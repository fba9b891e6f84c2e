package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
	"github.com/pulseboard/pulseboard/configs"
)

// openStorage opens the durable history the config asks for, or returns
// nil for memory only (storage.path ""). A directory another pulseboard
// holds is an error that says what to do; a corrupt file was moved aside
// by storage.Open, which logged it.
func openStorage(cfg configs.Storage, log *slog.Logger, onHealth func(ok bool, detail string)) (*storage.DB, error) {
	if cfg.Path == "" {
		return nil, nil
	}
	r := cfg.Retention
	db, err := storage.Open(storage.Options{
		Dir: cfg.Path,
		Retention: [storage.NumTiers]storage.Limit{
			storage.Raw:    {Time: r.Raw.Time.D(), Size: int64(r.Raw.Size)},
			storage.Minute: {Time: r.Minute.Time.D(), Size: int64(r.Minute.Size)},
			storage.Hour:   {Time: r.Hour.Time.D(), Size: int64(r.Hour.Size)},
		},
		Logger:   log.With("component", "storage"),
		OnHealth: onHealth,
	})
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%w: run it with another storage.path (or -storage.path DIR), or -storage.path \"\" to keep history in memory only", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open the stored history: %w", err)
	}
	return db, nil
}

// announceStorage says where the history lives, once at start.
func announceStorage(w io.Writer, cfg configs.Storage) {
	if cfg.Path == "" {
		fmt.Fprintln(w, "  history kept in memory only (storage.path is empty): charts start empty after a restart")
		return
	}
	r := cfg.Retention
	fmt.Fprintf(w, "  history kept in %s (raw %s, 1m %s, 1h %s)\n", cfg.Path, r.Raw.Time, r.Minute.Time, r.Hour.Time)
}

// storageChanged tells the dashboards that the stored history's disk
// failed or works again: a "storage" event for the timeline and the
// banner, and the tree's storage node for those who connect later. Called
// by the store on the flushing goroutine, after the failed or working
// write.
func (p *program) storageChanged(ok bool, detail string) {
	ev, err := protocol.NewEvent("storage", time.Now().UnixMilli(), struct {
		OK      bool   `json:"ok"`
		Message string `json:"message"`
	}{ok, detail})
	if err == nil {
		err = p.aggregator.Announce(ev)
	}
	if err != nil {
		p.log.Error("announcing the storage change", "err", err)
	}
	p.aggregator.TreeChanged()
}

// storageNode is the tree's node for the stored history: running, or
// degraded while writes fail; none when the history is in memory only.
func (p *program) storageNode() (aggregator.Process, bool) {
	if p.storage == nil {
		return aggregator.Process{}, false
	}
	state := aggregator.StateRunning
	if ok, _ := p.storage.Health(); !ok {
		state = stateDegraded
	}
	return aggregator.Process{Name: "storage", State: state}, true
}

// stateDegraded is the storage node's state while its disk fails.
const stateDegraded = "degraded"
