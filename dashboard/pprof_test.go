package dashboard

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPprofBehindAdminToken: the profiles answer the admin token only, and
// a server that made its own admin token serves none.
func TestPprofBehindAdminToken(t *testing.T) {
	f := authFixture(t)
	code, _, body := f.httpDo("GET", pprofPath, nil, bearerHeader(adminSecret))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), "heap")
	code, _, body = f.httpDo("GET", pprofPath+"heap?debug=1", nil, bearerHeader(adminSecret))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(body), "heap profile")
	code, _, _ = f.httpDo("GET", pprofPath+"cmdline", nil, bearerHeader(adminSecret))
	require.Equal(t, http.StatusOK, code)

	for _, path := range []string{pprofPath, pprofPath + "heap", pprofPath + "profile?seconds=1", pprofPath + "cmdline"} {
		code, _, _ = f.httpDo("GET", path, nil, bearerHeader(viewerSecret))
		require.Equal(t, http.StatusForbidden, code, path)
		code, _, _ = f.httpDo("GET", path, nil, nil)
		require.Equal(t, http.StatusUnauthorized, code, path)
	}

	open := newFixture(t, fixtureOptions{})
	code, _, _ = open.httpDo("GET", pprofPath+"heap", nil, bearerHeader(open.srv.AdminToken()))
	require.Equal(t, http.StatusNotFound, code)
}
