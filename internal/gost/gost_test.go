package gost_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/gost"
)

func newTool(t testing.TB) *gost.OpenSSL {
	t.Helper()
	tool, err := gost.NewOpenSSL(context.Background(), gost.OpenSSLOptions{})
	if err != nil {
		t.Fatalf("NewOpenSSL: %v", err)
	}
	return tool
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixedSigner(t testing.TB, tool *gost.OpenSSL) *gost.OpenSSLSigner {
	t.Helper()
	s, err := tool.LoadSigner(context.Background(), "testdata/key.pem", "testdata/cert.pem")
	if err != nil {
		t.Fatalf("LoadSigner: %v", err)
	}
	return s
}

// opensslVerify checks sig with the openssl CLI directly, independent of our
// Verifier.
func opensslVerify(t *testing.T, certFile string, msg, sig []byte) bool {
	t.Helper()
	dir := t.TempDir()
	pub, err := exec.Command("openssl", "x509", "-engine", "gost", "-in", certFile, "-pubkey", "-noout").Output()
	if err != nil {
		t.Fatalf("openssl x509 -pubkey: %v", err)
	}
	for name, data := range map[string][]byte{"pub.pem": pub, "msg": msg, "sig": sig} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("openssl", "dgst", "-engine", "gost", "-md_gost12_256",
		"-verify", filepath.Join(dir, "pub.pem"), "-signature", filepath.Join(dir, "sig"), filepath.Join(dir, "msg")).Output()
	ok := err == nil && strings.HasPrefix(string(out), "Verified OK")
	if !ok && !strings.HasPrefix(string(out), "Verification failure") {
		t.Fatalf("openssl dgst -verify: unexpected result %q, %v", out, err)
	}
	return ok
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

func TestDigestKnownVectors(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb"},
		{"RFC 6986 M1", []byte("012345678901234567890123456789012345678901234567890123456789012"),
			"9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"},
		{"fixed msg1", readFile(t, "msg1.txt"), hex.EncodeToString(readFile(t, "msg1.digest"))},
		{"fixed msg2", readFile(t, "msg2.txt"), hex.EncodeToString(readFile(t, "msg2.digest"))},
	}
	var items [][]byte
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tool.Digest(ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(d[:]); got != tc.want {
				t.Errorf("Digest = %s, want %s", got, tc.want)
			}
		})
		items = append(items, tc.in)
	}
	t.Run("DigestEach", func(t *testing.T) {
		ds, err := tool.DigestEach(ctx, items...)
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range tests {
			if got := hex.EncodeToString(ds[i][:]); got != tc.want {
				t.Errorf("item %d (%s) = %s, want %s", i, tc.name, got, tc.want)
			}
		}
	})
}

func TestDigestEachManyItems(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	// More items than one openssl process takes, to cross a batch boundary.
	items := make([][]byte, 130)
	for i := range items {
		items[i] = []byte(fmt.Sprintf("item %d", i))
	}
	items[7] = bytes.Repeat([]byte("x"), 1<<20) // larger than a pipe buffer
	ds, err := tool.DigestEach(ctx, items...)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(items) {
		t.Fatalf("got %d digests for %d items", len(ds), len(items))
	}
	for _, i := range []int{0, 7, 63, 64, 129} {
		want, err := tool.Digest(ctx, items[i])
		if err != nil {
			t.Fatal(err)
		}
		if ds[i] != want {
			t.Errorf("item %d: DigestEach %x != Digest %x", i, ds[i], want)
		}
	}
}

