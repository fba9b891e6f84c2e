package configs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The error examples in REFERENCE.md are what loading the fixtures prints,
// so the reference cannot drift from the code.
func TestReferenceErrorExamples(t *testing.T) {
	doc, err := os.ReadFile("REFERENCE.md")
	require.NoError(t, err)
	example := regexp.MustCompile(`^([a-z_]+\.yaml):\d+:\d+: `)
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		m := example.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		_, err := Load(filepath.Join("testdata", m[1]))
		require.Error(t, err, m[1])
		var got []string
		for _, e := range Errors(err) {
			got = append(got, strings.TrimPrefix(e.Error(), "testdata/"))
		}
		require.Contains(t, got, line)
		checked++
	}
	require.Greater(t, checked, 30)
}
