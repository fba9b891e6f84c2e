package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/aggregator"
	"github.com/pulseboard/pulseboard/configs"
)

func hostFixture(t *testing.T, name string) *hostSnapshot {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var s hostSnapshot
	require.NoError(t, json.Unmarshal(b, &s))
	return &s
}

func TestHostSamplesFromFixtures(t *testing.T) {
	cur := hostFixture(t, "host_cur.json")
	samples := hostSamples(cur)
	counters := map[string]float64{
		// busy: user+nice+system+irq+softirq+steal; guest is inside user
		`host_cpu_seconds_total{cpu="total",mode="busy"}`: 190,
		`host_cpu_seconds_total{cpu="total",mode="idle"}`: 910, // idle+iowait
		`host_cpu_seconds_total{cpu="0",mode="busy"}`:     105,
		`host_cpu_seconds_total{cpu="0",mode="idle"}`:     445,
		`host_cpu_seconds_total{cpu="1",mode="busy"}`:     15,
		`host_cpu_seconds_total{cpu="1",mode="idle"}`:     105,
		`host_cpu_seconds_total{cpu="2",mode="busy"}`:     2,
		`host_cpu_seconds_total{cpu="2",mode="idle"}`:     2,

		`host_disk_read_bytes_total{device="sda"}`:           3000,
		`host_disk_written_bytes_total{device="sda"}`:        5000,
		`host_disk_reads_completed_total{device="sda"}`:      14,
		`host_disk_writes_completed_total{device="sda"}`:     30,
		`host_disk_read_bytes_total{device="nvme0n1"}`:       100,
		`host_disk_written_bytes_total{device="nvme0n1"}`:    1000,
		`host_disk_reads_completed_total{device="nvme0n1"}`:  104,
		`host_disk_writes_completed_total{device="nvme0n1"}`: 100,
		`host_disk_read_bytes_total{device="sdb"}`:           512,
		`host_disk_written_bytes_total{device="sdb"}`:        512,
		`host_disk_reads_completed_total{device="sdb"}`:      1,
		`host_disk_writes_completed_total{device="sdb"}`:     1,

		`host_network_receive_bytes_total{interface="eth0"}`:  1200000,
		`host_network_transmit_bytes_total{interface="eth0"}`: 240000,
		`host_network_receive_errs_total{interface="eth0"}`:   4,
		`host_network_transmit_errs_total{interface="eth0"}`:  1,
		`host_network_receive_bytes_total{interface="lo"}`:    700,
		`host_network_transmit_bytes_total{interface="lo"}`:   700,
		`host_network_receive_errs_total{interface="lo"}`:     0,
		`host_network_transmit_errs_total{interface="lo"}`:    0,
		`host_network_receive_bytes_total{interface="wg0"}`:   1,
		`host_network_transmit_bytes_total{interface="wg0"}`:  1,
		`host_network_receive_errs_total{interface="wg0"}`:    0,
		`host_network_transmit_errs_total{interface="wg0"}`:   0,
	}
	gauges := map[string]float64{
		`host_memory_total_bytes{}`:     8e9,
		`host_memory_used_bytes{}`:      3e9,
		`host_memory_available_bytes{}`: 5e9,
		`host_load1{}`:                  0.5,
		`host_load5{}`:                  0.75,
		`host_load15{}`:                 1.25,

		`host_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"}`:    1e11,
		`host_filesystem_used_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"}`:    4e10,
		`host_filesystem_size_bytes{device="/dev/vdb",fstype="xfs",mountpoint="/data"}`: 5000,
		`host_filesystem_used_bytes{device="/dev/vdb",fstype="xfs",mountpoint="/data"}`: 1000,
	}
	gotCounters, gotGauges := map[string]float64{}, map[string]float64{}
	for _, s := range samples {
		require.Equal(t, cur.At.UnixMilli(), s.TimeMs)
		switch s.Kind {
		case aggregator.KindCounter:
			require.True(t, strings.HasSuffix(s.Metric, "_total"), s.Metric)
			gotCounters[s.Metric+s.Labels.String()] = s.Value
		default:
			gotGauges[s.Metric+s.Labels.String()] = s.Value
		}
	}
	require.Equal(t, counters, gotCounters)
	require.Equal(t, gauges, gotGauges)
}

func TestCPUSecondsAreExactHundredths(t *testing.T) {
	// gopsutil divides ticks by 100 into floats: 0.07+0.1+0.2 is not 0.37.
	busy, idle := cpuSeconds(cpu.TimesStat{User: 0.07, System: 0.1, Softirq: 0.2, Idle: 12345.67, Iowait: 0.01})
	require.Equal(t, 0.37, busy)
	require.Equal(t, 12345.68, idle)
}

