package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// nodeSources answers for sources of other nodes: "b/demo" is accepted,
// "b/locked" comes back refused by its node.
type nodeSources struct{ names []string }

func (n *nodeSources) Crash(name string) error {
	n.names = append(n.names, name)
	if name == "b/locked" {
		return &StatusError{Code: http.StatusServiceUnavailable, Message: "node b is down"}
	}
	return nil
}

// /api/v1/sources/<node>/<source>/crash names the source "<node>/<source>",
// behind the same admin guard, and a code another node decided is
// answered as it is.
func TestCrashOfAnotherNodesSource(t *testing.T) {
	sources := &nodeSources{}
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.AdminToken = "admin-secret"
		o.ViewerToken = "viewer-secret"
		o.Sources = sources
	}})
	admin := bearerHeader("admin-secret")

	code, _, body := f.httpDo("POST", "/api/v1/sources/b/demo/crash", nil, admin)
	require.Equal(t, http.StatusAccepted, code, "%s", body)
	require.JSONEq(t, `{"status":"accepted","source":"b/demo"}`, string(body))

	code, h, body := f.httpDo("POST", "/api/v1/sources/b/locked/crash", nil, admin)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "node b is down", errorBody(t, h, body))

	code, _, _ = f.httpDo("POST", "/api/v1/sources/b/demo/crash", nil, bearerHeader("wrong"))
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, []string{"b/demo", "b/locked"}, sources.names, "a refused token reaches no source")

	require.Equal(t, 0, f.srv.AdminStatus("admin-secret"))
	require.Equal(t, http.StatusForbidden, f.srv.AdminStatus("viewer-secret"))
	require.Equal(t, http.StatusUnauthorized, f.srv.AdminStatus("wrong"))
	require.Equal(t, http.StatusUnauthorized, f.srv.AdminStatus(""))
	require.Equal(t, "503 node b is down", (&StatusError{Code: 503, Message: "node b is down"}).Error())
}

// POST /api/v1/nodes/<node>/reload: behind the admin guard; a node's own
// refusal (422 with its reason) and codes decided elsewhere are answered
// as they are; a node never heard of is 404.
func TestReloadOfANode(t *testing.T) {
	var asked []string
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.AdminToken = "admin-secret"
		o.NodeReload = func(_ context.Context, node string) error {
			asked = append(asked, node)
			switch node {
			case "b":
				return nil
			case "broken":
				return &StatusError{Code: http.StatusUnprocessableEntity, Message: "b.yaml:3:5: unknown key"}
			case "down":
				return &StatusError{Code: http.StatusServiceUnavailable, Message: "node down is down"}
			case "self":
				return errors.New("a.yaml:1:1: not a mapping")
			}
			return fmt.Errorf("%w: no node %q", ErrUnknownSource, node)
		}
	}})
	admin := bearerHeader("admin-secret")
	code, _, body := f.httpDo("POST", "/api/v1/nodes/b/reload", nil, admin)
	require.Equal(t, http.StatusOK, code, "%s", body)
	require.JSONEq(t, `{"status":"reloaded","node":"b"}`, string(body))
	for node, want := range map[string]struct {
		code int
		msg  string
	}{
		"broken":  {http.StatusUnprocessableEntity, "b.yaml:3:5: unknown key"},
		"down":    {http.StatusServiceUnavailable, "node down is down"},
		"self":    {http.StatusUnprocessableEntity, "a.yaml:1:1: not a mapping"},
		"nowhere": {http.StatusNotFound, "unknown node"},
	} {
		code, h, body := f.httpDo("POST", "/api/v1/nodes/"+node+"/reload", nil, admin)
		require.Equal(t, want.code, code, node)
		require.Equal(t, want.msg, errorBody(t, h, body), node)
	}
	n := len(asked)
	code, _, _ = f.httpDo("POST", "/api/v1/nodes/b/reload", nil, bearerHeader("wrong"))
	require.Equal(t, http.StatusUnauthorized, code)
	require.Len(t, asked, n, "a refused token reloads nothing")
}

func TestReloadOfANodeNotAvailable(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.AdminToken = "admin-secret" }})
	code, _, _ := f.httpDo("POST", "/api/v1/nodes/b/reload", nil, bearerHeader("admin-secret"))
	require.Equal(t, http.StatusNotImplemented, code)
}
