package dashboard

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAPINodes(t *testing.T) {
	nodes := []Node{
		{Name: "a", Up: true, LastSeen: 1700000000000, Sources: 2, Series: 10},
		{Name: "b", Up: false, LastSeen: 1699999990000, Sources: 1, Series: 4},
	}
	var mu sync.Mutex // the handler reads nodes on the server's goroutine
	f := newFixture(t, fixtureOptions{dash: func(o *Options) {
		o.ViewerToken = "viewer-secret"
		o.Nodes = func() []Node {
			mu.Lock()
			defer mu.Unlock()
			return nodes
		}
	}})
	code, _, _ := f.httpDo("GET", "/api/v1/nodes", nil, nil)
	require.Equal(t, http.StatusUnauthorized, code, "a viewer route")

	code, h, body := f.httpDo("GET", "/api/v1/nodes", nil, bearerHeader("viewer-secret"))
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/json", h.Get("Content-Type"))
	require.JSONEq(t, `{"nodes":[
		{"name":"a","up":true,"last_seen":1700000000000,"sources":2,"series":10},
		{"name":"b","up":false,"last_seen":1699999990000,"sources":1,"series":4}]}`, string(body))

	mu.Lock()
	nodes = nil
	mu.Unlock()
	_, _, body = f.httpDo("GET", "/api/v1/nodes", nil, bearerHeader("viewer-secret"))
	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &got))
	require.JSONEq(t, `[]`, string(got["nodes"]), "never null")
}

func TestAPINodesUnavailable(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	code, h, body := f.httpDo("GET", "/api/v1/nodes", nil, nil)
	require.Equal(t, http.StatusNotImplemented, code)
	errorBody(t, h, body)
}
