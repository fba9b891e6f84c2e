package configs

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type clashSpec struct {
	Name string `yaml:"name"`
}

func (*clashSpec) Validate() error { return nil }

type urlAsIntSpec struct {
	URL int `yaml:"url"`
}

func (*urlAsIntSpec) Validate() error { return nil }

type untaggedSpec struct{ Value int }

func (*untaggedSpec) Validate() error { return nil }

type valueSpec struct{}

func (valueSpec) Validate() error { return nil }

// Registering a type wrongly is a programming error, caught at start.
func TestRegisterSourceTypePanics(t *testing.T) {
	second := Duration(1e9)
	for name, st := range map[string]SourceType{
		"no name":     {Interval: second, New: func() SourceSpec { return NewHostSpec() }},
		"no interval": {Name: "x", New: func() SourceSpec { return NewHostSpec() }},
		"no New":      {Name: "x", Interval: second},
		"twice":       {Name: TypeHTTP, Interval: second, New: func() SourceSpec { return NewHTTPSpec() }},
		"common key":  {Name: "x", Interval: second, New: func() SourceSpec { return &clashSpec{} }},
		"key type":    {Name: "x", Interval: second, New: func() SourceSpec { return &urlAsIntSpec{} }},
		"no yaml key": {Name: "x", Interval: second, New: func() SourceSpec { return &untaggedSpec{} }},
		"not pointer": {Name: "x", Interval: second, New: func() SourceSpec { return valueSpec{} }},
	} {
		require.Panics(t, func() { RegisterSourceType(st) }, name)
	}
	require.NotContains(t, SourceTypes(), "x", "a refused type is not registered")
}
