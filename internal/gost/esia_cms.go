package gost

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ESIA's legacy endpoints (/aas/oauth2/ac, /aas/oauth2/te) take the client secret as a detached
// CMS SignedData over the secret string instead of a raw signature. This file adds that form.

// CMSSigner is a Signer that can also make detached CMS signatures.
type CMSSigner struct {
	*OpenSSLSigner
}

// CMSSignerOf wraps s so it can also sign CMS for ESIA's legacy flow.
func CMSSignerOf(_ *OpenSSL, s *OpenSSLSigner) *CMSSigner { return &CMSSigner{OpenSSLSigner: s} }

// SignCMS returns a DER detached CMS SignedData (Streebog-256, GOST R 34.10-2012) over msg, with
// the signer's certificate embedded.
func (s *CMSSigner) SignCMS(ctx context.Context, msg []byte) ([]byte, error) {
	out, err := s.tool.run(ctx, msg, [][]byte{s.cert.PEM(), s.key},
		"cms", "-sign", "-engine", s.tool.engine, "-binary", "-md", "md_gost12_256",
		"-signer", fdPath(0), "-inkey", fdPath(1), "-outform", "DER")
	if err != nil {
		return nil, fmt.Errorf("gost: sign CMS: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("gost: sign CMS: openssl printed nothing")
	}
	return out, nil
}

// VerifyCMS checks a DER detached CMS signature over msg made with the key of cert. Only cert
// may be the signer (the certificates embedded in the CMS are ignored), and its chain is not
// checked: the caller pins cert. A mismatch wraps ErrBadSignature.
func (o *OpenSSL) VerifyCMS(ctx context.Context, cert *Certificate, msg, cms []byte) error {
	if cert == nil {
		return errors.New("gost: verify CMS: no certificate")
	}
	_, err := o.run(ctx, nil, [][]byte{cms, msg, cert.PEM()},
		"cms", "-verify", "-engine", o.engine, "-binary", "-inform", "DER", "-in", fdPath(0),
		"-content", fdPath(1), "-certfile", fdPath(2), "-nointern", "-noverify", "-out", "/dev/null")
	if err == nil {
		return nil
	}
	if s := err.Error(); strings.Contains(s, "verification failure") || strings.Contains(s, "signer certificate not found") ||
		strings.Contains(s, "no content type") || strings.Contains(s, "asn1") || strings.Contains(s, "ASN1") {
		return fmt.Errorf("gost: verify CMS (certificate %q): %w: %v", cert.x509.Subject, ErrBadSignature, err)
	}
	return fmt.Errorf("gost: verify CMS: %w", err)
}
