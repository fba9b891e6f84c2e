package dashboard

import (
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"
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
	req, err := http.NewRequest("GET", f.base+"/healthz", nil)
	require.NoError(t, err)
	req.Header.Set("X-Big", string(big))
	resp, err := f.http.Do(req)
	if err != nil {
		// The server answers 431 and closes as soon as the headers pass
		// its buffer; a client still writing the rest may see the closed
		// connection (a broken pipe, a reset) before the answer. Either
		// way the request was refused, and counted as such.
		require.ErrorContains(t, err, "connection")
	} else {
		resp.Body.Close()
		require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	}
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(f.srv.metrics.malformed.WithLabelValues(malformedHeaderSize)) == 1
	}, 5*time.Second, 5*time.Millisecond, "refused as too large, once")
}

// TestStaticValidators checks the embedded files as served: a strong ETag
// and a Last-Modified on every answer, 304 without a body for a client
// whose copy is current, and HEAD with the headers of GET.
func TestStaticValidators(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, p := range []string{"/", "/js/main.js", "/vendor/uPlot.iife.min.js"} {
		code, h, body := f.httpDo("GET", p, nil, nil)
		require.Equal(t, http.StatusOK, code, p)
		require.NotEmpty(t, body, p)
		etag := h.Get("ETag")
		require.Regexp(t, `^"[A-Za-z0-9_-]{22}"$`, etag, p)
		lastMod, err := http.ParseTime(h.Get("Last-Modified"))
		require.NoError(t, err, p)

		code, h304, body := f.httpDo("GET", p, nil, http.Header{"If-None-Match": {etag}})
		require.Equal(t, http.StatusNotModified, code, p)
		require.Empty(t, body, p)
		require.Equal(t, etag, h304.Get("ETag"), p)
		require.Equal(t, h.Get("Cache-Control"), h304.Get("Cache-Control"), p)
		require.Equal(t, "DENY", h304.Get("X-Frame-Options"), p)

		code, _, _ = f.httpDo("GET", p, nil, http.Header{"If-Modified-Since": {lastMod.Format(http.TimeFormat)}})
		require.Equal(t, http.StatusNotModified, code, p)

		code, hh, body := f.httpDo("HEAD", p, nil, nil)
		require.Equal(t, http.StatusOK, code, p)
		require.Empty(t, body, p)
		require.Equal(t, etag, hh.Get("ETag"), p)
		require.Equal(t, h.Get("Content-Type"), hh.Get("Content-Type"), p)
		require.Equal(t, h.Get("Content-Length"), hh.Get("Content-Length"), p)

		code, _, _ = f.httpDo("HEAD", p, nil, http.Header{"If-None-Match": {etag}})
		require.Equal(t, http.StatusNotModified, code, p)
	}
	_, app, _ := f.httpDo("GET", "/js/main.js", nil, nil)
	require.Equal(t, appCacheControl, app.Get("Cache-Control"))
	_, vendor, _ := f.httpDo("GET", "/vendor/uPlot.iife.min.js", nil, nil)
	require.Equal(t, vendorCacheControl, vendor.Get("Cache-Control"))
}

// TestStaticViewerGuardFirst: a client without the viewer token learns
// nothing from a conditional request, not even that its tag is current.
func TestStaticViewerGuardFirst(t *testing.T) {
	f := newFixture(t, fixtureOptions{dash: func(o *Options) { o.ViewerToken = "v13wer" }})
	code, _, _ := f.httpDo("GET", "/js/main.js", nil, http.Header{"If-None-Match": {"*"}})
	require.Equal(t, http.StatusUnauthorized, code)
}

// assetApp serves fsys as staticRoutes does, for tests of one build of the
// files against another.
func assetApp(t *testing.T, fsys fs.FS, started time.Time) *fiber.App {
	t.Helper()
	assets, err := loadAssets(fsys, started)
	require.NoError(t, err)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	for p, a := range assets {
		app.Get("/"+p, a.serve)
	}
	return app
}

