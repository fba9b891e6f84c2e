package configs

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// specOf returns a source's spec as a T, failing the test when it is not one.
func specOf[T SourceSpec](t *testing.T, s Source) T {
	t.Helper()
	spec, ok := s.Spec.(T)
	require.True(t, ok, "source %s: spec is a %T", s.Name, s.Spec)
	return spec
}