func TestRealFilesystem(t *testing.T) {
	for _, tc := range []struct {
		p    disk.PartitionStat
		want bool
	}{
		{disk.PartitionStat{Device: "/dev/vda", Mountpoint: "/", Fstype: "ext4"}, true},
		{disk.PartitionStat{Device: "overlay", Mountpoint: "/", Fstype: "overlay"}, true},
		{disk.PartitionStat{Device: "/dev/vdb", Mountpoint: "/srv/data", Fstype: "xfs"}, true},
		{disk.PartitionStat{Device: "proc", Mountpoint: "/proc", Fstype: "proc"}, false},
		{disk.PartitionStat{Device: "tmpfs", Mountpoint: "/run", Fstype: "tmpfs"}, false},
		{disk.PartitionStat{Device: "cgroup", Mountpoint: "/sys/fs/cgroup/cpu", Fstype: "cgroup"}, false},
		{disk.PartitionStat{Device: "/dev/vda", Mountpoint: "/dev/termination-log", Fstype: "ext4"}, false},
		{disk.PartitionStat{Device: "/dev/vda", Mountpoint: "/var/lib/docker/overlay2/x", Fstype: "ext4"}, false},
	} {
		require.Equal(t, tc.want, realFilesystem(tc.p), "%+v", tc.p)
	}
}

func TestHostSourcePartialAndTotalFailure(t *testing.T) {
	prev, cur := hostFixture(t, "host_prev.json"), hostFixture(t, "host_cur.json")
	snaps := []*hostSnapshot{prev, cur}
	var errs []error
	h := &hostSource{now: func() time.Time { return prev.At }}
	h.read = func(context.Context, time.Time) (*hostSnapshot, []error) {
		s := snaps[0]
		snaps = snaps[1:]
		return s, errs
	}
	first, err := h.Poll(t.Context())
	require.NoError(t, err)
	require.Empty(t, h.LastPartial().Errors)

	errs = []error{errors.New("disk: no /proc/diskstats")}
	second, err := h.Poll(t.Context())
	require.NoError(t, err, "one part failing is a partial failure")
	require.Contains(t, metricNames(first), "host_cpu_seconds_total", "counters need no previous poll")
	require.NotContains(t, metricNames(first), "host_cpu_busy_percent", "a share needs a previous poll")
	pct := byMetric(second)["host_cpu_busy_percent{}"]
	require.Equal(t, aggregator.KindGauge, pct.Kind)
	require.Equal(t, 40.0, pct.Value, "40 busy seconds of 100 between the fixtures")
	require.Contains(t, metricNames(second), "host_disk_read_bytes_total")
	require.Equal(t, errs, h.LastPartial().Errors)

	errs = make([]error, hostParts)
	for i := range errs {
		errs[i] = errors.New("nope")
	}
	snaps = []*hostSnapshot{{At: cur.At.Add(time.Second)}}
	_, err = h.Poll(t.Context())
	require.ErrorIs(t, err, ErrNoValues)
}

// TestHostSmoke reads the real machine through gopsutil.
func TestHostSmoke(t *testing.T) {
	src, err := NewSource(configs.Source{Name: "host", Type: configs.TypeHost, Interval: configs.Duration(time.Second), Timeout: configs.Duration(time.Second), Spec: configs.NewHostSpec()}, Env{})
	require.NoError(t, err)
	first, err := src.Poll(t.Context())
	require.NoError(t, err, "partial: %v", src.(PartialReporter).LastPartial().Errors)
	m := byMetric(first)
	require.Greater(t, m["host_memory_total_bytes{}"].Value, 0.0)
	require.Contains(t, m, "host_load1{}")
	busy, ok := m[`host_cpu_seconds_total{cpu="total",mode="busy"}`]
	require.True(t, ok, "CPU time on the first poll: counters need no previous one")
	require.Greater(t, busy.Value, 0.0)
	require.Equal(t, aggregator.KindCounter, busy.Kind)
	require.Contains(t, metricNames(maps2slice(m)), "host_network_receive_bytes_total")
}

