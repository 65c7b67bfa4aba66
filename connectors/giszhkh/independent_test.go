package giszhkh_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSignatureIndependently checks our XAdES signatures without any of our
// code: libxml2's C14N (xmlstarlet c14n, Debian package xmlstarlet) makes the
// canonical forms, the openssl CLI with the GOST engine hashes them and
// verifies SignatureValue against the certificate's public key. It catches
// canonicalization, digest and byte-order mistakes that a round trip through
// our own verifier would hide.
func TestSignatureIndependently(t *testing.T) {
	if _, err := exec.LookPath("xmlstarlet"); err != nil {
		t.Fatalf("xmlstarlet is required (Debian package xmlstarlet): %v", err)
	}
	f := newFixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	xpBody := write("body.xpath", `<XPath xmlns:ds="http://www.w3.org/2000/09/xmldsig#">(//. | //@* | //namespace::*)[ancestor-or-self::*[@Id='signed-data-container']][not(ancestor-or-self::ds:Signature)]</XPath>`)
	xpProps := write("props.xpath", `<XPath xmlns:xades="http://uri.etsi.org/01903/v1.3.2#">(//. | //@* | //namespace::*)[ancestor-or-self::xades:SignedProperties]</XPath>`)
	xpInfo := write("info.xpath", `<XPath xmlns:ds="http://www.w3.org/2000/09/xmldsig#">(//. | //@* | //namespace::*)[ancestor-or-self::ds:SignedInfo]</XPath>`)
	pub := write("pub.pem", string(f.signer.Certificate().PublicKeyPEM()))

	run := func(stdin []byte, name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
		cmd.Stdin = bytes.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return out
	}
	digest := func(data []byte) string {
		return base64.StdEncoding.EncodeToString(run(data, "openssl", "dgst", "-engine", "gost", "-md_gost12_256", "-binary"))
	}
	digestRE := regexp.MustCompile(`<ds:DigestValue>([^<]*)</ds:DigestValue>`)
	sigRE := regexp.MustCompile(`<ds:SignatureValue[^>]*>([^<]*)</ds:SignatureValue>`)

	for _, tc := range requestCases() {
		if tc.name != "importPaymentDocumentData" && tc.name != "importAccountData" && tc.name != "exportNsiItem" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			req, err := tc.build(ctx, f.builder)
			if err != nil {
				t.Fatal(err)
			}
			env := write(tc.name+".xml", string(req.Envelope))
			digests := digestRE.FindAllStringSubmatch(string(req.Envelope), -1)
			if len(digests) != 3 {
				t.Fatalf("found %d DigestValues, want 3", len(digests))
			}
			body := run(nil, "xmlstarlet", "c14n", "--exc-without-comments", env, xpBody)
			if got := digest(body); got != digests[0][1] {
				t.Errorf("body digest: libxml2+openssl %s, message says %s", got, digests[0][1])
			}
			props := run(nil, "xmlstarlet", "c14n", "--without-comments", env, xpProps)
			if got := digest(props); got != digests[1][1] {
				t.Errorf("SignedProperties digest: libxml2+openssl %s, message says %s", got, digests[1][1])
			}
			if got := digest(f.signer.Certificate().DER()); got != digests[2][1] {
				t.Errorf("certificate digest: openssl %s, message says %s", got, digests[2][1])
			}
			info := write("info.c14n", string(run(nil, "xmlstarlet", "c14n", "--without-comments", env, xpInfo)))
			m := sigRE.FindStringSubmatch(string(req.Envelope))
			sig, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				t.Fatal(err)
			}
			sigFile := write("sig.bin", string(sig))
			out := run(nil, "openssl", "dgst", "-engine", "gost", "-md_gost12_256", "-verify", pub, "-signature", sigFile, info)
			if !strings.HasPrefix(string(out), "Verified OK") {
				t.Errorf("openssl does not verify SignatureValue over libxml2's C14N of SignedInfo: %s", out)
			}
		})
	}
}
