package main

import (
	"fmt"

	"github.com/pulseboard/pulseboard/configs"
)

// maxLoadTries is how many times a reload reads a config file that keeps
// changing under it before it gives up and postpones (see loadSettled).
const maxLoadTries = 3

// stillChangingError is a reload postponed: the file changed between
// each read and the look at it just before applying, maxLoadTries times
// in a row. Nothing was applied. When the file watch asked for the
// reload, it asks again once the file has settled, since the writes it
// is waiting out are events of its own.
type stillChangingError struct {
	path  string
	tries int
}

func (e *stillChangingError) Error() string {
	return fmt.Sprintf("%s: the file changed while it was read, %d times in a row: it is still being written; postponed until it is quiet, the running config is unchanged", e.path, e.tries)
}

// loadSettled loads path with load and returns its result only if the
// file's state (configs.StatFile: device, inode, size, mtime) is the
// same after the load as before it: a file written while it was read,
// or between the read and now, is read again, up to maxLoadTries loads,
// then the reload is postponed (*stillChangingError). An error of a
// file that held still is the file's, and stands.
//
// It runs on loadWithin's goroutine, inside the load's budget, so a
// stat that a hung mount holds is abandoned with the load, never waited
// for by the reloader.
func loadSettled(path string, load func(string) (*configs.Config, error), stat func(string) configs.FileState) (*configs.Config, error) {
	for try := 1; ; try++ {
		before := stat(path)
		cfg, err := load(path)
		if stat(path) == before {
			return cfg, err
		}
		if try == maxLoadTries {
			return nil, &stillChangingError{path: path, tries: try}
		}
	}
}
