// Package static holds the browser app, embedded into the binary so that
// pulseboard is one file to copy.
package static

import "embed"

// Files is the app: index.html at the root, the scripts beside it and the
// vendored chart library under vendor/. The dashboard serves every file at
// its path and index.html at "/".
//
//go:embed index.html app.js vendor
var Files embed.FS
