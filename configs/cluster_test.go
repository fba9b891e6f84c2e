package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClusterLeftOutIsOneNode(t *testing.T) {
	stateDir(t)
	c, err := Parse("a.yaml", []byte("server: {listen: \"127.0.0.1:0\"}\n"))
	require.NoError(t, err)
	require.Nil(t, c.Cluster, "no cluster key: a single node, as before")
	require.Nil(t, Default().Cluster)
}

func TestClusterDefaults(t *testing.T) {
	stateDir(t)
	c, err := Parse("a.yaml", []byte("cluster: {name: lab}\n"))
	require.NoError(t, err)
	require.Equal(t, &Cluster{
		Name:     "lab",
		Node:     DefaultNodeName(),
		Embedded: &ClusterEmbedded{Listen: "127.0.0.1:4222", ClusterListen: "127.0.0.1:6222"},
		Export:   ExportOwn,
	}, c.Cluster, "neither embedded nor nats: an embedded NATS on its usual ports")
	require.NotContains(t, c.Cluster.Node, ".")

	c, err = Parse("a.yaml", []byte(`cluster:
  name: lab
  node: b
  embedded:
    listen: 127.0.0.1:4223
    routes: ["nats://127.0.0.1:6222", "nats://127.0.0.1:6224"]
  export: all
`))
	require.NoError(t, err)
	require.Equal(t, &Cluster{
		Name: "lab", Node: "b", Export: ExportAll,
		Embedded: &ClusterEmbedded{Listen: "127.0.0.1:4223", ClusterListen: "127.0.0.1:6222",
			Routes: []string{"nats://127.0.0.1:6222", "nats://127.0.0.1:6224"}},
	}, c.Cluster)

	c, err = Parse("a.yaml", []byte(`cluster:
  name: lab
  nats: {urls: ["nats://10.0.0.5:4222", "tls://10.0.0.6:4222"], user: pb, password: s3cret}
`))
	require.NoError(t, err)
	require.Nil(t, c.Cluster.Embedded, "nats given: no embedded server")
	require.Equal(t, &ClusterNATS{URLs: []string{"nats://10.0.0.5:4222", "tls://10.0.0.6:4222"}, User: "pb", Password: "s3cret"}, c.Cluster.NATS)

	c, err = Parse("a.yaml", []byte("cluster: {name: lab, embedded: {listen: \"127.0.0.1:0\", cluster_listen: \"127.0.0.1:0\"}}\n"))
	require.NoError(t, err, "port 0 twice: two free ports")
	require.Equal(t, "127.0.0.1:0", c.Cluster.Embedded.ClusterListen)

	// In code: ApplyDefaults fills the same.
	d := Default()
	d.Cluster = &Cluster{Name: "lab", Node: "a"}
	d.ApplyDefaults()
	require.NoError(t, d.Validate())
	require.Equal(t, "127.0.0.1:6222", d.Cluster.Embedded.ClusterListen)
}

