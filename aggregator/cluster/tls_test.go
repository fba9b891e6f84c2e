package cluster

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
	"github.com/pulseboard/pulseboard/configs"
)

// One line per reason: the same reason again is not logged (whatever its
// text), another one is, and after a connection the first one is news
// again. Every attempt is counted; credentials are masked in the line.
func TestConnectFailuresOncePerReason(t *testing.T) {
	var out bytes.Buffer
	n := &Node{secrets: []string{"s3cretpw"}}
	c := &connState{log: slog.New(slog.NewTextHandler(&out, nil)), redact: n.redactErr}
	refused := errors.New("dial tcp 127.0.0.1:4222: connect: connection refused")
	c.failed(ReasonUnreachable, refused)
	c.failed(ReasonUnreachable, errors.New("nats: no servers available for connection"))
	require.Equal(t, 1, strings.Count(out.String(), "cannot connect to NATS"))
	c.failed(ReasonAuth, errors.New("nats: authorization violation for user with s3cretpw"))
	require.Equal(t, 2, strings.Count(out.String(), "cannot connect to NATS"))
	require.NotContains(t, out.String(), "s3cretpw")
	require.Equal(t, "nats: authorization violation for user with ***", c.status().Err)
	c.connected()
	require.Equal(t, Status{Connected: true, Since: c.status().Since}, c.status())
	c.failed(ReasonUnreachable, refused)
	require.Equal(t, 3, strings.Count(out.String(), "cannot connect to NATS"))
	require.Equal(t, uint64(3), c.failures[2].Load(), reasons[2])
	require.Equal(t, uint64(1), c.failures[0].Load(), reasons[0])
}

func TestTLSOptionsAndHalves(t *testing.T) {
	var none *TLS
	require.Nil(t, none.options())
	require.Empty(t, none.validate())
	require.Len(t, (&TLS{}).options(), 1, "TLS required, system roots")
	require.Len(t, (&TLS{CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem"}).options(), 2, "Secure, then the files' callbacks")
	require.NotEmpty(t, (&TLS{CertFile: "c.pem"}).validate())
	require.NotEmpty(t, (&TLS{KeyFile: "k.pem"}).validate())

	_, err := New(Options{Cluster: "lab", Node: "a", NATS: &NATS{URLs: []string{"nats://127.0.0.1:1"}, TLS: &TLS{CertFile: "c.pem"}}})
	require.ErrorIs(t, err, ErrConfig)
	require.Contains(t, err.Error(), "nats.tls: cert_file and key_file go together")
}

// The NATS client reads the TLS files at every connection attempt through
// the callbacks, bounded as the config's check reads them: a file replaced
// after the check by a pipe (which would hang the read) or by something
// huge is an error of that attempt.
func TestTLSFilesReadBounded(t *testing.T) {
	p := testtool.NewPKI(t)
	good := &TLS{CAFile: p.CAFile, CertFile: p.ClientCert, KeyFile: p.ClientKey}
	pool, err := good.roots()
	require.NoError(t, err)
	require.NotNil(t, pool)
	cert, err := good.certificate()
	require.NoError(t, err)
	require.NotNil(t, cert.Leaf)

	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.pem")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("#", configs.MaxTLSFileBytes+1)), 0o600))

	_, err = (&TLS{CAFile: fifo}).roots()
	require.ErrorContains(t, err, "named pipe")
	_, err = (&TLS{CAFile: big}).roots()
	require.ErrorContains(t, err, "larger than")
	_, err = (&TLS{CertFile: p.ClientCert, KeyFile: fifo}).certificate()
	require.ErrorContains(t, err, "key_file")
	require.ErrorContains(t, err, "named pipe")
	_, err = (&TLS{CertFile: big, KeyFile: p.ClientKey}).certificate()
	require.ErrorContains(t, err, "larger than")
}
