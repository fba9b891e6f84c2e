package collectors

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulseboard/pulseboard/configs"
)

// Factory builds a Source from its configuration, which NewSource has
// validated: cfg.Spec is the type's spec (a *configs.HTTPSpec for "http")
// and holds to what its Validate checks, so a factory checks nothing of it
// again. It does no I/O: the first poll is where a source meets the world.
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

// NewSource builds a Source of cfg.Type. An unknown type is ErrUnknownType.
// The spec is validated here, once, for every type (a spec built in code
// may skip configs' Validate): one it refuses wraps ErrBadConfig, with
// every problem on one line. The common keys are the Manager's and
// configs' business.
func NewSource(cfg configs.Source, env Env) (Source, error) {
	registryMu.RLock()
	f, ok := registry[cfg.Type]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("source %q: %w %q", cfg.Name, ErrUnknownType, cfg.Type)
	}
	if cfg.Spec == nil {
		return nil, fmt.Errorf("source %q: %w: no config for type %s", cfg.Name, ErrBadConfig, cfg.Type)
	}
	if err := cfg.Spec.Validate(); err != nil {
		problems := configs.Errors(err)
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Error()
		}
		return nil, fmt.Errorf("source %q: %w: %s", cfg.Name, ErrBadConfig, strings.Join(msgs, "; "))
	}
	s, err := f(cfg, env)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", cfg.Name, err)
	}
	return s, nil
}

// specOf returns cfg's spec as the type a factory expects. NewSource has
// validated it, so a mismatch is a programming error; it is still an
// error, not a panic.
func specOf[T configs.SourceSpec](cfg configs.Source) (T, error) {
	spec, ok := cfg.Spec.(T)
	if !ok {
		var want T
		return want, badConfig("a %s source needs a %T, got %T", cfg.Type, want, cfg.Spec)
	}
	return spec, nil
}

// badConfig wraps a factory's complaint with ErrBadConfig.
func badConfig(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, args...))
}
