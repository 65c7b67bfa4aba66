package esia_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
)

// FuzzKeySet feeds arbitrary tokens to the signature check (RSA-only set, so no openssl runs):
// it must never panic and never accept a token not signed by the pinned key.
func FuzzKeySet(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.AAAA")
	f.Add("eyJ2ZXIiOjEsInR5cCI6IkpXVCIsInNidCI6ImlkIiwiYWxnIjoiR09TVDM0MTBfMjAxMl8yNTYifQ.eyJzdWIiOjF9.")
	f.Add("..")
	f.Add("a.b.c.d")
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	ks, err := esia.NewKeySet([]*x509.Certificate{esiatest.SelfSigned(f, key)}, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, jwt string) {
		if p, err := ks.VerifySignature(context.Background(), jwt); err == nil {
			t.Fatalf("accepted unsigned input %q → %s", jwt, p)
		}
	})
}

// FuzzParseCallback: whatever ESIA (or an attacker) puts in the callback query, a code is
// returned only with the session's state.
func FuzzParseCallback(f *testing.F) {
	f.Add("code=c&state=6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f")
	f.Add("error=access_denied&error_description=ESIA-007053%3A+OAuthErrorEnum.clientSecretWrong&state=x")
	f.Add("state=&code=&error=")
	const want = "6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f"
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		cb, err := esia.ParseCallback(q, want)
		if err == nil && (cb.Code == "" || q.Get("state") != want || q.Get("error") != "") {
			t.Fatalf("accepted %q", raw)
		}
	})
}

// FuzzParseCertificates: a pinned-certificate bundle from configuration either parses into
// certificates or is refused with an error; it never panics.
func FuzzParseCertificates(f *testing.F) {
	for _, p := range []string{"testdata/openssl/esia-cert.pem", "testdata/openssl/client-cert.pem"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := esia.ParseCertificates(b)
		if err == nil && len(cs) == 0 {
			t.Fatal("no error and no certificates")
		}
	})
}

// FuzzSecretAndTimestamp: the simulator decodes client_secret and timestamp from the query.
func FuzzSecretAndTimestamp(f *testing.F) {
	f.Add("AAAA", "2026.11.23 20:15:00 +0300")
	f.Add("a+b/==", "2026-11-23")
	f.Fuzz(func(t *testing.T, secret, ts string) {
		if b, err := esia.DecodeSecret(secret); err == nil && esia.EncodeSecret(b) != strings.TrimRight(secret, "=") {
			t.Fatalf("secret %q decodes to %x which encodes differently", secret, b)
		}
		// Whatever parses (Go also takes a one-digit hour) formats to the canonical form and
		// parses back to the same instant; the signature is checked over the string as sent.
		if tm, err := esia.ParseTimestamp(ts); err == nil {
			back, err := esia.ParseTimestamp(esia.FormatTimestamp(tm))
			if err != nil || !back.Equal(tm) {
				t.Fatalf("timestamp %q: canonical form %q does not parse back: %v", ts, esia.FormatTimestamp(tm), err)
			}
		}
	})
}
