package configs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ftp://admin:s3cret@host/x?token=abc", "ftp://xxxxx:xxxxx@host/x?token=xxxxx"},
		{"http://admin@host:9100/metrics", "http://xxxxx@host:9100/metrics"},
		{"http://host/x?b=2&a=1", "http://host/x?b=xxxxx&a=xxxxx"},
		{"http://host/x?s3cret", "http://host/x?xxxxx"},
		{"http://host/x?a=1&&k", "http://host/x?a=xxxxx&&xxxxx"},
		{"http://host/x#s3cret", "http://host/x"},
		{"http://host:9100/metrics", "http://host:9100/metrics"},
		{"", ""},
		// Not parseable: masked by the text.
		{"http://a b:s3cret@[::1/?token=abc", "http://xxxxx:xxxxx@[::1/?token=xxxxx"},
		{"http://u:p?ss@host/x", "http://xxxxx:xxxxx@host/x"},
		{"http://u:pa/ss@host/x?t=abc#f", "http://xxxxx:xxxxx@host/x?t=xxxxx"},
		{"http://[::1:9100/metrics", "http://[::1:9100/metrics"},
		{"http://[::1:9100/metrics#s3cret", "http://[::1:9100/metrics"},
		{"%zz://u@h?abc", "%zz://xxxxx@h?xxxxx"},
	} {
		got := RedactURL(tc.in)
		require.Equal(t, tc.want, got, tc.in)
		for _, secret := range []string{"s3cret", "abc", "admin", "pa/ss", "p?ss"} {
			require.NotContains(t, got, secret, tc.in)
		}
	}
}

func TestRedactURLsIn(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no url here", "no url here"},
		{`GET http://admin:s3cret@h:9100/m?token=abc: refused`, `GET http://xxxxx:xxxxx@h:9100/m?token=xxxxx: refused`},
		{`alias "ftp://admin:s3cret@host/x?token=abc" not found`, `alias "ftp://xxxxx:xxxxx@host/x?token=xxxxx" not found`},
		{`two: http://a:s3cret@x/?abc, https://y/?k=abc.`, `two: http://xxxxx:xxxxx@x/?xxxxx, https://y/?k=xxxxx.`},
		{`already redacted http://xxxxx:xxxxx@h/?t=xxxxx`, `already redacted http://xxxxx:xxxxx@h/?t=xxxxx`},
	} {
		require.Equal(t, tc.want, RedactURLsIn(tc.in), tc.in)
	}
}

// TestConfigErrorsHideSecrets: whatever part of a config error quotes a
// URL (a validation message, a parser's message, a key), it is redacted.
func TestConfigErrorsHideSecrets(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"url: ftp://admin:s3cret@host/x?token=abc", `sources[0].url: URL "ftp://xxxxx:xxxxx@host/x?token=xxxxx": the scheme must be http or https`},
		{"url: *ftp://admin:s3cret@host/x?token=abc", `alias *ftp://xxxxx:xxxxx@host/x?token=xxxxx has no anchor`},
		{"ftp://admin:s3cret@host/x?token=abc: 1", `sources[0].ftp://xxxxx:xxxxx@host/x?token=xxxxx: unknown key "ftp://xxxxx:xxxxx@host/x?token=xxxxx"`},
		// A value too long to quote whole: the cut falls inside the URL.
		{"url: *ftp://admin:s3cret@" + strings.Repeat("h", 1000) + "/x?token=abc", `hhh/x?token=xxxxx before it`},
	} {
		_, err := Parse("s.yaml", []byte("sources:\n  - name: p\n    type: prometheus\n    "+tc.line+"\n"))
		require.Error(t, err)
		require.Contains(t, err.Error(), tc.want)
		for _, secret := range []string{"admin", "s3cret", "abc"} {
			require.NotContains(t, err.Error(), secret, tc.line)
		}
	}
}
