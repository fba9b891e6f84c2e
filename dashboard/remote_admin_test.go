package dashboard

import (
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
