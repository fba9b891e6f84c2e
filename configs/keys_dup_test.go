package configs

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every way of giving a key twice is refused at the second key's text,
// naming the key and both positions as line:col (issue 14: an explicit
// key was named "?", the first position written "[1:1]").
func TestDuplicateKeysNamedWithBothPositions(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"plain", "server:\n  listen: a\n  listen: b\n",
			`d.yaml:3:3: server.listen: mapping key "listen" already defined at 2:3`},
		{"quoted", "server:\n  listen: a\n  \"listen\": b\n",
			`d.yaml:3:3: server.listen: mapping key "listen" already defined at 2:3`},
		{"single quoted first", "'server': {}\nserver: {}\n",
			`d.yaml:2:1: server: mapping key "server" already defined at 1:1`},
		{"explicit key", "server: {listen: a}\n\n? server\n: {listen: b}\n",
			`d.yaml:3:3: server: mapping key "server" already defined at 1:1`},
		{"flow", "server: {listen: a, listen: b}\n",
			`d.yaml:1:21: server.listen: mapping key "listen" already defined at 1:10`},
		{"in a list", "sources:\n  - name: a\n    type: host\n    name: b\n",
			`d.yaml:4:5: sources[0].name: mapping key "name" already defined at 2:5`},
		{"in an anchored mapping used through an alias", "x-base: &b {type: host, type: host}\nsources:\n  - *b\n",
			`d.yaml:1:25: x-base.type: mapping key "type" already defined at 1:13`},
		{"two merge keys", "x-a: &a {type: host}\nx-b: &b {interval: 1s}\nsources:\n  - <<: *a\n    <<: *b\n    name: h\n",
			`d.yaml:5:5: sources[0].<<: mapping key "<<" already defined at 4:5`},
		{"CRLF", "server:\r\n  # note\r\n  listen: a\r\n  listen: b\r\n",
			`d.yaml:4:3: server.listen: mapping key "listen" already defined at 3:3`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("d.yaml", []byte(c.yaml))
			var got []string // the duplicate, and what else the file breaks
			for _, e := range Errors(err) {
				got = append(got, e.Error())
			}
			require.Contains(t, got, c.want)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

// A duplicate key does not hide the file's other errors (it did: a file
// with its admin_token twice said only that, not its source's bad url and
// interval).
func TestDuplicateKeyDoesNotHideOtherErrors(t *testing.T) {
	_, err := Parse("d.yaml", []byte("server:\n  auth: {admin_token: aaaaaaaaaaaaaaaa, admin_token: bbbbbbbbbbbbbbbb}\n"+
		"sources:\n  - {name: j, type: json, url: \"ftp://x\", interval: 1ms, fields: [{metric: m, path: a}]}\n"))
	var got []string
	for _, e := range Errors(err) {
		got = append(got, fmt.Sprintf("%d:%d %s", e.Line, e.Col, e.Path))
	}
	for _, want := range []string{"2:41 server.auth.admin_token", "4:32 sources[0].url", "4:53 sources[0].interval"} {
		require.Contains(t, got, want, "%v", err)
	}
	require.NotContains(t, err.Error(), "aaaaaaaaaaaaaaaa")
	require.NotContains(t, err.Error(), "bbbbbbbbbbbbbbbb")
}

// A key given again over one merged in is an override, not a duplicate.
func TestDuplicateKeysAllowOverridingAMergedKey(t *testing.T) {
	cfg, err := Parse("m.yaml", []byte("sources:\n  - &b {name: a, type: simulated, interval: 1s, series: [{metric: m}]}\n  - <<: *b\n    name: s\n    interval: 2s\n"))
	require.NoError(t, err)
	require.Len(t, cfg.Sources, 2)
	require.Equal(t, "s", cfg.Sources[1].Name)
	require.Equal(t, 2*time.Second, time.Duration(cfg.Sources[1].Interval))
}
