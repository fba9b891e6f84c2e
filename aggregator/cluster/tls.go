package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/pulseboard/pulseboard/configs"
)

// TLS is TLS to an existing NATS ([NATS].TLS), with the meanings of
// Prometheus' tls_config. The files are read by the NATS client at every
// connection attempt, so a renewed certificate is taken at the next
// reconnect; a file that cannot be read then fails that attempt, which is
// retried with backoff like any other.
type TLS struct {
	// CAFile holds the PEM certificates of the CAs that verify the
	// server; empty: the system's roots.
	CAFile string
	// CertFile and KeyFile are the client certificate and its key (PEM),
	// for a server that asks for one; both or neither.
	CertFile, KeyFile string
	// ServerName is the name the server's certificate must hold; empty:
	// the host of the URL dialled.
	ServerName string
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool
}

// options are the NATS client options of t: TLS required of the server,
// verified against CAFile, with the client certificate. The files are read
// at every connection attempt (ClientTLSConfig's callbacks) through
// configs.ReadTLSFile, bounded as the config's check reads them: nats.go's
// own RootCAs and ClientCert read them whole, so a file replaced by a pipe
// or a device after the check would hang a reconnect or fill memory.
// Secure comes first: ClientTLSConfig adds to the tls.Config it sets.
// Nil: none.
func (t *TLS) options() []nats.Option {
	if t == nil {
		return nil
	}
	o := []nats.Option{nats.Secure(&tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // the user's choice, documented as unsafe
	})}
	var certCB nats.TLSCertHandler
	var rootsCB nats.RootCAsHandler
	if t.CAFile != "" {
		rootsCB = t.roots
	}
	if t.CertFile != "" {
		certCB = t.certificate
	}
	if certCB != nil || rootsCB != nil {
		o = append(o, nats.ClientTLSConfig(certCB, rootsCB))
	}
	return o
}

// roots reads CAFile into a pool; called by the NATS client.
func (t *TLS) roots() (*x509.CertPool, error) {
	pem, err := configs.ReadTLSFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("cluster: ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("cluster: ca_file %q holds no PEM certificate", t.CAFile)
	}
	return pool, nil
}

// certificate reads CertFile and KeyFile into the client certificate;
// called by the NATS client.
func (t *TLS) certificate() (tls.Certificate, error) {
	certPEM, err := configs.ReadTLSFile(t.CertFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cluster: cert_file: %w", err)
	}
	keyPEM, err := configs.ReadTLSFile(t.KeyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cluster: key_file: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("cluster: cert_file and key_file: %w", err)
	}
	return cert, nil
}

// validate reports a client certificate without its key, or a key
// without its certificate.
func (t *TLS) validate() string {
	if t != nil && (t.CertFile == "") != (t.KeyFile == "") {
		return "cert_file and key_file go together"
	}
	return ""
}
