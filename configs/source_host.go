package configs

import "time"

// TypeHost is the type of the source that reads the machine pulseboard
// runs on.
const TypeHost = "host"

func init() {
	RegisterSourceType(SourceType{Name: TypeHost, Interval: Duration(time.Second), New: func() SourceSpec { return NewHostSpec() }})
}

// HostSpec is the config of a host source: it has no keys of its own.
type HostSpec struct{}

// NewHostSpec returns a host source's config.
func NewHostSpec() *HostSpec { return &HostSpec{} }

// Validate has nothing to check.
func (*HostSpec) Validate() error { return nil }
