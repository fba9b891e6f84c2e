package configs

import (
	"fmt"
	"strings"
)

// noteDefaults marks the validation errors at a key the file does not
// write whose value is a default (a zero value is a required key left
// out, whose error is about its absence: "is required"). Such an error is
// located at the nearest key the file does write (positions.locate), and
// would otherwise read as if the file held the key: it says that the key
// is not in the file and its value is the default, and an index the file
// does not have is cut from its path ("aggregator.windows[1]" is
// "aggregator.windows"). Rules that know which written key is at fault
// report there themselves (Aggregator and Storage validation); this is
// for every other rule that judges one key against another.
func noteDefaults(errs []*Error, doc positions, cfg *Config) {
	for _, e := range errs {
		if e.Path == "" || doc.present(e.Path) {
			continue
		}
		written := parentPath(e.Path)
		for written != "" && !doc.present(written) {
			written = parentPath(written)
		}
		rest := strings.TrimPrefix(e.Path[len(written):], ".")
		key, _, _ := strings.Cut(rest, ".")
		key, _, _ = strings.Cut(key, "[")
		if key == "" || !valueKeysAt(cfg, written).has(key) {
			continue // an index past a written list, or a key left zero
		}
		if i := strings.IndexByte(rest, '['); i >= 0 {
			e.Path = joinPath(written, rest[:i])
		}
		e.Msg = shorten(fmt.Sprintf("%s (%s is not in the file: that is its default)", e.Msg, joinPath(written, key)))
	}
}

// valueKeysAt is the presence by value (valueKeys) of the struct at path
// in cfg: "sources[0].faults" descends into the first source's faults.
func valueKeysAt(cfg *Config, path string) keys {
	var k keys = valuesOf(cfg)
	if path == "" {
		return k
	}
	for seg := range strings.SplitSeq(path, ".") {
		k = k.sub(seg)
	}
	return k
}
