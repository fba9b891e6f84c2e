package collectors

import (
	"fmt"
	"slices"
	"sync"

	"github.com/pulseboard/pulseboard/configs"
)

// Factory builds a Source from its configuration. It validates what it
// needs and does no I/O: the first poll is where a source meets the world.
// Errors wrap ErrBadConfig.
type Factory func(cfg configs.Source, env Env) (Source, error)

// The registry is the package's only mutable package-level state. It is
// filled by init functions, one per source-type file; the lock is for tests
// that register a type of their own while collectors run.
var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a source type available under typeName. It is meant for
// init functions; registering a name twice, an empty name or a nil factory
// panics, since either is a programming error.
func Register(typeName string, f Factory) {
	if typeName == "" || f == nil {
		panic("collectors: Register needs a type name and a factory")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typeName]; dup {
		panic(fmt.Sprintf("collectors: source type %q registered twice", typeName))
	}
	registry[typeName] = f
}

// Types returns the registered source type names, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// NewSource builds a Source of cfg.Type. An unknown type is ErrUnknownType;
// a configuration the type refuses wraps ErrBadConfig.
func NewSource(cfg configs.Source, env Env) (Source, error) {
	registryMu.RLock()
	f, ok := registry[cfg.Type]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("source %q: %w %q", cfg.Name, ErrUnknownType, cfg.Type)
	}
	s, err := f(cfg, env)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", cfg.Name, err)
	}
	return s, nil
}

// badConfig wraps a factory's complaint with ErrBadConfig.
func badConfig(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, args...))
}
