package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseboard/pulseboard/cmd/testtool"
)

// natsTLSYAML is a cluster block joining NATS over TLS with tls as the
// tls block's flow mapping.
func natsTLSYAML(tls string) string {
	return "cluster:\n  name: lab\n  nats:\n    urls: [\"tls://127.0.0.1:4222\"]\n    password: s3cretpw\n    user: natsuser\n    tls: " + tls + "\n"
}

func TestClusterTLSParses(t *testing.T) {
	stateDir(t)
	p := testtool.NewPKI(t)
	c, err := Parse("a.yaml", []byte(natsTLSYAML(fmt.Sprintf(
		"{ca_file: %q, cert_file: %q, key_file: %q, server_name: nats.lab, insecure_skip_verify: true}", p.CAFile, p.ClientCert, p.ClientKey))))
	require.NoError(t, err)
	require.Equal(t, &ClusterTLS{CAFile: p.CAFile, CertFile: p.ClientCert, KeyFile: p.ClientKey, ServerName: "nats.lab", InsecureSkipVerify: true}, c.Cluster.NATS.TLS)

	c, err = Parse("a.yaml", []byte(natsTLSYAML(fmt.Sprintf("{ca_file: %q}", p.CAFile))))
	require.NoError(t, err, "a CA alone: no client certificate")
	require.Empty(t, c.Cluster.NATS.TLS.CertFile)

	c, err = Parse("a.yaml", []byte(natsTLSYAML("{}")))
	require.NoError(t, err, "an empty block: TLS verified against the system's roots")
	require.Equal(t, &ClusterTLS{}, c.Cluster.NATS.TLS)
}

// Each broken file or missing half is one error at its key, which names
// the file and the reason and holds neither a credential nor a key.
func TestClusterTLSErrorsHavePositions(t *testing.T) {
	stateDir(t)
	p := testtool.NewPKI(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate\n"), 0o600))
	missing := filepath.Join(dir, "missing.pem")
	key, err := os.ReadFile(p.ClientKey)
	require.NoError(t, err)

	for _, tc := range []struct{ tls, want string }{
		{fmt.Sprintf("{ca_file: %q}", missing), fmt.Sprintf(`a.yaml:7:20: cluster.nats.tls.ca_file: %q does not exist`, missing)},
		{fmt.Sprintf("{ca_file: %q}", garbage), fmt.Sprintf(`a.yaml:7:20: cluster.nats.tls.ca_file: %q holds no PEM certificate`, garbage)},
		{fmt.Sprintf("{ca_file: %q}", dir), fmt.Sprintf(`a.yaml:7:20: cluster.nats.tls.ca_file: %q is a directory, not a regular file: want a PEM file`, dir)},
		{fmt.Sprintf("{cert_file: %q}", p.ClientCert), `a.yaml:7:10: cluster.nats.tls.key_file: is required with cert_file`},
		{fmt.Sprintf("{key_file: %q}", p.ClientKey), `a.yaml:7:10: cluster.nats.tls.cert_file: is required with key_file`},
		{fmt.Sprintf("{cert_file: %q, key_file: %q}", p.ClientCert, missing), fmt.Sprintf(`cluster.nats.tls.key_file: %q does not exist`, missing)},
		{fmt.Sprintf("{cert_file: %q, key_file: %q}", p.ClientCert, p.ServerKey), `a.yaml:7:22: cluster.nats.tls.cert_file: ` + fmt.Sprintf("%q and key_file %q are not a certificate and its key: tls: private key does not match public key", p.ClientCert, p.ServerKey)},
		{fmt.Sprintf("{cert_file: %q, key_file: %q}", p.ClientKey, p.ClientCert), `cluster.nats.tls.cert_file: ` + fmt.Sprintf("%q and key_file %q are not a certificate and its key: tls: ", p.ClientKey, p.ClientCert)},
		{"{ca: x}", `a.yaml:7:11: cluster.nats.tls.ca: unknown key "ca"`},
		{"{insecure_skip_verify: maybe}", `cluster.nats.tls.insecure_skip_verify`},
	} {
		_, err := Parse("a.yaml", []byte(natsTLSYAML(tc.tls)))
		require.Error(t, err, tc.tls)
		require.Contains(t, err.Error(), tc.want, tc.tls)
		for _, secret := range []string{"s3cretpw", "natsuser", string(key[40:80])} {
			require.NotContains(t, err.Error(), secret, tc.tls)
		}
	}
}

// A file the TLS block names is read like the config itself: a named pipe
// (which would block the check and the reloader until a writer came), a
// device such as /dev/zero (which never ends) and a file past
// MaxTLSFileBytes are refused at the key, before a byte is read or at the
// first byte past the limit.
func TestClusterTLSRefusesWhatIsNotASmallFile(t *testing.T) {
	stateDir(t)
	p := testtool.NewPKI(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ca.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	big := filepath.Join(dir, "big.pem")
	require.NoError(t, os.WriteFile(big, []byte(strings.Repeat("#", MaxTLSFileBytes+1)), 0o600))
	atLimit := filepath.Join(dir, "ca-at-limit.pem")
	ca, err := os.ReadFile(p.CAFile)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(atLimit, append([]byte(strings.Repeat("\n", MaxTLSFileBytes-len(ca))), ca...), 0o600))

	cases := []struct{ tls, want string }{
		{fmt.Sprintf("{ca_file: %q}", fifo), fmt.Sprintf(`a.yaml:7:20: cluster.nats.tls.ca_file: %q is a named pipe, not a regular file: want a PEM file`, fifo)},
		{fmt.Sprintf("{ca_file: %q}", big), fmt.Sprintf(`a.yaml:7:20: cluster.nats.tls.ca_file: %q is larger than 1048576 bytes: want a PEM file`, big)},
		{fmt.Sprintf("{cert_file: %q, key_file: %q}", fifo, p.ClientKey), fmt.Sprintf(`a.yaml:7:22: cluster.nats.tls.cert_file: %q is a named pipe`, fifo)},
		{fmt.Sprintf("{cert_file: %q, key_file: %q}", p.ClientCert, big), fmt.Sprintf(`cluster.nats.tls.key_file: %q is larger than 1048576 bytes`, big)},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases,
			struct{ tls, want string }{`{ca_file: "/dev/zero"}`, `a.yaml:7:20: cluster.nats.tls.ca_file: "/dev/zero" is a device, not a regular file: want a PEM file`},
			struct{ tls, want string }{fmt.Sprintf(`{cert_file: %q, key_file: "/dev/zero"}`, p.ClientCert), `cluster.nats.tls.key_file: "/dev/zero" is a device`})
	}
	for _, tc := range cases {
		done := make(chan error, 1)
		go func() { _, err := Parse("a.yaml", []byte(natsTLSYAML(tc.tls))); done <- err }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, ErrInvalid, tc.tls)
			require.Contains(t, err.Error(), tc.want, tc.tls)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the check blocked", tc.tls)
		}
	}

	_, err = Parse("a.yaml", []byte(natsTLSYAML(fmt.Sprintf("{ca_file: %q}", atLimit))))
	require.NoError(t, err, "a CA bundle of exactly MaxTLSFileBytes is read")
}
