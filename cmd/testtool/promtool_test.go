package testtool

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPromtoolProblems(t *testing.T) {
	clean := []byte("# HELP a_total Things.\n# TYPE a_total counter\na_total 1\n")
	require.Empty(t, PromtoolProblems(t, clean))
	RequirePromtoolClean(t, clean)

	lint := []byte("# HELP a Things.\n# TYPE a counter\na 1\n")
	require.Equal(t, []string{`a counter metrics should have "_total" suffix`}, PromtoolProblems(t, lint))

	lines, ok := PromtoolProblemsOf(t, []byte("{not a metric\n"))
	require.False(t, ok, "promtool cannot parse it")
	require.NotEmpty(t, lines)
}
