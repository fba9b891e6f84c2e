package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// clusterExample is the README's example config of node (a, b or c),
// with every port it names (dashboard, NATS client, NATS routes, its own
// and the others') moved to the free ones of ports, and its history in a
// directory of the test's.
func clusterExample(t *testing.T, node string, ports map[string]string) string {
	t.Helper()
	data, err := os.ReadFile("../../configs/examples/cluster-" + node + ".yaml")
	require.NoError(t, err)
	cfg := string(data)
	for fixed, free := range ports {
		cfg = strings.ReplaceAll(cfg, "127.0.0.1:"+fixed+"\n", "127.0.0.1:"+free+"\n")
		cfg = strings.ReplaceAll(cfg, "127.0.0.1:"+fixed+" ", "127.0.0.1:"+free+" ")
		cfg = strings.ReplaceAll(cfg, "127.0.0.1:"+fixed+",", "127.0.0.1:"+free+",")
		cfg = strings.ReplaceAll(cfg, "127.0.0.1:"+fixed+"]", "127.0.0.1:"+free+"]")
	}
	require.NotContains(t, cfg, "127.0.0.1:80", "every fixed port moved")
	dir := t.TempDir()
	cfg = strings.Replace(cfg, "path: pulseboard-"+node, "path: "+filepath.Join(dir, "history"), 1)
	path := filepath.Join(dir, node+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// freePortNumber is a free loopback port, as a number.
func freePortNumber(t *testing.T) string {
	t.Helper()
	addr := freePort(t)
	return addr[strings.LastIndexByte(addr, ':')+1:]
}

// TestBrowserClusterGroupsByNode starts the README's three-node cluster
// (three pulseboard processes, embedded NATS), opens a's dashboard and
// finds b's and c's sources there, each under its node's heading; then
// kills c with SIGKILL and sees it marked down within two seconds.
func TestBrowserClusterGroupsByNode(t *testing.T) {
	besideOthers(t)
	b := openTab(t, 1280, 900)
	ports := map[string]string{}
	for _, fixed := range []string{"8081", "8082", "8083", "4222", "4223", "4224", "6222", "6223", "6224"} {
		ports[fixed] = freePortNumber(t)
	}
	bases := map[string]string{}
	procs := map[string]func(){}
	for _, node := range []string{"a", "b", "c"} {
		cmd, base, stderr := startPulseboard(t, "-config", clusterExample(t, node, ports))
		bases[node] = base
		procs[node] = func() {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			require.Equal(t, 0, waitExit(t, cmd, 20*time.Second), "node %s, stderr:\n%s", node, stderr.String())
		}
		if node == "c" {
			procs[node] = func() {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				waitExit(t, cmd, 10*time.Second)
			}
		}
	}
	defer procs["a"]()
	defer procs["b"]()

	b.do(chromedp.Navigate(bases["a"] + "/"))
	b.waitFor("the stream to be live", isLive)
	b.waitFor("a section per node, in order, each up", `[...document.querySelectorAll("#groups > .node-section")].map(s => s.dataset.node + ":" + s.dataset.state).join(" ") === "a:up b:up c:up"`)
	for _, node := range []string{"a", "b", "c"} {
		source := "demo"
		if node != "a" {
			source = node + "/demo"
		}
		b.waitFor(node+"'s source under its node, running, with its charts", fmt.Sprintf(
			`(g => !!g && g.dataset.state === "running" && g.querySelectorAll(".card").length === 2)(document.querySelector('.node-section[data-node=%q] .group[data-source=%q]'))`, node, source))
	}
	b.waitFor("the tree shows each node", `[...document.querySelectorAll('#tree [role=treeitem]')].filter(n => /^cluster\/@[abc]$/.test(n.dataset.key)).length === 3`)

	procs["c"]()
	killed := time.Now()
	b.waitFor("c marked down", `(s => !!s && s.dataset.state === "down" &&
		/^last seen \d\d:\d\d:\d\d$/.test(s.querySelector(".node-seen").textContent) &&
		s.querySelector('.group[data-source="c/demo"] .badge').textContent === "down")(document.querySelector('.node-section[data-node="c"]'))`)
	took := time.Since(killed)
	t.Logf("c shown down %s after its SIGKILL", took.Round(time.Millisecond))
	// Two heartbeats of silence (2 s at most after the last one, which came
	// before the kill), plus the stream's broadcast interval and a frame.
	require.Less(t, took, 2*time.Second+200*time.Millisecond, "a killed node is marked down within 2 s")
	b.waitFor("c's tree down", `document.querySelector('#tree [data-key="cluster/@c"]').dataset.state === "down"`)
	require.Equal(t, "a:up b:up c:down", eval[string](b, `[...document.querySelectorAll("#groups > .node-section")].map(s => s.dataset.node + ":" + s.dataset.state).join(" ")`))
	require.Empty(t, b.problems())
}
