package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/aggregator/cluster"
	pbcollectors "github.com/pulseboard/pulseboard/collectors"
	"github.com/pulseboard/pulseboard/configs"
	"github.com/pulseboard/pulseboard/dashboard"
)

func TestControlBody(t *testing.T) {
	action, src, ok := decodeControl(encodeControl(actionCrash, "demo"))
	require.True(t, ok)
	require.Equal(t, byte(actionCrash), action)
	require.Equal(t, "demo", src)
	good := encodeControl(actionCrash, "demo")
	for name, b := range map[string][]byte{
		"empty":        nil,
		"version":      append([]byte{2}, good[1:]...),
		"no source":    encodeControl(actionCrash, ""),
		"cut":          good[:len(good)-1],
		"trailing":     append(append([]byte{}, good...), 'x'),
		"bad length":   {controlVersion, actionCrash, 0xff},
		"only version": {controlVersion},
		"named reload": encodeControl(actionReload, "demo"),
	} {
		_, _, ok := decodeControl(b)
		require.False(t, ok, name)
	}
}

func TestControlBodyReload(t *testing.T) {
	action, src, ok := decodeControl(encodeControl(actionReload, ""))
	require.True(t, ok, "a reload names nothing")
	require.Equal(t, byte(actionReload), action)
	require.Empty(t, src)
}

func controlLink(t *testing.T) *clusterLink {
	cfg := &configs.Cluster{Name: "lab", Node: "a", Embedded: &configs.ClusterEmbedded{Listen: "127.0.0.1:0", ClusterListen: "127.0.0.1:0"}}
	link, err := newClusterLink(cfg, aggregator.New(aggregator.Options{}), 10, discardLog())
	require.NoError(t, err)
	return link
}

// The owning node answers a forwarded crash with the codes its own
// route would: the token first, then the crash's outcome.
func TestAnswerControl(t *testing.T) {
	link := controlLink(t)
	req := func(token string, body []byte) int {
		return link.answerControl(context.Background(), cluster.ControlRequest{From: "b", Token: token, Body: body}).Status
	}
	crash := encodeControl(actionCrash, "demo")
	require.Equal(t, 501, req("t", crash), "no control set: not available")

	var crashed []string
	crashErr := error(nil)
	link.control = clusterControl{
		adminStatus: func(token string) int {
			switch token {
			case "admin":
				return 0
			case "viewer":
				return 403
			}
			return 401
		},
		crash: func(name string) error { crashed = append(crashed, name); return crashErr },
	}
	require.Equal(t, 400, req("admin", []byte{9}))
	require.Equal(t, 401, req("", crash))
	require.Equal(t, 401, req("wrong", crash))
	require.Equal(t, 403, req("viewer", crash))
	require.Empty(t, crashed, "nothing crashed without the admin token")
	require.Equal(t, 400, req("admin", encodeControl(7, "demo")), "unknown action")

	require.Equal(t, 202, req("admin", crash))
	require.Equal(t, []string{"demo"}, crashed)
	reload := encodeControl(actionReload, "")
	require.Equal(t, 501, req("admin", reload), "no reloader: not available")
	var reloadErr error
	reloads := 0
	link.control.reload = func(context.Context) error { reloads++; return reloadErr }
	require.Equal(t, 401, req("wrong", reload))
	require.Zero(t, reloads, "nothing reloaded without the admin token")
	require.Equal(t, 200, req("admin", reload))
	reloadErr = errors.New("b.yaml:2:3: unknown key")
	rep := link.answerControl(context.Background(), cluster.ControlRequest{From: "a", Token: "admin", Body: reload})
	require.Equal(t, 422, rep.Status)
	require.Equal(t, "b.yaml:2:3: unknown key", string(rep.Body), "the reason, as the local route gives it")
	require.Equal(t, 2, reloads)

	for err, code := range map[error]int{
		fmt.Errorf("x: %w", pbcollectors.ErrUnknownSource): 404,
		fmt.Errorf("x: %w", pbcollectors.ErrNotRunning):    409,
		errors.New("broken"):                               500,
	} {
		crashErr = err
		require.Equal(t, code, req("admin", crash), err.Error())
	}
}

// A crash named without a node, or with this node's name, stays here; a
// node never heard of is unknown (404), without asking anyone.
func TestClusterSourcesRouting(t *testing.T) {
	link := controlLink(t)
	var crashed []string
	s := clusterSources{local: func(name string) error { crashed = append(crashed, name); return nil }, link: link,
		token: func() string { return "admin" }}
	require.NoError(t, s.Crash("demo"))
	require.NoError(t, s.Crash("a/demo"))
	require.Equal(t, []string{"demo", "demo"}, crashed)
	require.ErrorIs(t, s.Crash("zz/demo"), dashboard.ErrUnknownSource)
}
