package esia_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
)

func TestSecretMessage(t *testing.T) {
	p := esia.SecretParams{ClientID: "C", Scope: "openid fullname", ScopeOrg: "org", Timestamp: "T", State: "S", RedirectURI: "R", Code: "X"}
	if got := p.Message(); got != "Copenid fullnameorgTSRX" {
		t.Errorf("Message = %q", got)
	}
	if got := p.LegacyMessage(); got != "openid fullnameTCS" {
		t.Errorf("LegacyMessage = %q", got)
	}
}

func TestTimestamp(t *testing.T) {
	at := time.Date(2025, 9, 2, 13, 0, 29, 0, time.FixedZone("MSK", 3*3600))
	if got := esia.FormatTimestamp(at); got != "2025.09.02 13:00:29 +0300" {
		t.Errorf("FormatTimestamp = %q", got)
	}
	for _, bad := range []string{"", "2025-09-02 13:00:29 +0300", "2025.09.02 13:00:29", "2025.09.02T13:00:29+03:00"} {
		if _, err := esia.ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) accepted", bad)
		}
	}
}

func TestSecretEncoding(t *testing.T) {
	sig := make([]byte, 64)
	for i := range sig {
		sig[i] = byte(250 - i) // exercises '-' and '_'
	}
	s := esia.EncodeSecret(sig)
	if len(s) != 86 {
		t.Errorf("64-byte signature encodes to %d characters, want 86", len(s))
	}
	for _, in := range []string{s, s + "=="} {
		got, err := esia.DecodeSecret(in)
		if err != nil || string(got) != string(sig) {
			t.Errorf("DecodeSecret(%q) = %v", in, err)
		}
	}
	if _, err := esia.DecodeSecret("a+b/"); err == nil {
		t.Error("standard base64 accepted as base64url")
	}
}

func TestValidState(t *testing.T) {
	for s, want := range map[string]bool{
		esia.NewState():                          true,
		"6F1C2A3E-8D4B-4C5A-9E7F-0A1B2C3D4E5F":   true,
		"":                                       false,
		"{6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f}": false,
		"6f1c2a3e8d4b4c5a9e7f0a1b2c3d4e5f":       false,
		"<script>":                               false,
	} {
		if got := esia.ValidState(s); got != want {
			t.Errorf("ValidState(%q) = %v", s, got)
		}
	}
}

func TestParseCallback(t *testing.T) {
	const st = "6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f"
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cases := []struct {
		name      string
		q         url.Values
		want      string // "" ok, "state", or ESIA code / oauth error
		wantState string
	}{
		{"ok", q("code", "c", "state", st), "", st},
		{"wrong state", q("code", "c", "state", "0b9e7c1d-2f3a-4b5c-8d6e-7f8091a2b3c4"), "state", st},
		{"missing state", q("code", "c"), "state", st},
		{"no state in session (replayed or never started)", q("code", "c", "state", st), "state", ""},
		{"no code", q("state", st), "invalid_request", st},
		{"secret wrong", q("error", "access_denied", "error_description", "ESIA-007053: OAuthErrorEnum.clientSecretWrong", "state", st), esia.CodeSecretWrong, st},
		{"missing param", q("error", "invalid_request", "error_description", "ESIA-007014: The request doesn't contain the mandatory parameter [client_secret]"), esia.CodeMissingParam, st},
		{"declined", q("error", "access_denied", "state", st), "access_denied", st},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cb, err := esia.ParseCallback(c.q, c.wantState)
			var e *esia.Error
			switch {
			case c.want == "":
				if err != nil || cb.Code != "c" {
					t.Errorf("got %+v, %v", cb, err)
				}
			case c.want == "state":
				if !errors.Is(err, esia.ErrStateMismatch) {
					t.Errorf("err = %v, want ErrStateMismatch", err)
				}
			case errors.As(err, &e):
				if e.Code != c.want && e.Err != c.want {
					t.Errorf("err = %+v, want %s", e, c.want)
				}
			default:
				t.Errorf("err = %v, want %s", err, c.want)
			}
			if err != nil && cb.Code != "" {
				t.Error("a code came back with an error")
			}
		})
	}
}

func TestExpiredPinnedCertificateIsNotUsed(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "old ESIA"},
		NotBefore: time.Now().AddDate(-2, 0, 0), NotAfter: time.Now().AddDate(-1, 0, 0)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	ks, err := esia.NewKeySet([]*x509.Certificate{cert}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	input := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","sbt":"id"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":1}`))
	d := sha256.Sum256([]byte(input))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	jwt := input + "." + base64.RawURLEncoding.EncodeToString(sig)
	if _, err := ks.VerifySignature(context.Background(), jwt); !errors.Is(err, esia.ErrUnknownKey) {
		t.Errorf("token by an expired pinned certificate: %v", err)
	}
	// The same key inside its validity period verifies, and sub comes out as a string.
	ks2, _ := esia.NewKeySet([]*x509.Certificate{cert}, nil, func() time.Time { return time.Now().AddDate(-1, -6, 0) })
	p, err := ks2.VerifySignature(context.Background(), jwt)
	if err != nil || string(p) != `{"sub":"1"}` {
		t.Errorf("valid period: %s %v", p, err)
	}
}
