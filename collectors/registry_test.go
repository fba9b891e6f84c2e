package collectors

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

func TestRegistryHoldsExactlyTheConfiguredTypes(t *testing.T) {
	require.Equal(t, configs.SourceTypes(), Types())
}

func TestRegisterTwicePanics(t *testing.T) {
	require.PanicsWithValue(t, `collectors: source type "simulated" registered twice`, func() {
		Register(configs.TypeSimulated, newSimSource)
	})
	require.Panics(t, func() { Register("", newSimSource) })
	require.Panics(t, func() { Register("x", nil) })
	require.Equal(t, len(configs.SourceTypes()), len(Types()), "a refused registration must leave the registry as it was")
}

func TestNewSourceUnknownType(t *testing.T) {
	_, err := NewSource(configs.Source{Name: "x", Type: "carrier_pigeon"}, Env{})
	require.ErrorIs(t, err, ErrUnknownType)
	require.ErrorContains(t, err, `source "x"`)
	require.ErrorContains(t, err, "carrier_pigeon")
}

func TestNewSourceBadConfigNamesTheSource(t *testing.T) {
	cfg := urlSource(configs.TypeJSON, "http://127.0.0.1/")
	cfg.Name = "j"
	jsonSpec(cfg).Fields = nil
	client(cfg).MaxBodyBytes = 0
	_, err := NewSource(cfg, Env{})
	require.ErrorIs(t, err, ErrBadConfig)
	require.EqualError(t, err, `source "j": bad source config: max_body_bytes: must be positive, got 0; fields: a json source needs at least one field (metric name: JSON path)`,
		"every problem, on one line")
}

// A factory handed a spec of another type (NewSource validates, so only a
// caller that skips it can) refuses it rather than panicking.
func TestFactoryRefusesAWrongSpec(t *testing.T) {
	cfg := urlSource(configs.TypeHTTP, "http://127.0.0.1/")
	for typ, f := range map[string]Factory{
		configs.TypeHTTP: newHTTPProbe, configs.TypePrometheus: newPromSource, configs.TypeJSON: newJSONSource, configs.TypeSimulated: newSimSource,
	} {
		cfg.Type, cfg.Spec = typ, configs.NewHostSpec()
		_, err := f(cfg, Env{})
		require.ErrorIs(t, err, ErrBadConfig, typ)
		require.ErrorContains(t, err, "*configs.HostSpec", typ)
	}
}

// Every type builds from its example in configs/examples, which configs'
// tests hold to exist and be valid: a new type needs no line here.
func TestEverySourceTypeBuildsFromItsExample(t *testing.T) {
	for _, typ := range configs.SourceTypes() {
		c, err := configs.Load(filepath.Join("..", "configs", "examples", typ+".yaml"))
		require.NoError(t, err, typ)
		for _, cfg := range c.Sources {
			src, err := NewSource(cfg, Env{})
			require.NoError(t, err, typ)
			d, ok := src.(Describer)
			require.True(t, ok, "%s describes itself", typ)
			require.NotEmpty(t, d.Describe())
			closeSource(src, Env{}.logger(), nil)
		}
	}
}

func TestNewSourceWithoutSpec(t *testing.T) {
	cfg := urlSource(configs.TypeHTTP, "http://127.0.0.1/")
	cfg.Spec = nil
	_, err := NewSource(cfg, Env{})
	require.ErrorIs(t, err, ErrBadConfig)
	require.ErrorContains(t, err, "no config for type http")
}
