// Package static holds the browser app, embedded into the binary so that
// pulseboard is one file to copy.
package static

import "embed"

// Files is the app: index.html and favicon.svg at the root, the ES modules
// under js/, the stylesheet under css/ and the vendored chart library under
// vendor/. The dashboard serves every file at its path and index.html at
// "/". Tests (test/) and package.json, which only tell Node how to run
// those tests, are left out.
//
//go:embed index.html favicon.svg css js vendor
var Files embed.FS
