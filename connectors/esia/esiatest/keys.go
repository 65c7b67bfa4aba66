package esiatest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// generate makes a throwaway GOST key pair and keeps it in memory only.
func generate(ctx context.Context, tool *gost.OpenSSL, cn string) (keyPair, error) {
	dir, err := os.MkdirTemp("", "esiatest-")
	if err != nil {
		return keyPair{}, err
	}
	defer os.RemoveAll(dir)
	c, err := tool.GenerateTestCredentials(ctx, dir, cn)
	if err != nil {
		return keyPair{}, err
	}
	key, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return keyPair{}, err
	}
	cert, err := gost.LoadCertificate(c.CertFile)
	return keyPair{key: key, cert: cert}, err
}

// rsaKey makes an RSA key and self-signed certificate for RS256 tokens.
func rsaKey(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, cert, err := sim.RSAKey()
	if err != nil {
		t.Fatalf("esiatest: %v", err)
	}
	return key, cert
}

// SelfSigned returns a self-signed certificate for key, valid from an hour ago for a year.
func SelfSigned(t testing.TB, key *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "ESIA simulator RSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("esiatest: rsa certificate: %v", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("esiatest: rsa certificate: %v", err)
	}
	return c
}
