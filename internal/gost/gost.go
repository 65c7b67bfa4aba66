package gost

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
)

// DigestSize is the size in bytes of a Streebog-256 digest.
const DigestSize = 32

// SignatureSize is the size in bytes of a GOST R 34.10-2012 256-bit signature.
const SignatureSize = 64

// Digest is a Streebog-256 (GOST R 34.11-2012, 256 bit) digest.
type Digest [DigestSize]byte

// Signer makes raw GOST R 34.10-2012 256-bit signatures with one key.
type Signer interface {
	// Sign hashes msg with Streebog-256 and signs the digest. The result is
	// SignatureSize bytes in OpenSSL order (s ‖ r, big-endian), see the
	// package documentation. GOST signatures are randomised: two calls give
	// different bytes, both valid.
	Sign(ctx context.Context, msg []byte) ([]byte, error)
	// Certificate returns the certificate of the signing key.
	Certificate() *Certificate
}

// Verifier checks raw GOST R 34.10-2012 256-bit signatures.
type Verifier interface {
	// Verify returns nil when sig (OpenSSL order) is a valid signature of msg
	// by the key of cert, an error wrapping ErrBadSignature when it is not,
	// and another error when the check could not be made.
	Verify(ctx context.Context, cert *Certificate, msg, sig []byte) error
}

// Hasher computes Streebog-256 digests.
type Hasher interface {
	// Digest returns the Streebog-256 digest of data.
	Digest(ctx context.Context, data []byte) (Digest, error)
	// DigestEach returns the digest of every item, in order; implementations
	// may do it in one step, which is cheaper than calling Digest per item.
	DigestEach(ctx context.Context, items ...[]byte) ([]Digest, error)
}

// ErrBadSignature is wrapped by Verify errors for signatures that do not match.
var ErrBadSignature = errors.New("gost: signature does not match")

// OIDs of GOST R 34.10-2012 public keys (RFC 9215, TC 26).
var (
	oidGost2012PublicKey256 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 1}
	oidGost2012PublicKey512 = asn1.ObjectIdentifier{1, 2, 643, 7, 1, 1, 1, 2}
)

// Certificate is an X.509 certificate with a GOST R 34.10-2012 256-bit key.
// Go's crypto/x509 parses such certificates but does not know the key
// algorithm; the raw DER and the subject public key are kept for OpenSSL.
type Certificate struct {
	der  []byte
	x509 *x509.Certificate
}

// ParseCertificateDER parses a DER certificate and checks that its key is a
// GOST R 34.10-2012 256-bit key.
func ParseCertificateDER(der []byte) (*Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("gost: parse certificate: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil, fmt.Errorf("gost: parse certificate public key: %w", err)
	}
	switch {
	case spki.Algorithm.Algorithm.Equal(oidGost2012PublicKey256):
	case spki.Algorithm.Algorithm.Equal(oidGost2012PublicKey512):
		return nil, fmt.Errorf("gost: certificate %q has a GOST R 34.10-2012 512-bit key; only 256-bit keys are supported", c.Subject)
	default:
		return nil, fmt.Errorf("gost: certificate %q has key algorithm %v, want GOST R 34.10-2012 256 (%v)",
			c.Subject, spki.Algorithm.Algorithm, oidGost2012PublicKey256)
	}
	return &Certificate{der: append([]byte(nil), der...), x509: c}, nil
}

// ParseCertificatePEM parses the first CERTIFICATE block of pemData.
func ParseCertificatePEM(pemData []byte) (*Certificate, error) {
	rest := pemData
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("gost: parse certificate: no PEM CERTIFICATE block found")
		}
		if block.Type == "CERTIFICATE" {
			return ParseCertificateDER(block.Bytes)
		}
	}
}

// LoadCertificate reads a PEM certificate file.
func LoadCertificate(path string) (*Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gost: load certificate: %w", err)
	}
	c, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// LoadCertificates reads every CERTIFICATE block of a PEM file (a bundle
// of pinned certificates); a file with none is an error.
func LoadCertificates(path string) ([]*Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gost: load certificates: %w", err)
	}
	var out []*Certificate
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := ParseCertificateDER(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, len(out)+1, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE block found", path)
	}
	return out, nil
}

// DER returns the certificate's DER encoding. The caller must not modify it.
func (c *Certificate) DER() []byte { return c.der }

// PEM returns the certificate PEM-encoded.
func (c *Certificate) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})
}

// X509 returns the parsed certificate (subject, issuer, validity). Its
// PublicKey is nil: crypto/x509 does not know GOST keys.
func (c *Certificate) X509() *x509.Certificate { return c.x509 }

// PublicKeyPEM returns the subject public key as a PEM "PUBLIC KEY" block, the
// form OpenSSL reads.
func (c *Certificate) PublicKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: c.x509.RawSubjectPublicKeyInfo})
}

// IssuerName returns the issuer distinguished name in RFC 4514 form, as
// XML-DSig X509IssuerName wants it.
func (c *Certificate) IssuerName() string { return c.x509.Issuer.String() }

// SerialNumber returns the certificate serial number.
func (c *Certificate) SerialNumber() *big.Int { return new(big.Int).Set(c.x509.SerialNumber) }
