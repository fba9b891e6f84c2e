package configs

// minSessionSnapshotRate is the least server.session_snapshot_rate: below
// it a config of a few series could not send a new dashboard its
// snapshot (8 KB a series with history) within the hold.
const minSessionSnapshotRate = 64 << 10

// validateSessions checks server.session_rate and
// server.session_snapshot_rate: the dashboard's server-wide budget of new
// WebSocket sessions (docs/reliability.md, "HTTP and WebSocket clients").
func (s Server) validateSessions(p *problems) {
	if r := s.SessionRate; r < -1 {
		p.addf("session_rate", "must be -1 (no budget), 0 (left out: 20) or more sessions a second, got %d", r)
	}
	if b := s.SessionSnapshotRate; b != 0 && b < minSessionSnapshotRate {
		p.addf("session_snapshot_rate", "%s a second cannot send one snapshot of a few series within the hold: at least 64KiB (0 or left out: 16MiB)", b)
	}
}
