package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/alerting"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	"github.com/pulseboard/pulseboard/aggregator/notify"
	"github.com/pulseboard/pulseboard/aggregator/protocol"
	"github.com/pulseboard/pulseboard/aggregator/storage"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/dashboard"
	"github.com/pulseboard/pulseboard/supervisor"
)

// program is the wired supervision tree of docs/architecture.md:
//
//	root (rest_for_one)
//	├── aggregator
//	├── collectors (one_for_one, one dynamic child per source)
//	├── dashboard
//	├── notifier (alert delivery: one sender per Alertmanager and webhook)
//	├── alerting (the alert rules, evaluated on the aggregator's windows)
//	├── cluster (with a cluster: block: this node's NATS member, cluster.go)
//	└── reloader (config hot reload: file watch, SIGHUP, the reload route)
//
// rest_for_one because each child depends on the ones started before it: a
// new aggregator needs the collectors and dashboard re-attached, while a
// dashboard crash concerns nobody else. The notifier depends on nothing
// (its queues live in the Notifier, not in its Serve, and Send works
// whether it serves or not), so it sits late: its crash restarts only
// itself and the reloader. The reloader comes last: it acts on the
// children before it, nothing depends on it, so a crash of it restarts
// only itself. Being a child rather than a goroutine of Serve, its crashes
// are recovered, counted and logged like any other.
type program struct {
	cfg        *configs.Config
	log        *slog.Logger
	registry   *prometheus.Registry
	aggregator *aggregator.Aggregator
	collectors *pbcollectors.Manager
	dashboard  *dashboard.Server
	notifier   *notify.Notifier
	alerts     *alerting.Evaluator
	reloader   *reloader
	root       *supervisor.Supervisor
	// storage is the durable history; nil keeps it in memory only. Closed
	// when Serve returns (or by close when the program never served).
	storage *storage.DB
	// storageDown says why the history is in memory only when storage.path
	// names a place that could not be opened ("" otherwise).
	storageDown string
	// cluster is this node's member of a cluster; nil for a single node.
	cluster     *clusterLink
	seriesCount seriesCounter // for the node list
	// memory gives back what a reload's removed sources held.
	memory memoryReleaser
	// reserve keeps the room of the known sources' series under
	// aggregator.memory_limit.
	reserve   knownReserve
	closeOnce sync.Once
}

