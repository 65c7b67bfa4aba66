package xades_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xades"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

const doc = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
	`<hm:req xmlns:hm="urn:test:hm" xmlns:base="urn:test:base" Id="signed-data-container" base:version="1"><base:TransportGUID>x</base:TransportGUID>` +
	`<hm:v a="1 &amp; 2">text &lt; more</hm:v></hm:req></soapenv:Body></soapenv:Envelope>`

func setup(t testing.TB) (*xades.Signer, *xades.Verifier) {
	t.Helper()
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := tool.LoadSigner(ctx, "../../testdata/operator-key.pem", "../../testdata/operator-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	s, err := xades.NewSigner(ctx, key, tool, xades.Options{Now: func() time.Time { return time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return s, xades.NewVerifier(tool, tool, key.Certificate())
}

func signed(t testing.TB, s *xades.Signer) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	el := d.FindElement("//req")
	if err := s.SignElement(context.Background(), el); err != nil {
		t.Fatal(err)
	}
	out, err := d.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func verify(v *xades.Verifier, xml string) error {
	d := etree.NewDocument()
	if err := d.ReadFromString(xml); err != nil {
		return err
	}
	el := d.FindElement("//req")
	if el == nil {
		return errors.New("no element")
	}
	_, err := v.VerifyElement(context.Background(), el)
	return err
}

// TestSignElement covers the etree signing path (the builder uses
// SignCanonical): a signature made on a parsed document verifies after a
// serialization round trip, and edits break it.
func TestSignElement(t *testing.T) {
	s, v := setup(t)
	out := signed(t, s)
	if !strings.Contains(out, `<hm:req xmlns:hm="urn:test:hm" xmlns:base="urn:test:base" Id="signed-data-container" base:version="1"><ds:Signature`) {
		t.Errorf("signature is not the first child: %.300s", out)
	}
	if err := verify(v, out); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	for _, edit := range []struct{ from, to, want string }{
		{"text &lt; more", "text &lt; mor", "reference 0"},
		{`a="1 &amp; 2"`, `a="1 &amp; 3"`, "reference 0"},
		{`Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"`, `Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"`, "transforms"},
		{"<ds:X509SerialNumber>", "<ds:X509SerialNumber>1", "reference 1"},
	} {
		err := verify(v, strings.Replace(out, edit.from, edit.to, 1))
		if !errors.Is(err, xades.ErrInvalid) || !strings.Contains(err.Error(), edit.want) {
			t.Errorf("edit %q → %q: %v, want ErrInvalid mentioning %q", edit.from, edit.to, err, edit.want)
		}
	}
	d := etree.NewDocument()
	_ = d.ReadFromString(doc)
	el := d.FindElement("//req")
	el.RemoveAttr("Id")
	if err := s.SignElement(context.Background(), el); err == nil {
		t.Error("signed an element without Id")
	}
}

func FuzzVerifyElement(f *testing.F) {
	s, v := setup(f)
	f.Add(signed(f, s))
	f.Add(doc)
	f.Fuzz(func(t *testing.T, xml string) {
		// Any input: an error or a verified signature, never a panic; a
		// verified one must still be ours after a reparse.
		if err := verify(v, xml); err == nil {
			if err := verify(v, xml); err != nil {
				t.Fatalf("verification not repeatable: %v", err)
			}
		}
	})
}
