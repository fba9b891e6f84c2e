package dashboard

import (
	"io/fs"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/static"
)

func TestPageAndSecurityHeaders(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	code, h, body := f.httpDo("GET", "/", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, h.Get("Content-Type"), "text/html")
	for _, sh := range securityHeaders {
		require.Equal(t, sh[1], h.Get(sh[0]), sh[0])
	}
	require.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self';")

	// The policy forbids inline code, so the page must have none: every
	// script is an external same-origin file and there is no inline style
	// or event handler.
	page := string(body)
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1)
	require.NotEmpty(t, scripts)
	for _, s := range scripts {
		require.Regexp(t, `src="/[^/]`, s, "external same-origin script")
	}
	require.NotRegexp(t, `<script[^>]*>[^<]+</script>`, page, "inline script")
	require.NotRegexp(t, `(?i)<style|\sstyle=|\son[a-z]+=`, page, "inline style or handler")

	for _, s := range scripts {
		src := regexp.MustCompile(`src="([^"]+)"`).FindStringSubmatch(s)[1]
		code, h, _ = f.httpDo("GET", src, nil, nil)
		require.Equal(t, http.StatusOK, code, src)
		require.Contains(t, h.Get("Content-Type"), "javascript", src)
		require.Equal(t, "DENY", h.Get("X-Frame-Options"), src)
	}

	// Every embedded file is served at its path, and nothing else.
	n := 0
	require.NoError(t, fs.WalkDir(static.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		code, _, _ := f.httpDo("GET", "/"+p, nil, nil)
		require.Equal(t, http.StatusOK, code, p)
		return nil
	}))
	require.Positive(t, n)
	code, _, _ = f.httpDo("GET", "/embed.go", nil, nil)
	require.Equal(t, http.StatusNotFound, code)
	code, _, _ = f.httpDo("POST", "/", nil, nil)
	require.Equal(t, http.StatusMethodNotAllowed, code)
}

func TestRequestHeaderLimit(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	big := make([]byte, 16<<10)
	for i := range big {
		big[i] = 'a'
	}
	code, _, _ := f.httpDo("GET", "/healthz", nil, http.Header{"X-Big": {string(big)}})
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, code)
}