// newProgram wires the tree without starting it. The dashboard's port is
// bound first, so that a port in use is one error before anything else is
// made, rather than a dashboard its supervisor restarts until it gives up.
func newProgram(cfg *configs.Config, setup reloadSetup, log *slog.Logger) (_ *program, err error) {
	ln, err := listen(cfg.Server.Listen)
	if err != nil {
		return nil, err
	}
	p := &program{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	p.memory.free = freeOSMemory
	p.reserve.limits = cfg.Aggregator
	p.reserve.set(cfg.Sources)
	defer func() {
		if err != nil {
			ln.Close()
			p.close()
		}
	}()
	// The supervisors call it only once they serve: the aggregator is made
	// by then (startHistory, below).
	events := newEventRecorder(log, func(e protocol.Event) error { return p.sendEvent(e) })
	p.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		events,
	)
	if c := newLogLinesCollector(log); c != nil {
		p.registry.MustRegister(c)
	}

	sup := cfg.Supervisor
	backoff := supervisor.Backoff{Initial: sup.Backoff.Initial.D(), Max: sup.Backoff.Max.D()}

	ao := aggregator.Options{
		History:                       cfg.Aggregator.History.D(),
		Windows:                       durations(cfg.Aggregator.Windows),
		MaxSeries:                     cfg.Aggregator.MaxSeries,
		MaxSeriesPerSource:            cfg.Aggregator.MaxSeriesPerSource,
		MaxNewSeriesPerHour:           cfg.Aggregator.MaxNewSeriesPerHour,
		MaxNewSeriesPerHourAllSources: cfg.Aggregator.MaxNewSeriesPerHourAllSources,
		QueueSize:                     cfg.Aggregator.QueueSize,
		QueueSamples:                  cfg.Aggregator.QueueSamples,
		// New series of the sources that learn theirs are held to the
		// memory limit as they arrive; the known sources' room is kept.
		MemoryLimit:       int64(cfg.Aggregator.MemoryLimit),
		MemoryReserved:    p.reserve.bytes,
		BroadcastInterval: cfg.Broadcast.Interval.D(),
		// The collectors are made next; the aggregator only calls this once it
		// serves, and then only after the collectors said something changed.
		// With a cluster, the peers' sources follow this node's.
		Sources: func() []aggregator.SourceInfo { return p.sourceList() },
		// Likewise: a publish goes out at once when no poll is running.
		Settled: func() bool { return p.collectors.Settled() },
		// The root is made last, likewise; it says when the tree changed.
		Tree:   p.tree,
		Export: exportFilter(cfg.Cluster),
		Logger: log.With("component", "aggregator"),
		// The alerts' events: URLs masked and cut, as every event's texts.
		Clip:    (*configs.Redactor)(nil).Clip,
		Dropped: p.memory.release,
		// Only the configured sources' stored series come back into memory.
		Running: runningSources(cfg),
	}
	// The history is opened before anything runs: a directory another
	// pulseboard holds stops this one here, with nothing started.
	if err := p.startHistory(cfg.Storage, ao); err != nil {
		return nil, err
	}
	sink, err := p.joinCluster(cfg.Cluster, log)
	if err != nil {
		return nil, err
	}
	// The first event of this run: a page reloaded later draws the restart from it.
	if err := p.sendEvent(serverStartedEvent(time.Now(), p.aggregator.PreviousRun(), Version())); err != nil {
		log.Warn("the server's start not announced", "err", err)
	}
	p.collectors = pbcollectors.NewManager(pbcollectors.ManagerOptions{
		Sink:        sink,
		MaxRestarts: sup.Restarts(),
		Period:      sup.Period.D(),
		Cooldown:    sup.Cooldown.D(),
		Backoff:     backoff,
		Version:     Version(),
		Logger:      log.With("component", "collectors"),
		Hook:        events.Record,
		Health:      p.announceSource,
		Changed:     p.sourcesChanged,
	})
	if err := p.registry.Register(p.aggregator.Collector()); err != nil {
		return nil, fmt.Errorf("register aggregator metrics: %w", err)
	}
	if err := p.registry.Register(p.collectors.Collector()); err != nil {
		return nil, fmt.Errorf("register source metrics: %w", err)
	}
	// alerting.* is restart-only: the reloader warns of a change and the
	// targets below stay in force.
	p.notifier = notify.New(notify.Options{
		Alertmanagers: cfg.Alerting.Alertmanagers,
		Webhooks:      cfg.Alerting.Webhooks,
		UserAgent:     "pulseboard/" + Version(),
		Logger:        log.With("component", "notifier"),
	})
	if err := p.registry.Register(p.notifier.Collector()); err != nil {
		return nil, fmt.Errorf("register notification metrics: %w", err)
	}
	if err := p.collectors.Apply(cfg.Sources); err != nil {
		return nil, fmt.Errorf("start sources: %w", err)
	}
	p.alerts = alerting.New(alerting.Options{
		Store:             p.aggregator,
		Interval:          cfg.Alerting.Interval.D(),
		ResendDelay:       cfg.Alerting.ResendDelay.D(),
		MaxRules:          cfg.Alerting.MaxRules,
		MaxAlerts:         cfg.Alerting.MaxAlerts,
		MaxSelectedSeries: cfg.Alerting.MaxSelectedSeries,
		Sender:            p.notifier,
		GeneratorURL:      p.generatorURL,
		Logger:            log.With("component", "alerting"),
	})
	if err := p.alerts.Apply(cfg.Alerts); err != nil {
		return nil, fmt.Errorf("alert rules: %w", err)
	}
	if err := p.registry.Register(p.alerts.Collector()); err != nil {
		return nil, fmt.Errorf("register alert metrics: %w", err)
	}
	reload, err := newReloader(cfg, setup, reloaderDeps{
		apply: func(srcs []configs.Source) error {
			p.reserve.set(srcs) // first: a new known source's room is kept from its first series
			return p.collectors.Apply(srcs)
		},
		applyAlerts: p.alerts.Apply,
		announcer:   streamAnnouncer{p.sendEvent},
		registry:    p.registry,
		log:         log.With("component", "reload"),
	})
	if err != nil {
		return nil, err
	}
	p.reloader = reload

	dash, err := dashboard.New(dashboard.Options{
		Listen:         cfg.Server.Listen,
		Listener:       ln,
		AllowedOrigins: cfg.Server.AllowedOrigins,
		AllowedHosts:   cfg.Server.AllowedHosts,
		ViewerToken:    cfg.Server.Auth.ViewerToken,
		AdminToken:     cfg.Server.Auth.AdminToken,
		MaxConnections: cfg.Server.MaxConnections,
		DearRate:       float64(cfg.Server.DearRequestRate),
		DearBurst:      cfg.Server.DearRequestBurst,
		WebSocket:      wsOptions(cfg.Server),
		Feed:           p.aggregator,
		Sources:        p.sourceControl(),
		Reload:         p.reloader.Reload,
		NodeReload:     p.nodeReload,
		Registry:       p.registry,
		Range:          p.aggregator.QueryRange,
		Nodes:          p.nodes,
		Ready:          p.ready,
		Warnings:       p.warnings,
		OnDelivery:     setup.onDelivery,
		Version:        Version(),
		Logger:         log.With("component", "dashboard"),
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	p.dashboard = dash
	if p.cluster != nil {
		p.cluster.control = clusterControl{adminStatus: dash.AdminStatus, crash: crashControl(p.collectors.Crash), reload: p.reloader.Reload}
	}

	children := []supervisor.Spec{
		{Name: "aggregator", Service: p.aggregator},
		{Name: "collectors", Service: p.collectors},
		{Name: "dashboard", Service: p.dashboard},
		{Name: "notifier", Service: p.notifier},
		{Name: "alerting", Service: p.alerts},
	}
	if p.cluster != nil {
		children = append(children, supervisor.Spec{Name: "cluster", Service: p.cluster})
	}
	children = append(children, supervisor.Spec{Name: "reloader", Service: p.reloader})
	p.root = supervisor.New(supervisor.Config{
		Name:        "root",
		Strategy:    supervisor.RestForOne,
		MaxRestarts: sup.Restarts(),
		Period:      sup.Period.D(),
		Backoff:     backoff,
		Hook:        events.Record,
		Changed:     p.treeChanged,
	}, children...)
	return p, nil
}

// localTree describes this node's supervision tree: the root and its
// children with their states and restarts. The sources under "collectors"
// travel separately, as the stream's "sources". (tree adds the peers'.)
func (p *program) localTree() aggregator.Process {
	root := aggregator.Process{Name: "root", Strategy: supervisor.RestForOne.String(), State: aggregator.StateRunning}
	for _, c := range p.root.Children() {
		node := aggregator.Process{Name: c.Name, State: c.State.String(), Restarts: c.Restarts}
		if c.Name == "collectors" {
			node.Strategy = supervisor.OneForOne.String()
		}
		root.Children = append(root.Children, node)
	}
	if node, ok := p.storageNode(); ok {
		root.Children = append(root.Children, node)
	}
	return root
}

// generatorURL links an alert to the dashboard: its series, or its
// source (health and absence rules). Empty until the dashboard listens.
func (p *program) generatorURL(a protocol.Alert) string {
	base := p.dashboard.URL()
	switch {
	case base == "":
		return ""
	case a.Series != "":
		return base + "/#series=" + a.Series
	case a.Source != "":
		return base + "/#source=" + url.QueryEscape(a.Source)
	}
	return base + "/"
}

// ready reports whether the whole tree runs: the config is loaded (or there
// would be no program) and every child of the root is running.
func (p *program) ready() bool {
	if p.cluster != nil && p.cluster.node.Status().Reason == cluster.ReasonDuplicate {
		return false // its name is another node's: it stands aside (warnings say so)
	}
	for _, c := range p.root.Children() {
		if c.State != supervisor.StateRunning {
			return false
		}
	}
	return true
}

// Serve runs the tree until ctx is cancelled or the root gives up, then
// closes the stored history (the aggregator flushed it as it stopped).
func (p *program) Serve(ctx context.Context) error {
	defer p.close()
	return p.root.Serve(ctx)
}

// close releases what newProgram opened beside the tree: the stored
// history's file and its lock. Safe to call more than once.
func (p *program) close() {
	p.closeOnce.Do(func() {
		p.memory.wait()
		if p.storage != nil {
			if err := p.storage.Close(); err != nil {
				p.log.Error("closing the stored history", "err", err)
			}
		}
	})
}

// warnings are what /readyz reports beside readiness: a degraded store
// or a cluster node that cannot reach NATS keeps the program ready
// (collection and the dashboard go on) but says so.
func (p *program) warnings() []string {
	var out []string
	if p.storage == nil {
		if p.storageDown != "" {
			out = append(out, p.storageDown)
		}
	} else if ok, detail := p.storage.Health(); !ok {
		out = append(out, detail)
	}
	if p.cluster != nil {
		if w := p.cluster.warning(); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// announce prints the dashboard's address once, when it first listens. The
// generated admin token is printed here and nowhere else.
func (p *program) announce(ctx context.Context, w io.Writer) {
	select {
	case <-p.dashboard.Listening():
	case <-ctx.Done():
		return
	}
	// Start-up is done: what it read of the binary need not stay resident.
	if err := releaseBinaryPages(); err != nil {
		p.log.Debug("the binary's pages stay as mapped", "err", err)
	}
	url := p.dashboard.URL()
	defer announceStorage(w, p.cfg.Storage, p.storageDown)
	if p.cfg.Server.Auth.AdminToken == "" {
		fmt.Fprintf(w, "pulseboard %s: dashboard at %s/?admin=%s\n", Version(), url, p.dashboard.AdminToken())
		fmt.Fprintln(w, "  (the admin token above was made for this run; set server.auth.admin_token to keep one)")
		return
	}
	fmt.Fprintf(w, "pulseboard %s: dashboard at %s/\n", Version(), url)
}

func run(cfg *configs.Config, f runFlags, log *slog.Logger, stdout io.Writer) int {
	hangups := make(chan os.Signal, 1)
	signal.Notify(hangups, syscall.SIGHUP)
	defer signal.Stop(hangups)
	setup := reloadSetup{path: f.config, listen: f.listen, storagePath: f.storagePath, hangups: hangups}
	rec, err := startFlightRecorder(os.Getenv, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFailed
	}
	if rec != nil {
		defer rec.stop()
		setup.onDelivery = rec.observe
	}
	p, err := newProgram(cfg, setup, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFailed
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.announce(ctx, stdout)
	log.Info("starting", "version", Version(), "sources", len(cfg.Sources), "listen", cfg.Server.Listen)
	return lifecycle(p.Serve, signals, f.shutdownTimeout, log)
}

func durations(ds []configs.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.D()
	}
	return out
}

// wsOptions are the WebSocket options the config sets: the client cap,
// the slow-cut budget (server.slow_cut_budget: cuts a minute per address,
// as many at once; -1 none) and the session budget (server.session_rate,
// -1 none, and server.session_snapshot_rate; their bursts the dashboard
// derives), the rest the dashboard's defaults.
func wsOptions(s configs.Server) dashboard.WebSocketOptions {
	o := dashboard.WebSocketOptions{MaxClients: s.MaxClients}
	switch b := s.SlowCutBudget; {
	case b < 0:
		o.SlowCutBurst = -1
	case b > 0:
		o.SlowCutBurst, o.SlowCutRate = b, float64(b)/60
	}
	o.SessionRate = float64(max(s.SessionRate, -1))
	o.SnapshotByteRate = float64(s.SessionSnapshotRate)
	return o
}
