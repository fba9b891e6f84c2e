package dashboard

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWriteErrorReason: a write that fails because the client left is the
// client leaving ("peer", as the reader would count it had it noticed
// first), whatever wraps the errno; a timeout or anything else is "write".
func TestWriteErrorReason(t *testing.T) {
	wrap := func(errno syscall.Errno) error {
		return &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", errno)}
	}
	require.Equal(t, disconnectPeer, writeErrorReason(wrap(syscall.ECONNRESET)))
	require.Equal(t, disconnectPeer, writeErrorReason(wrap(syscall.EPIPE)))
	require.Equal(t, disconnectWrite, writeErrorReason(&net.OpError{Op: "write", Net: "tcp", Err: os.ErrDeadlineExceeded}))
	require.Equal(t, disconnectWrite, writeErrorReason(wrap(syscall.ENOBUFS)))
	require.Equal(t, disconnectWrite, writeErrorReason(errors.New("websocket: other")))
}
