package configs

import (
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Cluster is the `cluster:` block: this pulseboard is one node of a
// cluster of pulseboards joined over NATS (docs/cluster.md). A file
// without it (Config.Cluster nil) runs a single node, as before.
//
// Exactly one of Embedded and NATS says how the node reaches NATS; with
// neither, the node runs an embedded NATS on its default ports.
type Cluster struct {
	// Name names the cluster: its subjects live under pulseboard.<name>.
	// Required; letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// Node names this node among the others (a label value and a subject
	// token). Left out: the host name, its dots turned into '-'.
	Node string `yaml:"node"`
	// Embedded runs nats-server inside this process, with routes to the
	// other nodes' servers.
	Embedded *ClusterEmbedded `yaml:"embedded"`
	// NATS joins an existing NATS deployment.
	NATS *ClusterNATS `yaml:"nats"`
	// Export says which series /metrics exports: ExportOwn (this node's
	// own, so that a Prometheus scraping every node sees each series
	// once) or ExportAll (the remote nodes' too).
	Export string `yaml:"export"`
}

// ClusterEmbedded is `cluster.embedded`: the in-process NATS server.
type ClusterEmbedded struct {
	// Listen is the NATS client address, host:port.
	Listen string `yaml:"listen"`
	// ClusterListen is the route address the other nodes' servers dial.
	ClusterListen string `yaml:"cluster_listen"`
	// Routes are the other nodes' route URLs, nats://host:port. Routes
	// gossip: each node needs routes to some of the others, not all.
	Routes []string `yaml:"routes"`
}

// ClusterNATS is `cluster.nats`: an existing NATS to join. The user,
// password and token are secrets: Secrets lists them for every Redactor
// that prints an error of the cluster. TLS, when set, is required of the
// server (cluster_tls.go).
type ClusterNATS struct {
	URLs     []string    `yaml:"urls"`
	User     string      `yaml:"user"`
	Password string      `yaml:"password"`
	Token    string      `yaml:"token"`
	TLS      *ClusterTLS `yaml:"tls"`
}

// The values of cluster.export.
const (
	ExportOwn = "own"
	ExportAll = "all"
)

// Defaults of the embedded NATS server: loopback only, NATS's usual ports.
const (
	DefaultClusterListen = "127.0.0.1:4222"
	DefaultRouteListen   = "127.0.0.1:6222"
)

// subjectTokenRE is what a cluster or node name may be: one NATS subject
// token that needs no escaping anywhere (a label value, a URL path).
var subjectTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// DefaultNodeName is the node name a cluster block without `node` takes:
// the host name, dots turned into '-' (a dot separates subject tokens).
// "" when the host has no name.
func DefaultNodeName() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return strings.ReplaceAll(h, ".", "-")
}

// applyDefaults fills the node name, the export mode and, when neither
// embedded nor nats is given, an embedded server; then the embedded
// server's addresses.
func (c *Cluster) applyDefaults() {
	if c.Node == "" {
		c.Node = DefaultNodeName()
	}
	if c.Export == "" {
		c.Export = ExportOwn
	}
	if c.Embedded == nil && c.NATS == nil {
		c.Embedded = &ClusterEmbedded{}
	}
	if e := c.Embedded; e != nil {
		if e.Listen == "" {
			e.Listen = DefaultClusterListen
		}
		if e.ClusterListen == "" {
			e.ClusterListen = DefaultRouteListen
		}
	}
}

