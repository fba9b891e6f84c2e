package collectors

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"

	"github.com/pulseboard/pulseboard/aggregator"
)

// hostSnapshot is one reading of the host's counters and gauges. Any part
// may be missing (nil or empty) when reading it failed. It is plain data
// with JSON tags so that tests keep fixtures of it in testdata/.
type hostSnapshot struct {
	At       time.Time                      `json:"at"`
	CPUTotal *cpu.TimesStat                 `json:"cpu_total"`
	CPUs     []cpu.TimesStat                `json:"cpus"`
	Mem      *mem.VirtualMemoryStat         `json:"mem"`
	Load     *load.AvgStat                  `json:"load"`
	Disks    map[string]disk.IOCountersStat `json:"disks"`
	Nets     []net.IOCountersStat           `json:"nets"`
	FS       []fsUsage                      `json:"fs"`
}

// fsUsage is the usage of one mounted filesystem.
type fsUsage struct {
	Device     string `json:"device"`
	Mountpoint string `json:"mountpoint"`
	Fstype     string `json:"fstype"`
	Size       uint64 `json:"size"`
	Used       uint64 `json:"used"`
}

// hostSamples turns the current snapshot, and the previous one for rates,
// into samples stamped cur.At. Gauges come from cur alone; rates need prev
// (nil on the first poll: no rate then) and are skipped for a counter that
// went backwards (a reset, a device that came back) or when no time passed.
func hostSamples(prev, cur *hostSnapshot) []aggregator.Sample {
	b := sampleBuilder{ts: cur.At.UnixMilli()}
	if cur.Mem != nil {
		b.gauge("host_memory_total_bytes", nil, float64(cur.Mem.Total))
		b.gauge("host_memory_used_bytes", nil, float64(cur.Mem.Used))
		b.gauge("host_memory_available_bytes", nil, float64(cur.Mem.Available))
	}
	if cur.Load != nil {
		b.gauge("host_load1", nil, cur.Load.Load1)
		b.gauge("host_load5", nil, cur.Load.Load5)
		b.gauge("host_load15", nil, cur.Load.Load15)
	}
	for _, fs := range cur.FS {
		ls := pairs("device", fs.Device, "fstype", fs.Fstype, "mountpoint", fs.Mountpoint)
		b.gauge("host_filesystem_size_bytes", ls, float64(fs.Size))
		b.gauge("host_filesystem_used_bytes", ls, float64(fs.Used))
	}
	if prev == nil {
		return b.out
	}
	dt := cur.At.Sub(prev.At).Seconds()
	if dt <= 0 {
		return b.out
	}
	if prev.CPUTotal != nil && cur.CPUTotal != nil {
		if p, ok := cpuPercent(*prev.CPUTotal, *cur.CPUTotal); ok {
			b.gauge("host_cpu_percent", pairs("cpu", "total"), p)
		}
	}
	prevCPU := make(map[string]cpu.TimesStat, len(prev.CPUs))
	for _, c := range prev.CPUs {
		prevCPU[c.CPU] = c
	}
	for _, c := range cur.CPUs {
		if pc, ok := prevCPU[c.CPU]; ok {
			if p, ok := cpuPercent(pc, c); ok {
				b.gauge("host_cpu_percent", pairs("cpu", strings.TrimPrefix(c.CPU, "cpu")), p)
			}
		}
	}
	for _, name := range sortedKeys(cur.Disks) {
		d, pd := cur.Disks[name], prev.Disks[name]
		if _, ok := prev.Disks[name]; !ok {
			continue
		}
		ls := pairs("device", name)
		b.rate("host_disk_read_bytes_per_second", ls, pd.ReadBytes, d.ReadBytes, dt)
		b.rate("host_disk_write_bytes_per_second", ls, pd.WriteBytes, d.WriteBytes, dt)
		b.rate("host_disk_reads_per_second", ls, pd.ReadCount, d.ReadCount, dt)
		b.rate("host_disk_writes_per_second", ls, pd.WriteCount, d.WriteCount, dt)
	}
	prevNet := make(map[string]net.IOCountersStat, len(prev.Nets))
	for _, n := range prev.Nets {
		prevNet[n.Name] = n
	}
	for _, n := range cur.Nets {
		pn, ok := prevNet[n.Name]
		if !ok {
			continue
		}
		ls := pairs("interface", n.Name)
		b.rate("host_network_receive_bytes_per_second", ls, pn.BytesRecv, n.BytesRecv, dt)
		b.rate("host_network_transmit_bytes_per_second", ls, pn.BytesSent, n.BytesSent, dt)
		b.rate("host_network_receive_errors_per_second", ls, pn.Errin, n.Errin, dt)
		b.rate("host_network_transmit_errors_per_second", ls, pn.Errout, n.Errout, dt)
	}
	return b.out
}

// cpuPercent is the share of non-idle time between two readings of one
// CPU, from /proc/stat-style counters. Guest time is already inside user
// time on Linux, so it is not counted twice. ok is false when the counters
// did not move or went backwards.
func cpuPercent(prev, cur cpu.TimesStat) (float64, bool) {
	pAll, pIdle := cpuAllIdle(prev)
	cAll, cIdle := cpuAllIdle(cur)
	dAll, dIdle := cAll-pAll, cIdle-pIdle
	if dAll <= 0 || dIdle < 0 || dIdle > dAll {
		return 0, false
	}
	return (dAll - dIdle) / dAll * 100, true
}

func cpuAllIdle(t cpu.TimesStat) (all, idle float64) {
	all = t.User + t.Nice + t.System + t.Idle + t.Iowait + t.Irq + t.Softirq + t.Steal
	return all, t.Idle + t.Iowait
}

// counterRate is the per-second increase of a counter, ok false on a reset.
func counterRate(prev, cur uint64, dt float64) (float64, bool) {
	if cur < prev || dt <= 0 {
		return 0, false
	}
	return float64(cur-prev) / dt, true
}

// Filesystems that hold no data of their own (node_exporter's defaults,
// plus tmpfs), and mount points under the kernel's own trees.
var (
	pseudoFS = []string{
		"autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
		"devpts", "devtmpfs", "fusectl", "hugetlbfs", "iso9660", "mqueue", "nsfs",
		"proc", "procfs", "pstore", "ramfs", "rpc_pipefs", "securityfs", "selinuxfs",
		"squashfs", "sysfs", "tmpfs", "tracefs", "efivarfs", "fuse.lxcfs",
	}
	pseudoMount = regexp.MustCompile(`^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`)
	// Disks that are partitions of another, or not disks at all.
	skipDisk = regexp.MustCompile(`^(ram|loop|fd|zram)\d+$`)
)

// realFilesystem says whether a mount is worth a usage reading.
func realFilesystem(p disk.PartitionStat) bool {
	return !slices.Contains(pseudoFS, p.Fstype) && !pseudoMount.MatchString(p.Mountpoint)
}

type sampleBuilder struct {
	ts  int64
	out []aggregator.Sample
}

func (b *sampleBuilder) gauge(metric string, ls aggregator.Labels, v float64) {
	b.out = append(b.out, aggregator.Sample{Metric: metric, Labels: ls, Kind: aggregator.KindGauge, TimeMs: b.ts, Value: v})
}

func (b *sampleBuilder) rate(metric string, ls aggregator.Labels, prev, cur uint64, dt float64) {
	if v, ok := counterRate(prev, cur, dt); ok {
		b.gauge(metric, ls, v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
