package cloudtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// certBundle is the one self-signed certificate every listener presents. It
// is its own CA, so a client that trusts it (RootCAs, SSL_CERT_FILE)
// verifies the servers normally.
type certBundle struct {
	cert tls.Certificate
	pem  []byte
	pool *x509.CertPool
}

// newCertBundle makes an ECDSA P-256 certificate for 127.0.0.1, ::1 and
// localhost, valid from an hour ago for a year.
func newCertBundle() (*certBundle, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"cloudtest"}, CommonName: "cloudtest 127.0.0.1"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return &certBundle{
		cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pool: pool,
	}, nil
}

// serverConfig is the listeners' TLS configuration. It offers HTTP/1.1 only,
// so that the drop faults can hijack connections.
func (b *certBundle) serverConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{b.cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
}

// CACertPEM returns the server certificate in PEM form. Write it to a file
// and point SSL_CERT_FILE at it to make another process trust the server.
func (s *Server) CACertPEM() []byte {
	return append([]byte(nil), s.cert.pem...)
}

// TLSConfig returns a new client TLS configuration that trusts the server's
// certificate and nothing else. Callers may modify it.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.cert.pool, MinVersion: tls.VersionTLS12}
}
