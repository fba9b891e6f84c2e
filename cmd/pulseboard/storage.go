package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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
func announceStorage(w io.Writer, cfg configs.Storage, down string) {
	if down != "" {
		fmt.Fprintf(w, "  history kept in memory only: %s\n", down)
		return
	}
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
		err = p.sendEvent(ev)
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
		if p.storageDown != "" {
			return aggregator.Process{Name: "storage", State: stateDegraded}, true
		}
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

// runningSources is the aggregator's Options.Running for cfg: the
// sources it configures, whose stored series the restore brings back into
// memory; the stored series of sources a past configuration had stay on
// disk only. A cluster node's peers' sources ("<node>/<source>") are
// restored as they were stored: which a peer runs is known only once it
// speaks, and what it no longer sends leaves memory after History.
func runningSources(cfg *configs.Config) func(source string) bool {
	names := make(map[string]bool, len(cfg.Sources))
	for _, s := range cfg.Sources {
		names[s.Name] = true
	}
	clustered := cfg.Cluster != nil
	return func(source string) bool {
		return names[source] || clustered && strings.Contains(source, "/")
	}
}

// startHistory opens the stored history, makes the aggregator over it and
// restores the recent past into it, before anything runs. A directory
// another pulseboard holds is the one error: this pulseboard must not run
// beside that one. A store that cannot be opened at all (a read-only
// disk, a path that is not a directory) leaves the history in memory
// only, said loudly (the log, /readyz, the tree's storage node): collection
// never waits on a disk. A file whose damage shows only as the restore
// reads it is moved aside, as Open does with damage it sees, and a fresh
// one started.
func (p *program) startHistory(cfg configs.Storage, ao aggregator.Options) error {
	for attempt := 0; ; attempt++ {
		db, err := openStorage(cfg, p.log, p.storageChanged)
		if errors.Is(err, storage.ErrLocked) {
			return err
		}
		if err != nil {
			p.storageDown = "storage degraded to memory-only: " + err.Error()
			p.log.Error("the stored history cannot be opened; keeping history in memory only", "err", err)
			db = nil
		}
		p.storage = db
		o := ao
		if db != nil {
			// Only a real store: a nil *storage.DB in the interface would not be nil.
			o.Storage = db
			o.FlushInterval = cfg.FlushInterval.D()
			r := cfg.Retention
			o.Retention = [storage.NumTiers]time.Duration{r.Raw.Time.D(), r.Minute.Time.D(), r.Hour.Time.D()}
		}
		p.aggregator = aggregator.New(o)
		err = p.aggregator.Restore()
		if err == nil {
			break
		}
		if db == nil || !errors.Is(err, storage.ErrCorrupt) || attempt > 0 {
			return fmt.Errorf("read the stored history: %w", err)
		}
		_ = db.Close()
		p.storage = nil
		aside, merr := storage.MoveAside(cfg.Path, time.Now())
		if merr != nil {
			return fmt.Errorf("the stored history is damaged (%w) and could not be moved aside: %w", err, merr)
		}
		p.log.Error("storage: data file damaged; moved aside, starting a fresh one", "moved_to", aside, "err", err)
	}
	if p.storage != nil {
		p.registry.MustRegister(p.storage.Collector())
	}
	return nil
}