// Validate checks the names, the export mode, that one way to NATS is
// given, and its addresses and credentials. A URL is quoted in an error
// only redacted (RedactURL); a password or a token never is.
func (c Cluster) Validate() error {
	var p problems
	switch {
	case c.Name == "":
		p.addf("name", "is required: the cluster's name, shared by every node (subjects live under pulseboard.<name>.)")
	case !subjectTokenRE.MatchString(c.Name):
		p.addf("name", "invalid cluster name %q: want up to 64 letters, digits, '-' or '_'", c.Name)
	}
	switch {
	case c.Node == "":
		p.addf("node", "this host has no name to take as the node's: set cluster.node")
	case !subjectTokenRE.MatchString(c.Node):
		p.addf("node", "invalid node name %q: want up to 64 letters, digits, '-' or '_' (no dots)", c.Node)
	}
	if c.Export != ExportOwn && c.Export != ExportAll {
		p.addf("export", "must be %q (this node's series on /metrics) or %q (every node's), got %q", ExportOwn, ExportAll, c.Export)
	}
	if c.Embedded != nil && c.NATS != nil {
		p.addf("nats", "set one of cluster.embedded (run NATS in this process) and cluster.nats (join an existing NATS), not both")
	}
	if e := c.Embedded; e != nil {
		checkListen(&p, "embedded.listen", e.Listen)
		checkListen(&p, "embedded.cluster_listen", e.ClusterListen)
		if _, port, err := net.SplitHostPort(e.Listen); err == nil && port != "0" && e.Listen == e.ClusterListen {
			p.addf("embedded.cluster_listen", "is the same address as embedded.listen: the client and route ports must differ")
		}
		checkNATSURLs(&p, "embedded.routes", e.Routes)
	}
	if n := c.NATS; n != nil {
		if len(n.URLs) == 0 {
			p.addf("nats.urls", "at least one URL is needed, like nats://10.0.0.5:4222")
		}
		checkNATSURLs(&p, "nats.urls", n.URLs)
		if n.Password != "" && n.User == "" {
			p.addf("nats.password", "is set without nats.user")
		}
		if n.Token != "" && n.User != "" {
			p.addf("nats.token", "set nats.user and nats.password, or nats.token, not both")
		}
		if n.TLS != nil {
			p.nest("nats.tls", n.TLS.Validate())
		}
	}
	return p.err()
}

// checkListen reports an address that is not host:port with a port from
// 0 (any free port) to 65535.
func checkListen(p *problems, path, addr string) {
	host, port, err := net.SplitHostPort(addr)
	switch {
	case err != nil || port == "":
		p.addf(path, "%q is not host:port, like 127.0.0.1:4222", addr)
	case !validPort(port):
		p.addf(path, "port %q of %q is not a number from 0 to 65535", port, addr)
	case host != "" && net.ParseIP(host) == nil && !validHostname(host):
		p.addf(path, "host %q of %q is neither an IP address nor a host name", host, addr)
	}
}

// checkNATSURLs reports every entry of a URL list that is not a NATS URL
// (nats, tls, ws or wss, with a host and a port), and duplicates.
func checkNATSURLs(p *problems, key string, urls []string) {
	for i, raw := range urls {
		path := index(key, i)
		u, err := url.Parse(raw)
		switch {
		case raw == "":
			p.addf(path, "is empty: want a URL like nats://127.0.0.1:6222")
		case err != nil:
			p.addf(path, "invalid URL %q: %v", RedactURL(raw), unwrapURLError(err))
		case !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme):
			p.addf(path, "URL %q: the scheme must be nats, tls, ws or wss", RedactURL(raw))
		case u.Hostname() == "" || u.Port() == "":
			p.addf(path, "URL %q: want host and port, like nats://127.0.0.1:6222", RedactURL(raw))
		case !validPort(u.Port()):
			p.addf(path, "URL %q: the port is not a number from 0 to 65535", RedactURL(raw))
		default:
			if first := slices.Index(urls, raw); first < i {
				p.addf(path, "duplicate URL (also %s[%d])", key, first)
			}
		}
	}
}

// Secrets returns what must never be printed of the cluster's config: the
// NATS password and token, and the user info of every URL (routes may
// carry one as well). The user name is a secret too: it is half of the
// credentials.
func (c *Cluster) Secrets() []string {
	if c == nil {
		return nil
	}
	var out, urls []string
	if n := c.NATS; n != nil {
		out = append(out, n.User, n.Password, n.Token)
		urls = n.URLs
	}
	if e := c.Embedded; e != nil {
		urls = append(slices.Clone(urls), e.Routes...)
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			continue
		}
		out = append(out, u.User.Username())
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// Redactor masks the cluster's secrets (Secrets) and every URL's user
// info in text: the cluster's errors and log lines.
func (c *Cluster) Redactor() *Redactor { return NewRedactor(c.Secrets()) }
