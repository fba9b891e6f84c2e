package dashboard

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
)

// nodesPath lists the nodes of the cluster this pulseboard belongs to.
const nodesPath = "/api/v1/nodes"

// Node is one pulseboard of the cluster as this one sees it: an element
// of GET /api/v1/nodes' {"nodes":[…]}.
type Node struct {
	// Name is the node's name (cluster.node; the `node` label of its
	// series on the others).
	Name string `json:"name"`
	// Up is true while its heartbeats arrive (always, for this node).
	Up bool `json:"up"`
	// LastSeen is when its last heartbeat arrived, Unix ms on this node's
	// clock (for this node: now); 0 if never.
	LastSeen int64 `json:"last_seen"`
	// Sources and Series are how many of each this node holds of it.
	Sources int `json:"sources"`
	Series  int `json:"series"`
}

// nodeList is the body of GET /api/v1/nodes.
type nodeList struct {
	Nodes []Node `json:"nodes"` // never null
}

// nodes serves Options.Nodes; without it, 501.
func (s *Server) nodes(c *fiber.Ctx) error {
	if s.opts.Nodes == nil {
		return fiber.NewError(fiber.StatusNotImplemented, "the node list is not available")
	}
	list := nodeList{Nodes: s.opts.Nodes()}
	if list.Nodes == nil {
		list.Nodes = []Node{}
	}
	body, err := json.Marshal(list)
	if err != nil {
		return err
	}
	return sendJSON(c, fiber.StatusOK, body)
}
