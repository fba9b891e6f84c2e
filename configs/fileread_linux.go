package configs

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// childProcAttr puts a read-file child in a process group of its own.
func childProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// pseudoFilesystems are the kernel's filesystems whose files are not
// stored data: their stat size is 0 or made up, a read may block until
// the kernel has something to say (/proc/kmsg) or return a different
// content each time. No config or certificate lives there. (x/sys names
// all but three; those are written as linux/magic.h gives them.)
var pseudoFilesystems = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "proc",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroup",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2",
	unix.DEVPTS_SUPER_MAGIC:  "devpts",
	0x65735543:               "fusectl", // FUSE_CTL_SUPER_MAGIC
	unix.BPF_FS_MAGIC:        "bpf",
	0x62656570:               "configfs", // CONFIGFS_MAGIC
	unix.PSTOREFS_MAGIC:      "pstore",
	unix.EFIVARFS_MAGIC:      "efivarfs",
	unix.SELINUX_MAGIC:       "selinuxfs",
	unix.SMACK_MAGIC:         "smackfs",
	unix.BINFMTFS_MAGIC:      "binfmt_misc",
	unix.NSFS_MAGIC:          "nsfs",
	0x19800202:               "mqueue", // MQUEUE_MAGIC
}

// pseudoFS names the kernel pseudo filesystem f is on, "" for any other.
// It asks fstatfs through the file's own descriptor, so the answer is
// about the file opened, not whatever the path leads to now.
func pseudoFS(f openedFile) (string, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return "", err
	}
	var st unix.Statfs_t
	var statErr error
	if err := rc.Control(func(fd uintptr) { statErr = unix.Fstatfs(int(fd), &st) }); err != nil {
		return "", err
	}
	if statErr != nil {
		return "", statErr
	}
	return pseudoFilesystems[int64(st.Type)], nil
}
