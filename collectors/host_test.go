package collectors

import (
	"context"
	"encoding/json"
	"errors"
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
	prev, cur := hostFixture(t, "host_prev.json"), hostFixture(t, "host_cur.json")
	samples := hostSamples(prev, cur)
	want := map[string]float64{
		`host_cpu_percent{cpu="total"}`: 40, // Δbusy 40 of Δall 100; guest is inside user
		`host_cpu_percent{cpu="0"}`:     60, // cpu1 went backwards, cpu2 is new: no rate
		`host_memory_total_bytes{}`:     8e9,
		`host_memory_used_bytes{}`:      3e9,
		`host_memory_available_bytes{}`: 5e9,
		`host_load1{}`:                  0.5,
		`host_load5{}`:                  0.75,
		`host_load15{}`:                 1.25,

		`host_disk_read_bytes_per_second{device="sda"}`:  1000,
		`host_disk_write_bytes_per_second{device="sda"}`: 0,
		`host_disk_reads_per_second{device="sda"}`:       2,
		`host_disk_writes_per_second{device="sda"}`:      5,
		// nvme0n1's read bytes went backwards (a reset): that rate is skipped.
		`host_disk_write_bytes_per_second{device="nvme0n1"}`: 0,
		`host_disk_reads_per_second{device="nvme0n1"}`:       2,
		`host_disk_writes_per_second{device="nvme0n1"}`:      0,

		`host_network_receive_bytes_per_second{interface="eth0"}`:   1e5,
		`host_network_transmit_bytes_per_second{interface="eth0"}`:  2e4,
		`host_network_receive_errors_per_second{interface="eth0"}`:  2,
		`host_network_transmit_errors_per_second{interface="eth0"}`: 0,
		`host_network_receive_bytes_per_second{interface="lo"}`:     100,
		`host_network_transmit_bytes_per_second{interface="lo"}`:    100,
		`host_network_receive_errors_per_second{interface="lo"}`:    0,
		`host_network_transmit_errors_per_second{interface="lo"}`:   0,

		`host_filesystem_size_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"}`:    1e11,
		`host_filesystem_used_bytes{device="/dev/vda",fstype="ext4",mountpoint="/"}`:    4e10,
		`host_filesystem_size_bytes{device="/dev/vdb",fstype="xfs",mountpoint="/data"}`: 5000,
		`host_filesystem_used_bytes{device="/dev/vdb",fstype="xfs",mountpoint="/data"}`: 1000,
	}
	got := make(map[string]float64, len(samples))
	for _, s := range samples {
		require.Equal(t, cur.At.UnixMilli(), s.TimeMs)
		require.Equal(t, aggregator.KindGauge, s.Kind)
		got[s.Metric+s.Labels.String()] = s.Value
	}
	require.Equal(t, want, got)
}

func TestHostFirstPollHasNoRates(t *testing.T) {
	cur := hostFixture(t, "host_cur.json")
	for name, prev := range map[string]*hostSnapshot{"no previous": nil, "no time passed": cur} {
		for _, s := range hostSamples(prev, cur) {
			require.False(t, strings.HasSuffix(s.Metric, "_per_second") || s.Metric == "host_cpu_percent", "%s: %s", name, s.Metric)
		}
	}
	require.NotEmpty(t, hostSamples(nil, cur), "gauges need no history")
}

func TestCPUPercent(t *testing.T) {
	a := cpu.TimesStat{User: 10, System: 10, Idle: 70, Iowait: 10}
	p, ok := cpuPercent(a, cpu.TimesStat{User: 20, System: 10, Idle: 140, Iowait: 30})
	require.True(t, ok)
	require.InDelta(t, 10.0, p, 1e-9) // 10 busy of 100
	_, ok = cpuPercent(a, a)
	require.False(t, ok, "no time passed")
	_, ok = cpuPercent(a, cpu.TimesStat{User: 5, System: 10, Idle: 70, Iowait: 10})
	require.False(t, ok, "counters went backwards")
	_, ok = cpuPercent(a, cpu.TimesStat{User: 30, System: 10, Idle: 60, Iowait: 10})
	require.False(t, ok, "idle+iowait went backwards: inconsistent")
}

func TestCounterRate(t *testing.T) {
	r, ok := counterRate(100, 300, 4)
	require.True(t, ok)
	require.Equal(t, 50.0, r)
	_, ok = counterRate(300, 100, 4)
	require.False(t, ok, "a reset yields no rate")
	_, ok = counterRate(1, 2, 0)
	require.False(t, ok)
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
	require.Greater(t, len(second), len(first), "the second poll adds rates")
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
	require.NotContains(t, m, `host_cpu_percent{cpu="total"}`, "no rate on the first poll")

	// CPU counters move in ticks of 10ms; poll until one has passed.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		samples, err := src.Poll(t.Context())
		require.NoError(t, err)
		m = byMetric(samples)
		if _, ok := m[`host_cpu_percent{cpu="total"}`]; ok {
			break
		}
	}
	p, ok := m[`host_cpu_percent{cpu="total"}`]
	require.True(t, ok, "CPU %% after the counters moved")
	require.GreaterOrEqual(t, p.Value, 0.0)
	require.LessOrEqual(t, p.Value, 100.0)
	require.Contains(t, metricNames(maps2slice(m)), "host_network_receive_bytes_per_second")
}

func maps2slice(m map[string]aggregator.Sample) []aggregator.Sample {
	out := make([]aggregator.Sample, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}
