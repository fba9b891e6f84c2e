// Package connlimit sizes the dashboard's connection cap from the
// process's file descriptor limit. It is its own package so that the
// config's checks (package configs) and the server (package dashboard)
// apply one rule.
package connlimit

// DefaultMaxClients is the WebSocket client cap when nothing lowers it.
const DefaultMaxClients = 20000

// minReserve is the fewest descriptors kept back from the dashboard's
// connections, whatever the limit. What else holds descriptors: the
// storage (the bbolt file, 1), the config file and its watch (fsnotify:
// 1–3, more for a moment during a reload), the sources' HTTP clients
// (idle keep-alive connections, 2 a target at most, plus one in flight),
// the host source's reads of /proc (a few at a time), NATS (the client's
// connection, and with the embedded server one a route and one a client
// of the cluster), alert notifications (a connection each Alertmanager or
// webhook), DNS lookups, the log and stdio. 256 covers about 60
// scraping sources with room; a tenth of a large limit covers thousands.
const minReserve = 256

// Derive returns the default connection cap for a descriptor limit
// nofile, and how many descriptors it keeps back for the rest of the
// process: the larger of 256 and a tenth of the limit, but never more
// than half of it (a limit of 256 still serves 128 connections).
func Derive(nofile int) (maxConns, reserve int) {
	reserve = max(minReserve, nofile/10)
	if reserve > nofile/2 {
		reserve = nofile - nofile/2
	}
	return nofile - reserve, reserve
}

// Reserve is the room Derive keeps back for a limit nofile.
func Reserve(nofile int) int {
	_, r := Derive(nofile)
	return r
}

// MaxClientsFor is the WebSocket client cap that fits under a connection
// cap maxConns: DefaultMaxClients, or less, so that a twentieth of the
// connections (at least 16) stay for plain HTTP (/healthz, /metrics,
// the page's files, the REST API) when every WebSocket slot is taken.
func MaxClientsFor(maxConns int) int {
	return max(1, min(DefaultMaxClients, maxConns-HTTPRoom(maxConns)))
}

// HTTPRoom is how many of maxConns connections MaxClientsFor keeps for
// plain HTTP.
func HTTPRoom(maxConns int) int { return max(16, maxConns/20) }

// Default is the connection cap for this process: Derive of its
// descriptor limit (the soft RLIMIT_NOFILE, which Go raises to the hard
// one at start on Unix), or, where there is no such limit, room for
// DefaultMaxClients and their HTTP.
func Default() int {
	if n, ok := FileLimit(); ok {
		m, _ := Derive(n)
		return m
	}
	return noLimitMax
}

// noLimitMax is Default where no descriptor limit can be read: room for
// DefaultMaxClients and, beside them, HTTPRoom's twentieth.
const noLimitMax = 22_000