func assetGet(t *testing.T, app *fiber.App, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// TestStaticNewBuild: a browser holding the files of one binary gets the
// new content from the next, by ETag and by date, while an unchanged file
// keeps its tag across the two.
func TestStaticNewBuild(t *testing.T) {
	t1 := time.Date(2026, 11, 1, 10, 0, 0, 500_000_000, time.UTC)
	t2 := t1.Add(time.Hour)
	old := assetApp(t, fstest.MapFS{
		"js/app.js":   {Data: []byte("export const v = 1;")},
		"favicon.svg": {Data: []byte("<svg/>")},
		"embed.go":    {Data: []byte("package static")},
	}, t1)
	next := assetApp(t, fstest.MapFS{
		"js/app.js":   {Data: []byte("export const v = 2;")},
		"favicon.svg": {Data: []byte("<svg/>")},
	}, t2)

	resp, body := assetGet(t, old, "GET", "/js/app.js", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "export const v = 1;", body)
	require.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "Sun, 01 Nov 2026 10:00:00 GMT", resp.Header.Get("Last-Modified"), "whole seconds")
	etag, lastMod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")

	resp, body = assetGet(t, next, "GET", "/js/app.js", http.Header{"If-None-Match": {etag}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "export const v = 2;", body)
	require.NotEqual(t, etag, resp.Header.Get("ETag"))

	resp, body = assetGet(t, next, "GET", "/js/app.js", http.Header{"If-Modified-Since": {lastMod}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "export const v = 2;", body)

	// Same bytes, same tag, whatever the process: a restart costs a 304.
	resp, _ = assetGet(t, old, "GET", "/favicon.svg", nil)
	svgTag := resp.Header.Get("ETag")
	resp, body = assetGet(t, next, "GET", "/favicon.svg", http.Header{
		"If-None-Match":     {svgTag},
		"If-Modified-Since": {lastMod}, // older than next's start: If-None-Match decides
	})
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
	require.Empty(t, body)
	require.Empty(t, resp.Header.Get("Content-Type"))

	resp, _ = assetGet(t, old, "GET", "/embed.go", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestStaticConditionalHeaders(t *testing.T) {
	started := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	app := assetApp(t, fstest.MapFS{"a.css": {Data: []byte("a{}")}}, started)
	resp, _ := assetGet(t, app, "GET", "/a.css", nil)
	etag := resp.Header.Get("ETag")
	require.Equal(t, "text/css; charset=utf-8", resp.Header.Get("Content-Type"))

	for _, tc := range []struct {
		name   string
		header http.Header
		want   int
	}{
		{"weak form of our tag", http.Header{"If-None-Match": {"W/" + etag}}, http.StatusNotModified},
		{"our tag in a list", http.Header{"If-None-Match": {`"x", ` + etag + ` ,"y"`}}, http.StatusNotModified},
		{"any", http.Header{"If-None-Match": {"*"}}, http.StatusNotModified},
		{"another tag", http.Header{"If-None-Match": {`"x"`}}, http.StatusOK},
		{"unquoted tag", http.Header{"If-None-Match": {etag[1 : len(etag)-1]}}, http.StatusOK},
		{"another tag wins over a current date", http.Header{
			"If-None-Match":     {`"x"`},
			"If-Modified-Since": {started.Format(http.TimeFormat)},
		}, http.StatusOK},
		{"date of the start", http.Header{"If-Modified-Since": {started.Format(http.TimeFormat)}}, http.StatusNotModified},
		{"later date", http.Header{"If-Modified-Since": {started.Add(time.Minute).Format(http.TimeFormat)}}, http.StatusNotModified},
		{"earlier date", http.Header{"If-Modified-Since": {started.Add(-time.Second).Format(http.TimeFormat)}}, http.StatusOK},
		{"garbage date", http.Header{"If-Modified-Since": {"yesterday"}}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := assetGet(t, app, "GET", "/a.css", tc.header)
			require.Equal(t, tc.want, resp.StatusCode)
			require.Equal(t, etag, resp.Header.Get("ETag"))
			if tc.want == http.StatusOK {
				require.Equal(t, "a{}", body)
			} else {
				require.Empty(t, body)
			}
		})
	}
}

// failingFS fails to read one file, as a corrupt build would.
type failingFS struct{ fstest.MapFS }

var errUnreadable = errors.New("unreadable")

func (f failingFS) Open(name string) (fs.File, error) {
	if name == "js/broken.js" {
		return nil, errUnreadable
	}
	return f.MapFS.Open(name)
}

func (f failingFS) ReadFile(name string) ([]byte, error) {
	if name == "js/broken.js" {
		return nil, errUnreadable
	}
	return f.MapFS.ReadFile(name)
}

func TestLoadAssetsError(t *testing.T) {
	_, err := loadAssets(failingFS{fstest.MapFS{
		"index.html":   {Data: []byte("<p>")},
		"js/broken.js": {Data: []byte("x")},
	}}, time.Now())
	require.ErrorIs(t, err, errUnreadable)
}

// readCountingFS counts the files read through it, and fails the read (not
// the open) of unreadable.js.
type readCountingFS struct {
	fstest.MapFS
	reads map[string]int
}

func (f readCountingFS) ReadFile(name string) ([]byte, error) {
	f.reads[name]++
	if name == "js/unreadable.js" {
		return nil, errUnreadable
	}
	return f.MapFS.ReadFile(name)
}

// TestAssetsReadOnFirstRequest: listing the files reads none of them (a
// server nobody opens in a browser holds no copy of the page), the first
// request reads its file once, later ones reuse it, and a file that cannot
// be read is a 500 for that file alone.
func TestAssetsReadOnFirstRequest(t *testing.T) {
	fsys := readCountingFS{fstest.MapFS{
		"index.html":       {Data: []byte("<p>page")},
		"js/app.js":        {Data: []byte("export {}")},
		"js/unreadable.js": {Data: []byte("x")},
	}, map[string]int{}}
	assets, err := loadAssets(fsys, time.Now())
	require.NoError(t, err)
	require.Len(t, assets, 3)
	require.Empty(t, fsys.reads, "nothing is read before it is asked for")

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	for p, a := range assets {
		app.Get("/"+p, a.serve)
	}
	resp, body := assetGet(t, app, http.MethodGet, "/index.html", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "<p>page", body)
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	resp, _ = assetGet(t, app, http.MethodGet, "/index.html", http.Header{"If-None-Match": {etag}})
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
	require.Equal(t, map[string]int{"index.html": 1}, fsys.reads)

	resp, _ = assetGet(t, app, http.MethodGet, "/js/unreadable.js", nil)
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	resp, body = assetGet(t, app, http.MethodGet, "/js/app.js", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "export {}", body)
}

// Every embedded file has the type Go's own table gives its extension (the
// page's table is ours, so that no system mime.types is read or obeyed).
func TestEmbeddedFilesHaveGosContentTypes(t *testing.T) {
	assets, err := loadAssets(static.Files, time.Now())
	require.NoError(t, err)
	for name, a := range assets {
		want := mime.TypeByExtension(path.Ext(name))
		if want == "" {
			want = fiber.MIMEOctetStream
		}
		require.Equal(t, want, a.contentType, name)
	}
	require.Equal(t, "text/javascript; charset=utf-8", assets["js/main.js"].contentType)
}
