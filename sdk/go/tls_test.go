package eris_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

// A coordinator serving HTTPS with its own self-signed certificate: trusted through WithTLSConfig (RootCAs)
// and through WithHTTPClient, refused without it (a *ConnectionError keeping the x509 cause).
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	coordinator, err := testcluster.StartCoordinator(filepath.Join(dir, "data"), "--tls-cert", certPath, "--tls-key", keyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer coordinator.Stop()
	if !strings.HasPrefix(coordinator.URL, "https://127.0.0.1:") {
		t.Fatalf("url %s", coordinator.URL)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)

	c, err := eris.NewClient(coordinator.URL, eris.WithToken(testcluster.Token), eris.WithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Version(ctx(t))
	if err != nil || v.Version == "" {
		t.Fatalf("%+v %v", v, err)
	}
	if agents, err := c.Agents(ctx(t)); err != nil || len(agents) != 0 {
		t.Fatalf("%v %v", agents, err)
	}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	viaHTTP, _ := eris.NewClient(coordinator.URL, eris.WithHTTPClient(hc))
	if h, err := viaHTTP.Health(ctx(t)); err != nil || h.Status != "ok" {
		t.Fatalf("%v %v", h, err)
	}

	untrusted, _ := eris.NewClient(coordinator.URL, eris.WithToken(testcluster.Token))
	_, err = untrusted.Version(ctx(t))
	var connErr *eris.ConnectionError
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &connErr) || !errors.As(err, &unknown) || !strings.Contains(err.Error(), coordinator.URL) {
		t.Fatalf("want a *ConnectionError wrapping x509.UnknownAuthorityError, got %T %v", err, err)
	}
}
