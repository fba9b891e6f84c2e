package collectors

import (
	"math"
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

// hostSamples turns a snapshot into samples stamped s.At. Counters go out
// as counters (node_exporter's convention: `_total`, kind counter), raw,
// and the page and any consumer take their rates where they show them:
// a counter's exact integers cost the history about a byte a sample where
// a rate's full-precision float costs seven, and no reading is needed
// before the first sample. CPU time is the seconds each CPU (and "total",
// all of them) spent busy and idle; its rate is the share of a core.
func hostSamples(cur *hostSnapshot) []aggregator.Sample {
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
	if cur.CPUTotal != nil {
		b.cpu("total", *cur.CPUTotal)
	}
	for _, c := range cur.CPUs {
		b.cpu(strings.TrimPrefix(c.CPU, "cpu"), c)
	}
	for _, name := range sortedKeys(cur.Disks) {
		d := cur.Disks[name]
		ls := pairs("device", name)
		b.counter("host_disk_read_bytes_total", ls, float64(d.ReadBytes))
		b.counter("host_disk_written_bytes_total", ls, float64(d.WriteBytes))
		b.counter("host_disk_reads_completed_total", ls, float64(d.ReadCount))
		b.counter("host_disk_writes_completed_total", ls, float64(d.WriteCount))
	}
	for _, n := range cur.Nets {
		ls := pairs("interface", n.Name)
		b.counter("host_network_receive_bytes_total", ls, float64(n.BytesRecv))
		b.counter("host_network_transmit_bytes_total", ls, float64(n.BytesSent))
		b.counter("host_network_receive_errs_total", ls, float64(n.Errin))
		b.counter("host_network_transmit_errs_total", ls, float64(n.Errout))
	}
	return b.out
}

// cpuSeconds splits one CPU's times into busy and idle seconds. Guest time
// is already inside user time on Linux, so it is not counted twice. The
// kernel counts in ticks of 1/100 s and gopsutil divides them into floats,
// so the sums are rounded back to hundredths: exact decimals again.
func cpuSeconds(t cpu.TimesStat) (busy, idle float64) {
	busy = t.User + t.Nice + t.System + t.Irq + t.Softirq + t.Steal
	idle = t.Idle + t.Iowait
	return math.Round(busy*100) / 100, math.Round(idle*100) / 100
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

func (b *sampleBuilder) counter(metric string, ls aggregator.Labels, v float64) {
	b.out = append(b.out, aggregator.Sample{Metric: metric, Labels: ls, Kind: aggregator.KindCounter, TimeMs: b.ts, Value: v})
}

// cpu adds the busy and idle seconds of one CPU.
func (b *sampleBuilder) cpu(name string, t cpu.TimesStat) {
	busy, idle := cpuSeconds(t)
	b.counter("host_cpu_seconds_total", pairs("cpu", name, "mode", "busy"), busy)
	b.counter("host_cpu_seconds_total", pairs("cpu", name, "mode", "idle"), idle)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
