package gost

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCMS(t *testing.T) {
	ctx := context.Background()
	o, err := NewOpenSSL(ctx, OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := o.LoadSigner(ctx, "testdata/key.pem", "testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	c := CMSSignerOf(o, s)
	msg := []byte("openid fullname2026.11.23 20:15:00 +0300TESTSYS6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f")
	sig, err := c.SignCMS(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.VerifyCMS(ctx, s.Certificate(), msg, sig); err != nil {
		t.Fatalf("own CMS: %v", err)
	}
	// The openssl CLI itself accepts it (independent check of the DER we produce).
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cmd := exec.Command("openssl", "cms", "-verify", "-engine", "gost", "-binary", "-inform", "DER",
		"-in", write("sig.der", sig), "-content", write("msg.txt", msg), "-CAfile", "testdata/cert.pem", "-out", "/dev/null")
	cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
	tampered := append([]byte(nil), msg...)
	tampered[0] ^= 1
	if err := o.VerifyCMS(ctx, s.Certificate(), tampered, sig); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "verification failure") {
		t.Errorf("tampered content: %v", err)
	}
	// A CMS by another key does not verify against the pinned certificate even though it embeds
	// its own.
	creds, err := o.GenerateTestCredentials(ctx, t.TempDir(), "other")
	if err != nil {
		t.Fatal(err)
	}
	other, err := o.LoadSigner(ctx, creds.KeyFile, creds.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := CMSSignerOf(o, other).SignCMS(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.VerifyCMS(ctx, s.Certificate(), msg, foreign); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), "signer certificate not found") {
		t.Errorf("foreign signer: %v", err)
	}
	if err := o.VerifyCMS(ctx, s.Certificate(), msg, []byte("not DER")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("garbage: %v", err)
	}
}
