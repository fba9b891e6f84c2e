package dashboard

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/pulseboard/pulseboard/static"
)

// Cache policies. Every file is private: with a viewer token the page sits
// behind a cookie, and a shared cache must not hand it to others.
const (
	// The app's own files revalidate on every use: they change with the
	// binary, and a stale script against a new protocol is worse than a
	// request. With the ETag, that request is a 304 without a body.
	appCacheControl = "private, no-cache"
	// The vendored chart library changes only when its pinned version is
	// bumped (.ci/check-vendor), and a patch release of it is a drop-in; an
	// hour of reuse without asking spares a request per page load, and the
	// ETag makes the check after that a 304.
	vendorCacheControl = "private, max-age=3600"
)

// embeddedAssets are the app's files, listed once per process: the first
// server to build its routes pays for it, every later one (a restart by
// the supervisor) reuses them. Their Last-Modified is that moment.
var embeddedAssets = sync.OnceValues(func() (map[string]*asset, error) {
	return loadAssets(static.Files, time.Now())
})

// staticRoutes registers one GET (and HEAD) route per embedded file, and
// "/" for index.html. Registering files one by one (rather than a
// catch-all) keeps unknown paths a plain 404 and the route label bounded.
// It panics if the embedded files cannot be listed: that is a broken build,
// not a condition to serve through.
func (s *Server) staticRoutes(app *fiber.App, guard fiber.Handler) {
	assets, err := embeddedAssets()
	if err != nil {
		panic(fmt.Sprintf("dashboard: embedded static files: %v", err))
	}
	for p, a := range assets {
		s.get(app, "/"+p, guard, a.serve)
		if p == "index.html" {
			s.get(app, "/", guard, a.serve)
		}
	}
}

// asset is one file ready to serve. Its body and the validators drawn from
// it are read on the first request for it, not at start: a pulseboard that
// nobody opens in a browser (scraped by Prometheus, or behind a proxy that
// caches) never copies the page's megabyte and more onto its heap, nor
// maps those pages of the binary (issue 13's RSS).
type asset struct {
	fsys         fs.FS
	name         string
	contentType  string
	cacheControl string
	modified     time.Time // whole seconds, as HTTP dates carry
	lastModified string    // modified as an HTTP date

	once sync.Once
	body []byte
	etag string // strong, quoted: a hash of body
	err  error  // reading the file failed; served as 500
}

// loadAssets lists every file of fsys except Go sources, keyed by its path
// (no leading slash), and checks that each can be opened; the contents are
// read when first asked for (asset.load). modified stands in for the
// files' modification time: embedded files have none (their ModTime is
// zero), and their content can only change with the binary, that is with
// a new process, so the start of the process is a time at or after the
// content's last change. That is what Last-Modified must be for
// If-Modified-Since to be safe; a restart with the same files costs a full
// answer only to clients that send no If-None-Match (browsers send both,
// and the ETag then decides).
func loadAssets(fsys fs.FS, modified time.Time) (map[string]*asset, error) {
	modified = modified.UTC().Truncate(time.Second)
	assets := make(map[string]*asset)
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) == ".go" {
			return err
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		assets[p] = newAsset(fsys, p, modified)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return assets, nil
}

// contentTypes are the types of the files the page is made of, by
// extension, as Go's own table gives them. A table of our own rather than
// mime.TypeByExtension: that one reads the system's mime.types on first
// use into maps that stay for the process's life (about 0.8 MB of heap,
// a fortieth of what issue 13 allows the whole process), and a system
// table may say otherwise (a ".js" served as text/plain is a module the
// browser refuses to run).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".json": "application/json",
	".map":  "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/vnd.microsoft.icon",
	".txt":  "text/plain; charset=utf-8",
}

func newAsset(fsys fs.FS, name string, modified time.Time) *asset {
	ctype := contentTypes[path.Ext(name)]
	if ctype == "" {
		ctype = fiber.MIMEOctetStream
	}
	cc := appCacheControl
	if strings.HasPrefix(name, "vendor/") {
		cc = vendorCacheControl
	}
	return &asset{
		fsys:         fsys,
		name:         name,
		contentType:  ctype,
		cacheControl: cc,
		modified:     modified,
		lastModified: modified.Format(http.TimeFormat),
	}
}

// load reads the file and computes its ETag, once; every request's
// goroutine may call it, the first one reads and the others wait for it.
func (a *asset) load() error {
	a.once.Do(func() {
		a.body, a.err = fs.ReadFile(a.fsys, a.name)
		if a.err != nil {
			return
		}
		// 128 bits of SHA-256 name the content well beyond any chance of
		// two versions of a file sharing a tag.
		sum := sha256.Sum256(a.body)
		a.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	})
	return a.err
}

// serve answers GET and HEAD: 304 Not Modified when the client's copy is
// current (RFC 9110 §13.1: If-None-Match decides when present, otherwise
// If-Modified-Since), else the file. Both answers carry the validators and
// the cache policy, so a 304 refreshes what the client holds.
func (a *asset) serve(c *fiber.Ctx) error {
	if err := a.load(); err != nil {
		return fiber.NewError(fiber.StatusInternalServerError, "static file "+a.name+" unreadable")
	}
	c.Set(fiber.HeaderETag, a.etag)
	c.Set(fiber.HeaderLastModified, a.lastModified)
	c.Set(fiber.HeaderCacheControl, a.cacheControl)
	if a.notModified(c) {
		c.Response().Header.SetNoDefaultContentType(true)
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	return c.Send(a.body)
}

func (a *asset) notModified(c *fiber.Ctx) bool {
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		return etagListMatches(inm, a.etag)
	}
	ims, err := http.ParseTime(c.Get(fiber.HeaderIfModifiedSince))
	return err == nil && !a.modified.After(ims)
}

// etagListMatches applies If-None-Match's weak comparison (RFC 9110
// §8.8.3.2): "*" or any listed tag, with or without W/, equal to etag.
// Tags are split on commas, which ours never contain; a client tag that
// does only fails to match, which costs a full answer, never a wrong one.
func etagListMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}
