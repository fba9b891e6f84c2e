package configs

import "github.com/pulseboard/pulseboard/dashboard/connlimit"

// fileLimit is the process's descriptor limit (RLIMIT_NOFILE); tests
// replace it.
var fileLimit = connlimit.FileLimit

// validateConns holds server.max_connections under the descriptor limit
// and server.max_clients under max_connections. The limit is this
// process's: `pulseboard check` run by another user or shell may see
// another one, and says so only for a value past its own.
func (s Server) validateConns(p *problems) {
	nofile, known := fileLimit()
	conns := s.MaxConnections
	switch {
	case conns < 0:
		p.addf("max_connections", "must not be negative, got %d (0 or left out: derived from the file descriptor limit)", conns)
		return
	case conns > 0 && known:
		if room, reserve := connlimit.Derive(nofile); conns > room {
			p.addf("max_connections", "%d connections need more file descriptors than the limit allows: at most %d "+
				"(RLIMIT_NOFILE, ulimit -n, is %d; %d are kept for sources, storage, NATS and config reads); raise the limit or lower this",
				conns, room, nofile, reserve)
			return
		}
	case conns == 0:
		conns = connlimit.Default()
	}
	switch c := s.MaxClients; {
	case c < 0:
		p.addf("max_clients", "must not be negative, got %d (0 or left out: %d or less to fit under max_connections)", c, connlimit.DefaultMaxClients)
	case c > 0 && c+connlimit.HTTPRoom(conns) > conns:
		p.addf("max_clients", "%d WebSocket clients do not fit under max_connections (%d%s) with room for plain HTTP (%d): at most %d",
			c, conns, derivedNote(s.MaxConnections), connlimit.HTTPRoom(conns), conns-connlimit.HTTPRoom(conns))
	}
}

func derivedNote(set int) string {
	if set == 0 {
		return ", derived from the file descriptor limit"
	}
	return ""
}
