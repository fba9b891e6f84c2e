package configs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
)

// ClusterTLS is `cluster.nats.tls`: TLS to the NATS of cluster.nats.urls,
// with the keys of Prometheus' tls_config. The files are read when the
// config is validated (so a missing or broken one is an error at its key's
// position) and again by the NATS client at every connection, so a renewed
// certificate is taken at the next reconnect. Paths are relative to the
// directory pulseboard starts in, like storage.path.
type ClusterTLS struct {
	// CAFile is a PEM file of the CA certificates that verify the server;
	// empty: the system's.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are this node's client certificate and its
	// private key, PEM, for a NATS that asks for one; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name the server's certificate must hold; empty:
	// the host of the URL dialled.
	ServerName string `yaml:"server_name"`
	// InsecureSkipVerify accepts any server certificate (tests only: it
	// lets anyone on the path read and change the cluster's traffic).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Validate checks that the files named exist and parse: the CA file holds
// at least one PEM certificate, and the certificate and key are a pair.
// Its errors quote paths and the parser's reason, never a file's content.
func (t ClusterTLS) Validate() error {
	var p problems
	if t.CAFile != "" {
		if pem, ok := readTLSFile(&p, "ca_file", t.CAFile); ok && !x509.NewCertPool().AppendCertsFromPEM(pem) {
			p.addf("ca_file", "%q holds no PEM certificate", t.CAFile)
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		p.addf("key_file", "is required with cert_file: the client certificate's private key")
	case t.KeyFile != "" && t.CertFile == "":
		p.addf("cert_file", "is required with key_file: the client certificate")
	case t.CertFile != "":
		certPEM, certOK := readTLSFile(&p, "cert_file", t.CertFile)
		keyPEM, keyOK := readTLSFile(&p, "key_file", t.KeyFile)
		if certOK && keyOK {
			// The bytes read within the limits, not the paths a second time.
			if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
				p.addf("cert_file", "%q and key_file %q are not a certificate and its key: %v", t.CertFile, t.KeyFile, err)
			}
		}
	}
	return p.err()
}

// ReadTLSFile reads a file cluster.nats.tls names as the config's check
// does: a regular file only (a pipe or a device is refused before a byte
// is read), at most MaxTLSFileBytes. The cluster's NATS client calls it at
// every connection attempt, so that a file replaced after the check is
// bounded too. Safe on any goroutine.
func ReadTLSFile(path string) ([]byte, error) {
	data, err := readRegular(path, MaxTLSFileBytes)
	if err != nil {
		return nil, err
	}
	if len(data) > MaxTLSFileBytes {
		return nil, fmt.Errorf("%q is larger than %d bytes: want a PEM file", path, MaxTLSFileBytes)
	}
	return data, nil
}

// readTLSFile reads a file the TLS block names, reporting at key what
// stops it: missing, unreadable, not a regular file (a pipe would hang
// the check, /dev/zero fill memory), larger than MaxTLSFileBytes. Nothing
// past the limit is read.
func readTLSFile(p *problems, key, path string) ([]byte, bool) {
	data, err := readRegular(path, MaxTLSFileBytes)
	var nr *notRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		p.addf(key, "%q does not exist", path)
	case errors.As(err, &nr):
		p.addf(key, "%q is %s, not a regular file: want a PEM file", path, nr.kind)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is quoted already
		}
		p.addf(key, "%q cannot be read: %v", path, err)
	case len(data) > MaxTLSFileBytes:
		p.addf(key, "%q is larger than %d bytes: want a PEM file", path, MaxTLSFileBytes)
	default:
		return data, true
	}
	return nil, false
}
