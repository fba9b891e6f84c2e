package configs

import "time"

// Bounds on the supervisor keys, past which no sensible setting lies and a
// crashing child turns into a restart storm. Before them
// max_restarts: 9223372036854775807 with backoff {initial: 1ns, max: 1ns}
// passed `check`, and 20 always-panicking sources took 76 % of a core and
// wrote 66 MB of log in 13 s (one of them restarted 5,408 times in 10 s).
//
// For scale: Erlang/OTP's default intensity is 1 restart in 5 s, suture's
// 5 failures decaying over 30 s with a 15 s backoff, Kubernetes'
// CrashLoopBackOff starts at 10 s and caps at 5 min, systemd's RestartSec
// is 100 ms by default.
const (
	// MaxRestartsCeiling bounds supervisor.max_restarts.
	MaxRestartsCeiling = 100
	// MinSupervisorPeriod bounds supervisor.period from below: in a
	// shorter period restarts are hardly ever counted together, so
	// max_restarts never trips. (Every duration is at most MaxDuration.)
	MinSupervisorPeriod = Duration(time.Second)
	// MinCooldown bounds supervisor.cooldown from below: a parked source
	// tried again at once is not parked.
	MinCooldown = Duration(time.Second)
	// MaxRestartRate bounds supervisor.cooldown from below with
	// max_restarts: a source that crashes at every start is restarted
	// max_restarts times, parked for cooldown, and again, so cooldown must
	// be at least max_restarts × this for it to restart no more than once
	// a second in the long run (the defaults: 5 restarts, 1m). Before it, at
	// the other bounds (100 restarts, cooldown 1s, backoff 10ms) 20 such
	// sources restarted 1,000 times a second and told every dashboard so.
	MaxRestartRate = Duration(time.Second)
	// MinBackoff bounds supervisor.backoff.initial from below: the shortest
	// poll interval (minInterval), the pace of the fastest source.
	MinBackoff = minInterval
	// MaxBackoff bounds supervisor.backoff.max: a child waiting longer than
	// an hour between restarts is as good as stopped, and its state hides
	// that it is.
	MaxBackoff = Duration(time.Hour)
)
