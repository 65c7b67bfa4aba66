// Package gost provides GOST R 34.10-2012 (256-bit) signatures and GOST R
// 34.11-2012 (Streebog-256) digests for the gateway's outside exchanges: the
// ESIA client secret and token verification, and the XAdES signatures of GIS
// ZhKH messages.
//
// # Interfaces
//
// Code that signs depends on [Signer]; code that checks signatures depends on
// [Verifier]; code that needs digests depends on [Hasher]. The shipped
// implementation of all three is [OpenSSL], built on the OpenSSL GOST engine
// (Debian package libengine-gost-openssl): in-process through libcrypto when
// built with cgo, otherwise (or with OpenSSLOptions.Processes) by running the
// openssl command-line tool, which also generates test keys and makes CMS.
// Production deployments that must use certified crypto (CryptoPro) plug in
// another Signer.
//
// # Byte order
//
// Signatures are raw GOST R 34.10-2012 signature values as OpenSSL prints them
// (`openssl dgst -md_gost12_256 -sign`): 64 bytes, s ‖ r, each big-endian.
// This is the order ESIA's v2 client_secret and XML-DSig SignatureValue use.
// CryptoPro CSP returns the bytes mirrored; a CryptoPro Signer must reverse its
// output before returning it. Digests are the plain 32-byte Streebog-256 value
// in the order `openssl dgst -md_gost12_256 -binary` prints it.
//
// # Typical use
//
//	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
//	signer, err := tool.LoadSigner(ctx, "key.pem", "cert.pem")
//	sig, err := signer.Sign(ctx, msg)                       // 64 bytes, s ‖ r
//	err = tool.Verify(ctx, signer.Certificate(), msg, sig)  // nil or ErrBadSignature
//	hash, err := tool.CertificateHash(ctx, signer.Certificate()) // ESIA client_certificate_hash
//
// Tests and demos get a throwaway key and self-signed certificate from
// [OpenSSL.GenerateTestCredentials].
package gost
