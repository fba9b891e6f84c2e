package cluster

import (
	"fmt"
	"time"
)

// sameName handles a heartbeat on this node's own subject: NoEcho keeps
// the node's own from it, so another node has this node's name. Its
// samples would garble every peer's dictionary of the name and its
// "leaving" would mark the name Down, so one of the two stands aside:
// the one that started later (heartbeat.Started; a peer too old to say
// counts as the earlier). The one aside publishes nothing and answers no
// request, says so through Status (ReasonDuplicate) and one error line,
// and keeps its own dashboard; the other logs one line too, if it heard
// the later one's heartbeat: a newcomer that hears the first's before it
// sent its own stands aside unheard. Each that logs counts it once in
// connect_failures_total{reason="duplicate_name"}. Called on the
// heartbeat subscription's goroutine.
func (n *Node) sameName(hb heartbeat) {
	if !n.clashLog.CompareAndSwap(false, true) {
		return
	}
	n.link.failures[reasonIndex(ReasonDuplicate)].Add(1)
	log := n.opts.Logger.With("node", n.opts.Node, "cluster", n.opts.Cluster)
	if hb.Started.IsZero() || !hb.Started.After(n.started) {
		msg := fmt.Sprintf("cluster.node %q is taken: another node of that name is in the cluster (since %s); this one stands aside (publishes nothing) until it is given a name of its own",
			n.opts.Node, startedText(hb.Started))
		n.clash.Store(&msg)
		n.aside.Store(true)
		log.Error("cluster: duplicate node name: " + msg)
		return
	}
	log.Error(fmt.Sprintf("cluster: duplicate node name: another node named %q joined (started %s); it stands aside, this one goes on",
		n.opts.Node, startedText(hb.Started)))
}

func startedText(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

func reasonIndex(r string) int {
	for i, x := range reasons {
		if x == r {
			return i
		}
	}
	return len(reasons) - 1
}
