package testtool

import (
	"crypto/tls"
	"crypto/x509"
	"testing"

	"github.com/stretchr/testify/require"
)

// A client trusting the PKI's CA and presenting its client certificate
// completes a handshake with its server; a client of another PKI does not.
func TestPKIHandshake(t *testing.T) {
	p, other := NewPKI(t), NewPKI(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", p.ServerTLS(t))
	require.NoError(t, err)
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(served)
				return
			}
			served <- c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()

	dial := func(pki PKI) error {
		cert, err := tls.LoadX509KeyPair(pki.ClientCert, pki.ClientKey)
		require.NoError(t, err)
		roots := x509.NewCertPool()
		roots.AddCert(pki.CA)
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		if err == nil {
			err = c.Handshake()
			c.Close()
		}
		return err
	}
	require.NoError(t, dial(p))
	require.NoError(t, <-served)
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, dial(other), &unknown, "another CA's server certificate is not trusted")
	<-served
	ln.Close()
	_, open := <-served
	require.False(t, open)
}
