package cluster

import (
	"crypto/tls"

	"github.com/nats-io/nats.go"
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
// verified against CAFile, with the client certificate. Secure comes
// first: RootCAs and ClientCert add to the tls.Config it sets. Nil: none.
func (t *TLS) options() []nats.Option {
	if t == nil {
		return nil
	}
	o := []nats.Option{nats.Secure(&tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // the user's choice, documented as unsafe
	})}
	if t.CAFile != "" {
		o = append(o, nats.RootCAs(t.CAFile))
	}
	if t.CertFile != "" {
		o = append(o, nats.ClientCert(t.CertFile, t.KeyFile))
	}
	return o
}

// validate reports a client certificate without its key, or a key
// without its certificate.
func (t *TLS) validate() string {
	if t != nil && (t.CertFile == "") != (t.KeyFile == "") {
		return "cert_file and key_file go together"
	}
	return ""
}
