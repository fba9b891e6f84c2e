package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// procSample is one reading of a process's CPU time and resident memory
// from /proc.
type procSample struct {
	at       time.Time
	cpuTicks uint64 // utime + stime, in clock ticks
	rssBytes uint64
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux ABI Go supports.
const clockTicks = 100

func readProc(pid int) (procSample, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procSample{}, err
	}
	statm, err := os.ReadFile(dir + "/statm")
	if err != nil {
		return procSample{}, err
	}
	return parseProc(stat, statm, os.Getpagesize())
}

// parseProc reads utime and stime (fields 14 and 15) of /proc/PID/stat and
// the resident pages (field 2) of /proc/PID/statm.
func parseProc(stat, statm []byte, pageSize int) (procSample, error) {
	s := procSample{at: time.Now()}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields after it start after its last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return s, fmt.Errorf("stat: no command name")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("stat: %d fields after the command name", len(f))
	}
	// f[0] is field 3 (state), so field 14 is f[11].
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("stat: utime %q stime %q", f[11], f[12])
	}
	m := strings.Fields(string(statm))
	if len(m) < 2 {
		return s, fmt.Errorf("statm: %d fields", len(m))
	}
	pages, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return s, fmt.Errorf("statm: resident %q", m[1])
	}
	s.cpuTicks = ut + st
	s.rssBytes = pages * uint64(pageSize)
	return s, nil
}

// cpuPercent is the CPU used between two samples, in percent of one core.
func cpuPercent(a, b procSample) float64 {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 || b.cpuTicks < a.cpuTicks {
		return 0
	}
	return float64(b.cpuTicks-a.cpuTicks) / clockTicks / wall * 100
}
