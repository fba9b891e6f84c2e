package main

import (
	"errors"
	"fmt"

	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/dashboard"
)

// crashControl is the collectors' crash injection as the dashboard's
// SourceControl: it translates the manager's sentinel errors into the
// dashboard's, so that neither package has to know the other. The manager's
// own message is kept behind the dashboard's sentinel.
type crashControl func(name string) error

func (crash crashControl) Crash(name string) error {
	err := crash(name)
	switch {
	case errors.Is(err, pbcollectors.ErrUnknownSource):
		return fmt.Errorf("%w: %w", dashboard.ErrUnknownSource, err)
	case errors.Is(err, pbcollectors.ErrNotRunning):
		return fmt.Errorf("%w: %w", dashboard.ErrNotRunning, err)
	}
	return err
}

// sourceControl is the dashboard's crash route's: the collectors' alone,
// or in a cluster every node's (clusterSources). Called once, before the
// dashboard exists, so the admin token is read when a request comes.
func (p *program) sourceControl() dashboard.SourceControl {
	local := crashControl(p.collectors.Crash)
	if p.cluster == nil {
		return local
	}
	return clusterSources{local: local, link: p.cluster, token: func() string { return p.dashboard.AdminToken() }}
}