func TestClusterErrorsHavePositions(t *testing.T) {
	stateDir(t)
	for _, tc := range []struct{ yaml, want string }{
		{"cluster: {node: a}\n", `a.yaml:1:10: cluster.name: is required`},
		{"cluster:\n  name: a.b\n", `a.yaml:2:9: cluster.name: invalid cluster name "a.b"`},
		{"cluster:\n  name: lab\n  node: my.host\n", `a.yaml:3:9: cluster.node: invalid node name "my.host"`},
		{"cluster:\n  name: lab\n  export: none\n", `a.yaml:3:11: cluster.export: must be "own"`},
		{"cluster:\n  name: lab\n  embedded: {listen: nowhere}\n", `a.yaml:3:22: cluster.embedded.listen: "nowhere" is not host:port`},
		{"cluster:\n  name: lab\n  embedded: {listen: \"127.0.0.1:70000\"}\n", `a.yaml:3:22: cluster.embedded.listen: port "70000"`},
		{"cluster:\n  name: lab\n  embedded: {listen: \"h:1\", cluster_listen: \"h:1\"}\n", `a.yaml:3:45: cluster.embedded.cluster_listen: is the same address as embedded.listen`},
		{"cluster:\n  name: lab\n  embedded:\n    routes: [\"http://h:1\"]\n", `a.yaml:4:14: cluster.embedded.routes[0]: URL "http://h:1": the scheme must be nats`},
		{"cluster:\n  name: lab\n  embedded:\n    routes: [\"nats://h\"]\n", `a.yaml:4:14: cluster.embedded.routes[0]: URL "nats://h": want host and port`},
		{"cluster:\n  name: lab\n  embedded:\n    routes: [\"nats://h:1\", \"nats://h:1\"]\n", `a.yaml:4:28: cluster.embedded.routes[1]: duplicate URL (also embedded.routes[0])`},
		{"cluster:\n  name: lab\n  nats: {}\n", `a.yaml:3:9: cluster.nats.urls: at least one URL is needed`},
		{"cluster:\n  name: lab\n  nats: {urls: [\"nats://h:1\"]}\n  embedded: {}\n", `cluster.nats: set one of cluster.embedded`},
		{"cluster:\n  name: lab\n  nats: {urls: [\"nats://h:1\"], routes: []}\n", `a.yaml:3:32: cluster.nats.routes: unknown key "routes"`},
		{"cluster:\n  name: lab\n  colour: red\n", `a.yaml:3:3: cluster.colour: unknown key "colour"`},
		{"cluster: [lab]\n", `a.yaml:1:10: cluster: `},
	} {
		_, err := Parse("a.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		require.Contains(t, err.Error(), tc.want, tc.yaml)
	}
}

// Credentials never reach an error, whatever is wrong and wherever.
func TestClusterErrorsKeepSecrets(t *testing.T) {
	stateDir(t)
	const pw, tok, user = "s3cretpw", "t0kenvalue", "natsuser"
	for _, y := range []string{
		"cluster: {name: lab, nats: {urls: [\"nats://" + user + ":" + pw + "@h\"]}}\n",
		"cluster: {name: lab, nats: {urls: [\"ftp://" + user + ":" + pw + "@h:1\"]}}\n",
		"cluster: {name: lab, nats: {urls: [\"nats://" + user + ":" + pw + "@h:1\", \"nats://" + user + ":" + pw + "@h:1\"]}}\n",
		"cluster: {name: lab, nats: {urls: [\"nats://h:1\"], password: " + pw + "}}\n",
		"cluster: {name: lab, nats: {urls: [\"nats://h:1\"], user: " + user + ", token: " + tok + "}}\n",
		"cluster: {name: lab, nats: {urls: [\"nats://h:1\"], user: u, password: [" + pw + "]}}\n",
		"cluster: {name: lab, nats: {urls: [\"nats://h:1\"], user: u, password: {" + pw + ": 1}}}\n",
		"cluster: {name: lab, embedded: {routes: [\"nats://" + user + ":" + pw + "@:1\"]}}\n",
	} {
		_, err := Parse("a.yaml", []byte(y))
		require.Error(t, err, y)
		for _, s := range []string{pw, tok, user} {
			require.NotContains(t, err.Error(), s, y)
		}
	}
}

func TestClusterSecretsAndRedactor(t *testing.T) {
	c := &Cluster{
		NATS:     &ClusterNATS{URLs: []string{"nats://ua:pa55@h:1", "nats://h:2"}, User: "pbuser", Password: "pbpass", Token: "pbtoken"},
		Embedded: &ClusterEmbedded{Routes: []string{"nats://ru:rp55@h:3"}},
	}
	require.ElementsMatch(t, []string{"pbuser", "pbpass", "pbtoken", "ua", "pa55", "ru", "rp55"}, c.Secrets())
	got := c.Redactor().Redact("nats: auth failed for pbuser (pbpass, pbtoken) at nats://ua:pa55@h:1")
	for _, s := range []string{"pbuser", "pbpass", "pbtoken", "pa55"} {
		require.NotContains(t, got, s)
	}
	require.True(t, strings.Contains(got, "@h:1"), got)
	var none *Cluster
	require.Nil(t, none.Secrets())
	require.Equal(t, "plain", none.Redactor().Redact("plain"))
}
