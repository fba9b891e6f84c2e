package dashboard

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// unacked is how many bytes written to the connection its peer has not
// acknowledged yet (SIOCOUTQ: in flight or waiting for the peer's
// window); false where the connection is not a socket the kernel can be
// asked about.
// Its RawConn is made once (the stallWatch's writer is its only caller).
func (c *budgetConn) unacked() (int64, bool) {
	raw := c.raw
	if raw == nil {
		sc, ok := c.Conn.(syscall.Conn)
		if !ok {
			return 0, false
		}
		var err error
		if raw, err = sc.SyscallConn(); err != nil {
			return 0, false
		}
		c.raw = raw
	}
	var n int
	var ioErr error
	if err := raw.Control(func(fd uintptr) { n, ioErr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQ) }); err != nil || ioErr != nil {
		return 0, false
	}
	return int64(n), true
}
