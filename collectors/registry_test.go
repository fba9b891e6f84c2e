package collectors

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/configs"
)

func TestRegistryHoldsExactlyTheConfiguredTypes(t *testing.T) {
	want := slices.Clone(configs.SourceTypes)
	slices.Sort(want)
	require.Equal(t, want, Types())
}

func TestRegisterTwicePanics(t *testing.T) {
	require.PanicsWithValue(t, `collectors: source type "simulated" registered twice`, func() {
		Register(configs.TypeSimulated, newSimSource)
	})
	require.Panics(t, func() { Register("", newSimSource) })
	require.Panics(t, func() { Register("x", nil) })
	require.Equal(t, len(configs.SourceTypes), len(Types()), "a refused registration must leave the registry as it was")
}

func TestNewSourceUnknownType(t *testing.T) {
	_, err := NewSource(configs.Source{Name: "x", Type: "carrier_pigeon"}, Env{})
	require.ErrorIs(t, err, ErrUnknownType)
	require.ErrorContains(t, err, `source "x"`)
	require.ErrorContains(t, err, "carrier_pigeon")
}

func TestNewSourceBadConfigNamesTheSource(t *testing.T) {
	_, err := NewSource(configs.Source{Name: "j", Type: configs.TypeJSON, URL: "http://127.0.0.1/"}, Env{})
	require.ErrorIs(t, err, ErrBadConfig)
	require.ErrorContains(t, err, `source "j"`)
}

func TestEverySourceTypeBuildsFromAMinimalConfig(t *testing.T) {
	cfgs := map[string]configs.Source{
		configs.TypeSimulated:  {Series: []configs.SimSeries{{Metric: "m", Shape: "sine", Max: 1}}},
		configs.TypeHost:       {},
		configs.TypeHTTP:       {URL: "http://127.0.0.1:1/"},
		configs.TypePrometheus: {URL: "http://127.0.0.1:1/metrics"},
		configs.TypeJSON:       {URL: "http://127.0.0.1:1/", Fields: map[string]string{"m": "a"}},
	}
	for _, typ := range configs.SourceTypes {
		cfg := cfgs[typ]
		cfg.Name, cfg.Type = typ, typ
		src, err := NewSource(cfg, Env{})
		require.NoError(t, err, typ)
		d, ok := src.(Describer)
		require.True(t, ok, "%s describes itself", typ)
		require.NotEmpty(t, d.Describe())
		closeSource(src, Env{}.logger())
	}
}
