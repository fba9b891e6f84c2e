package configs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

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
		{fmt.Sprintf("{ca_file: %q}", dir), fmt.Sprintf(`a.yaml:7:20: cluster.nats.tls.ca_file: %q cannot be read: is a directory`, dir)},
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
