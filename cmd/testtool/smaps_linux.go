package testtool

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// MappedRSS is how many bytes of the file at path this process has
// resident through its mappings, from /proc/self/smaps: of every mapping
// of it, or with readOnly of those not writable (an executable's code and
// read-only data). Linux only.
func MappedRSS(path string, readOnly bool) (int, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		// A mapping's first line: "start-end perms offset dev inode [path]".
		if fields := strings.Fields(line); len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && fields[5] == path && (!readOnly || !strings.Contains(fields[1], "w"))
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				return 0, err
			}
			total += kb << 10
		}
	}
	return total, sc.Err()
}