func maps2slice(m map[string]aggregator.Sample) []aggregator.Sample {
	out := make([]aggregator.Sample, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

func TestBusyPercent(t *testing.T) {
	pct, ok := busyPercent(100, 300, 101, 301)
	require.True(t, ok)
	require.Equal(t, 50.0, pct)
	pct, _ = busyPercent(0, 0, 2, 1)
	require.Equal(t, 66.7, pct, "to a tenth")
	_, ok = busyPercent(100, 300, 100, 300)
	require.False(t, ok, "no time passed")
	_, ok = busyPercent(100, 300, 5, 10)
	require.False(t, ok, "counters went back")
	_, ok = busyPercent(0, 0, math.NaN(), 1)
	require.False(t, ok, "a broken reading")
	_, ok = busyPercent(0, 0, math.Inf(1), 1)
	require.False(t, ok, "a broken reading")
}

// A core kept busy through a poll of one second may count 101 ticks of
// 1/100 s in it: its rate against the wall clock reads 101 %, its share
// of its own busy and idle seconds 100 %, never more.
func TestHostCoreBusyIsAShareOfOneReading(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	snap := func(at time.Time, busy0, idle0, busy1, idle1 float64) *hostSnapshot {
		cpus := []cpu.TimesStat{{CPU: "cpu0", User: busy0, Idle: idle0}, {CPU: "cpu1", User: busy1, Idle: idle1}}
		total := sumTimes(cpus)
		return &hostSnapshot{At: at, CPUs: cpus, CPUTotal: &total}
	}
	snaps := []*hostSnapshot{
		snap(at, 500, 100, 200, 300),
		snap(at.Add(time.Second), 501.01, 100, 200.25, 300.75), // cpu0: 101 ticks busy in a second
		{At: at.Add(2 * time.Second)},                          // the CPU part failed
		snap(at.Add(3*time.Second), 502.01, 100, 200.25, 301.75),
	}
	h := &hostSource{now: time.Now}
	h.read = func(context.Context, time.Time) (*hostSnapshot, []error) {
		s := snaps[0]
		snaps = snaps[1:]
		return s, []error{errors.New("memory: nope")}
	}
	first, err := h.Poll(t.Context())
	require.NoError(t, err)
	require.NotContains(t, metricNames(first), "host_cpu_core_busy_percent", "a share needs a previous poll")
	second, err := h.Poll(t.Context())
	require.NoError(t, err)
	m := byMetric(second)
	require.Equal(t, 100.0, m[`host_cpu_core_busy_percent{cpu="0"}`].Value, "101 ticks busy of 101: 100 %%, not 101")
	require.Equal(t, aggregator.KindGauge, m[`host_cpu_core_busy_percent{cpu="0"}`].Kind)
	require.Equal(t, 25.0, m[`host_cpu_core_busy_percent{cpu="1"}`].Value)
	third, err := h.Poll(t.Context())
	require.NoError(t, err)
	require.NotContains(t, metricNames(third), "host_cpu_core_busy_percent")
	fourth, err := h.Poll(t.Context())
	require.NoError(t, err)
	m = byMetric(fourth)
	require.Equal(t, 100.0, m[`host_cpu_core_busy_percent{cpu="0"}`].Value, "since the last reading that had the CPUs")
	require.Equal(t, 0.0, m[`host_cpu_core_busy_percent{cpu="1"}`].Value)
}

// The total is the CPUs' sum, read once: the kernel's "cpu" line of
// /proc/stat, within the moment between two reads.
func TestHostCPUTotalIsTheCPUsSum(t *testing.T) {
	per := []cpu.TimesStat{{CPU: "cpu0", User: 1, System: 2, Idle: 3, Nice: 4, Iowait: 5, Irq: 6, Softirq: 7, Steal: 8, Guest: 9, GuestNice: 10},
		{CPU: "cpu1", User: 10, System: 20, Idle: 30, Nice: 40, Iowait: 50, Irq: 60, Softirq: 70, Steal: 80, Guest: 90, GuestNice: 100}}
	require.Equal(t, cpu.TimesStat{CPU: "cpu-total", User: 11, System: 22, Idle: 33, Nice: 44, Iowait: 55, Irq: 66, Softirq: 77, Steal: 88, Guest: 99, GuestNice: 110}, sumTimes(per))
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc here")
	}
	var r hostReader
	s, _ := r.read(t.Context(), time.Now())
	require.NotNil(t, s.CPUTotal)
	kernel, err := cpu.Times(false)
	require.NoError(t, err)
	require.InDelta(t, kernel[0].User, s.CPUTotal.User, 1, "seconds, read a moment apart")
	require.InDelta(t, kernel[0].Idle, s.CPUTotal.Idle, 2*float64(len(s.CPUs)))
}