// TestVerifyFixedSignatures checks our verifier against signatures the
// openssl CLI made once; a byte-order bug in Verify fails here.
func TestVerifyFixedSignatures(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	cert, err := gost.LoadCertificate("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2, 3} {
		msg := readFile(t, fmt.Sprintf("msg%d.txt", i))
		sig := readFile(t, fmt.Sprintf("msg%d.sig", i))
		t.Run(fmt.Sprintf("msg%d", i), func(t *testing.T) {
			if err := tool.Verify(ctx, cert, msg, sig); err != nil {
				t.Errorf("Verify(CLI signature) = %v, want nil", err)
			}
			if err := tool.Verify(ctx, cert, msg, reversed(sig)); !errors.Is(err, gost.ErrBadSignature) {
				t.Errorf("Verify(reversed signature) = %v, want ErrBadSignature", err)
			}
			tampered := append(bytes.Clone(msg), '!')
			if err := tool.Verify(ctx, cert, tampered, sig); !errors.Is(err, gost.ErrBadSignature) {
				t.Errorf("Verify(tampered message) = %v, want ErrBadSignature", err)
			}
			if err := tool.Verify(ctx, cert, msg, sig[:63]); !errors.Is(err, gost.ErrBadSignature) {
				t.Errorf("Verify(short signature) = %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestSignCheckedByOpenSSL checks our signatures with the openssl CLI,
// independently of our verifier.
func TestSignCheckedByOpenSSL(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	signer := fixedSigner(t, tool)
	for _, msg := range [][]byte{nil, []byte("a"), readFile(t, "msg1.txt"), bytes.Repeat([]byte("<x/>"), 100000)} {
		sig, err := signer.Sign(ctx, msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(sig) != gost.SignatureSize {
			t.Fatalf("signature is %d bytes", len(sig))
		}
		if !opensslVerify(t, "testdata/cert.pem", msg, sig) {
			t.Errorf("openssl CLI rejects our signature of a %d-byte message", len(msg))
		}
		if opensslVerify(t, "testdata/cert.pem", msg, reversed(sig)) {
			t.Errorf("openssl CLI accepts the reversed signature of a %d-byte message", len(msg))
		}
		if err := tool.Verify(ctx, signer.Certificate(), msg, sig); err != nil {
			t.Errorf("Verify(own signature) = %v", err)
		}
	}
}

func TestSignConcurrent(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	signer := fixedSigner(t, tool)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			msg := []byte(fmt.Sprintf("message %d", i))
			sig, err := signer.Sign(ctx, msg)
			if err == nil {
				err = tool.Verify(ctx, signer.Certificate(), msg, sig)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestCertificateHash(t *testing.T) {
	tool := newTool(t)
	cert, err := gost.LoadCertificate("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	got, err := gost.CertificateHash(context.Background(), tool, cert)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(readFile(t, "cert.hash"))); got != want {
		t.Errorf("CertificateHash = %s, want %s (openssl CLI)", got, want)
	}
	if len(got) != 64 {
		t.Errorf("CertificateHash has %d characters, want 64", len(got))
	}
}

func TestCertificateAccessors(t *testing.T) {
	cert, err := gost.LoadCertificate("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cert.IssuerName(), "CN=fixed test signer,O=zhkhgate test,C=RU"; got != want {
		t.Errorf("IssuerName = %q, want %q", got, want)
	}
	if cert.SerialNumber().Sign() <= 0 {
		t.Errorf("SerialNumber = %v, want positive", cert.SerialNumber())
	}
	again, err := gost.ParseCertificatePEM(cert.PEM())
	if err != nil || !bytes.Equal(again.DER(), cert.DER()) {
		t.Errorf("PEM round trip: %v", err)
	}
	if !bytes.HasPrefix(cert.PublicKeyPEM(), []byte("-----BEGIN PUBLIC KEY-----")) {
		t.Errorf("PublicKeyPEM = %q", cert.PublicKeyPEM())
	}
}

func TestCertificateErrors(t *testing.T) {
	tests := []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"empty", nil, "no PEM CERTIFICATE block"},
		{"key not cert", readFile(t, "key.pem"), "no PEM CERTIFICATE block"},
		{"rsa", readFile(t, "rsa-cert.pem"), "want GOST R 34.10-2012 256"},
		{"garbage DER", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "parse certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := gost.ParseCertificatePEM(tc.pem)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseCertificatePEM error = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
	if _, err := gost.LoadCertificate("testdata/missing.pem"); err == nil {
		t.Error("LoadCertificate(missing) = nil error")
	}
}

func TestGeneratedCredentialsAndMismatch(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	creds, err := tool.GenerateTestCredentials(ctx, t.TempDir(), "GIS test operator")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := tool.LoadSigner(ctx, creds.KeyFile, creds.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(signer.Certificate().X509().Subject.CommonName, "GIS test operator") {
		t.Errorf("subject = %v", signer.Certificate().X509().Subject)
	}
	msg := []byte("hello")
	sig, err := signer.Sign(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !opensslVerify(t, creds.CertFile, msg, sig) {
		t.Error("openssl CLI rejects a signature by generated credentials")
	}
	// Fresh key against the fixed certificate: must be refused.
	if _, err := tool.LoadSigner(ctx, creds.KeyFile, "testdata/cert.pem"); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("LoadSigner(mismatched key) error = %v, want 'does not match'", err)
	}
	fixed, _ := gost.LoadCertificate("testdata/cert.pem")
	if err := tool.Verify(ctx, fixed, msg, sig); !errors.Is(err, gost.ErrBadSignature) {
		t.Errorf("Verify with the wrong certificate = %v, want ErrBadSignature", err)
	}
	if _, err := tool.GenerateTestCredentials(ctx, t.TempDir(), "bad/cn"); err == nil {
		t.Error("GenerateTestCredentials accepted a CN with '/'")
	}
}

func TestSignerKeyErrors(t *testing.T) {
	tool := newTool(t)
	ctx := context.Background()
	cert, _ := gost.LoadCertificate("testdata/cert.pem")
	if _, err := tool.NewSigner(ctx, []byte("not a key"), cert); err == nil || !strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("NewSigner(garbage) error = %v", err)
	}
	bad := []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	if _, err := tool.NewSigner(ctx, bad, cert); err == nil || !strings.Contains(err.Error(), "unusable") {
		t.Errorf("NewSigner(broken key) error = %v", err)
	}
	if _, err := tool.LoadSigner(ctx, "testdata/missing.pem", "testdata/cert.pem"); err == nil {
		t.Error("LoadSigner(missing key) = nil error")
	}
}

func TestNewOpenSSLErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{Path: "no-such-openssl-binary"}); err == nil {
		t.Error("NewOpenSSL with a missing binary succeeded")
	}
	if _, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{Engine: "no-such-engine"}); err == nil || !strings.Contains(err.Error(), "libengine-gost-openssl") {
		t.Errorf("NewOpenSSL with a missing engine error = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	tool := newTool(t)
	if _, err := tool.Digest(cancelled, []byte("x")); err == nil {
		t.Error("Digest with a cancelled context succeeded")
	}
}

func FuzzParseCertificatePEM(f *testing.F) {
	f.Add(readFile(f, "cert.pem"))
	f.Add(readFile(f, "rsa-cert.pem"))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := gost.ParseCertificatePEM(data)
		if err != nil {
			return
		}
		// Anything accepted must round-trip and expose its key.
		again, err := gost.ParseCertificatePEM(c.PEM())
		if err != nil || !bytes.Equal(again.DER(), c.DER()) {
			t.Fatalf("accepted certificate does not round-trip: %v", err)
		}
		_ = c.IssuerName()
		_ = c.SerialNumber()
	})
}
