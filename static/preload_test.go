package static

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// importRE finds a module's static imports and re-exports of siblings
// (import … from "./x.js", export … from "./x.js").
var importRE = regexp.MustCompile(`(?m)^(?:import|export)\s[^;]*?\sfrom\s+"\./([\w.-]+\.js)"`)

// preloadRE finds index.html's module preloads.
var preloadRE = regexp.MustCompile(`<link rel="modulepreload" href="/js/([\w.-]+\.js)">`)

// TestIndexPreloadsEveryModule: index.html preloads exactly the modules
// main.js imports, directly or not, so that the browser fetches them all
// at once instead of one level of imports after another. A module added
// to the graph and not to the list would only load later; one listed and
// no longer used would be fetched for nothing (or fail the page's console
// check when deleted).
func TestIndexPreloadsEveryModule(t *testing.T) {
	var graph []string
	queue := []string{"main.js"}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		if slices.Contains(graph, m) {
			continue
		}
		graph = append(graph, m)
		src, err := fs.ReadFile(Files, "js/"+m)
		require.NoError(t, err, "imported but not embedded")
		for _, im := range importRE.FindAllSubmatch(src, -1) {
			queue = append(queue, string(im[1]))
		}
	}
	require.Greater(t, len(graph), 10, "the import graph was read")

	index, err := fs.ReadFile(Files, "index.html")
	require.NoError(t, err)
	var preloaded []string
	for _, m := range preloadRE.FindAllSubmatch(index, -1) {
		preloaded = append(preloaded, string(m[1]))
	}
	require.NotContains(t, preloaded, "main.js", "the page's own script tag loads it")
	require.ElementsMatch(t, graph[1:], preloaded, "index.html's modulepreload links and main.js's imports")
}
