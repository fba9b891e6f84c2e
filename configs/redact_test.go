package configs

import (
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
