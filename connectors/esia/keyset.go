package esia

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// JWT signature algorithms ESIA uses; the choice is made per system in ESIA's tech portal.
const (
	AlgGOST  = "GOST3410_2012_256"
	AlgRS256 = "RS256"
)

// oidGOST2012_256 is id-tc26-gost3410-12-256, the public key algorithm of ESIA's GOST certificates.
var oidGOST2012_256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}

// ErrUnknownKey is returned when no pinned certificate verifies a token's signature.
var ErrUnknownKey = errors.New("esia: token is not signed by any pinned ESIA certificate")

// KeySet verifies ESIA JWT signatures against pinned certificates. It implements go-oidc's
// KeySet. ESIA rotates certificates without notice, so the set is meant to hold the past,
// current and next certificate; each one that is valid at the moment of verification and
// matches the token's alg is tried.
type KeySet struct {
	certs []pinned
	gost  gost.Verifier
	now   func() time.Time
}

type pinned struct {
	x509 *x509.Certificate
	alg  string
	gost *gost.Certificate // set for GOST certificates
}

// ParseCertificates reads every CERTIFICATE block of a PEM bundle.
func ParseCertificates(pemData []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, pemData = pem.Decode(pemData)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("esia: PEM block %d is %q, want CERTIFICATE", n, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("esia: PEM block %d: %w", n, err)
		}
		out = append(out, c)
	}
	if len(bytes.TrimSpace(pemData)) != 0 {
		return nil, errors.New("esia: trailing data after the last PEM certificate")
	}
	if len(out) == 0 {
		return nil, errors.New("esia: no PEM certificate found")
	}
	return out, nil
}

// NewKeySet pins certs. gost may be nil when only RS256 certificates are pinned; now may be nil
// for time.Now.
func NewKeySet(certs []*x509.Certificate, verifier gost.Verifier, now func() time.Time) (*KeySet, error) {
	if len(certs) == 0 {
		return nil, errors.New("esia: no ESIA certificates pinned")
	}
	k := &KeySet{gost: verifier, now: now}
	for i, c := range certs {
		p := pinned{x509: c, alg: keyAlg(c)}
		switch p.alg {
		case AlgRS256:
		case AlgGOST:
			if verifier == nil {
				return nil, fmt.Errorf("esia: certificate %d (%s) is GOST but no GOST verifier is configured", i+1, c.Subject)
			}
			gc, err := gost.ParseCertificateDER(c.Raw)
			if err != nil {
				return nil, fmt.Errorf("esia: certificate %d: %w", i+1, err)
			}
			p.gost = gc
		default:
			return nil, fmt.Errorf("esia: certificate %d (%s) has an unsupported key (want RSA or GOST R 34.10-2012 256)", i+1, c.Subject)
		}
		k.certs = append(k.certs, p)
	}
	if k.now == nil {
		k.now = time.Now
	}
	return k, nil
}

// keyAlg names the JWT alg a certificate can verify, or "" when none.
func keyAlg(c *x509.Certificate) string {
	if _, ok := c.PublicKey.(*rsa.PublicKey); ok {
		return AlgRS256
	}
	var spki struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err == nil && spki.Algorithm.Algorithm.Equal(oidGOST2012_256) {
		return AlgGOST
	}
	return ""
}

// jwtHeader is the JOSE header as ESIA fills it: {"ver":1,"typ":"JWT","sbt":"id","alg":"..."}.
type jwtHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Sbt string `json:"sbt"`
	Kid string `json:"kid"`
}

// splitJWT returns header, signing input, signature and payload of a compact JWS.
func splitJWT(jwt string) (jwtHeader, []byte, []byte, []byte, error) {
	var h jwtHeader
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return h, nil, nil, nil, fmt.Errorf("esia: token has %d parts, want 3", len(parts))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return h, nil, nil, nil, fmt.Errorf("esia: token header is not base64url: %w", err)
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, nil, nil, nil, fmt.Errorf("esia: token header is not JSON: %w", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return h, nil, nil, nil, fmt.Errorf("esia: token payload is not base64url: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return h, nil, nil, nil, fmt.Errorf("esia: token signature is not base64url: %w", err)
	}
	return h, []byte(parts[0] + "." + parts[1]), sig, payload, nil
}

// VerifySignature checks the token's signature against the pinned certificates and returns
// its payload with a numeric `sub` re-encoded as a JSON string (go-oidc wants a string).
func (k *KeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	h, input, sig, payload, err := splitJWT(jwt)
	if err != nil {
		return nil, err
	}
	if h.Alg != AlgGOST && h.Alg != AlgRS256 {
		return nil, fmt.Errorf("esia: token alg %q is not %s or %s", h.Alg, AlgGOST, AlgRS256)
	}
	now := k.now()
	var lastErr error
	verified := false
	for _, c := range k.certs {
		if c.alg != h.Alg || now.Before(c.x509.NotBefore) || now.After(c.x509.NotAfter) {
			continue
		}
		switch h.Alg {
		case AlgRS256:
			d := sha256.Sum256(input)
			lastErr = rsa.VerifyPKCS1v15(c.x509.PublicKey.(*rsa.PublicKey), crypto.SHA256, d[:], sig)
		case AlgGOST:
			lastErr = k.gost.Verify(ctx, c.gost, input, sig)
		}
		if lastErr == nil {
			verified = true
			break
		}
	}
	if !verified {
		if lastErr != nil {
			return nil, fmt.Errorf("%w (%s; last error: %v)", ErrUnknownKey, h.Alg, lastErr)
		}
		return nil, fmt.Errorf("%w (no valid %s certificate pinned)", ErrUnknownKey, h.Alg)
	}
	return stringSub(payload)
}

// stringSub rewrites a numeric "sub" claim as a string, leaving everything else untouched.
func stringSub(payload []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("esia: token payload is not a JSON object: %w", err)
	}
	raw, ok := m["sub"]
	if !ok || len(raw) == 0 || raw[0] == '"' {
		return payload, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, fmt.Errorf("esia: token sub is neither a number nor a string: %s", raw)
	}
	if _, err := n.Int64(); err != nil {
		return nil, fmt.Errorf("esia: token sub %s is not an integer oid", raw)
	}
	q, _ := json.Marshal(n.String())
	m["sub"] = q
	return json.Marshal(m)
}

func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
