package xsdcheck_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
)

// validators returns both implementations by name; every behaviour test runs
// against each, so the in-process one is held to the xmllint acceptance check.
func validators(t testing.TB) []namedValidator {
	t.Helper()
	spec, err := xsdcheck.FindSpecDir()
	if err != nil {
		t.Fatal(err)
	}
	inProcess, err := xsdcheck.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	xmllint, err := xsdcheck.NewXmllint(spec)
	if err != nil {
		t.Fatal(err)
	}
	return []namedValidator{{"in-process", inProcess}, {"xmllint", xmllint}}
}

type namedValidator struct {
	name string
	v    *xsdcheck.Validator
}

// part is one element of a golden request, as a standalone document.
type part struct {
	name, service string
	doc           []byte
}

// goldenParts returns the body and header of every golden request, as the
// request tests validate them: each element standalone, with the namespace
// declarations it inherits.
func goldenParts(t testing.TB) []part {
	t.Helper()
	files, err := filepath.Glob("../../testdata/golden/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden requests found")
	}
	var parts []part
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Golden files mask the signature value, which then is not
		// base64; any base64 stands in for it.
		raw = []byte(strings.Replace(string(raw), ">MASKED<", ">AAAA<", 1))
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		body, err := giszhkh.BodyElement(doc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		service := path.Base(strings.TrimSuffix(body.NamespaceURI(), "/"))
		if _, ok := xsdcheck.Schemas[service]; !ok {
			t.Fatalf("%s: body namespace %s names no known service", f, body.NamespaceURI())
		}
		hdr := giszhkh.HeaderElement(doc)
		if hdr == nil {
			t.Fatalf("%s: no header", f)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".xml")
		parts = append(parts,
			part{name + "/body", service, standalone(t, body)},
			part{name + "/header", "lib", standalone(t, hdr)})
	}
	return parts
}

func standalone(t testing.TB, el *etree.Element) []byte {
	t.Helper()
	d := etree.NewDocument()
	d.SetRoot(el.Copy())
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGoldenRequestsValidate(t *testing.T) {
	ctx := context.Background()
	parts := goldenParts(t)
	for _, nv := range validators(t) {
		for _, p := range parts {
			t.Run(nv.name+"/"+p.name, func(t *testing.T) {
				if err := nv.v.Validate(ctx, p.service, p.doc); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// withdrawal is a valid bills request, one element a line, so a broken copy
// has its error on a known line.
const withdrawal = `<b:importPaymentDocumentRequest xmlns:b="http://dom.gosuslugi.ru/schema/integration/bills/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" xmlns:bills-base="http://dom.gosuslugi.ru/schema/integration/bills-base/" Id="signed-data-container" base:version="11.2.0.16">
  <b:WithdrawPaymentDocument>
    <base:TransportGUID>00000000-0000-4000-8000-000000000035</base:TransportGUID>
    <bills-base:PaymentDocumentID>12АБ345678-01-6101</bills-base:PaymentDocumentID>
  </b:WithdrawPaymentDocument>
</b:importPaymentDocumentRequest>
`

// brokenCases are copies of withdrawal with one mistake each; line is where
// both validators report it and want a word the message must contain.
var brokenCases = []struct {
	name, old, new string
	line           int
	want           string
}{
	{"wrong element", "b:WithdrawPaymentDocument>", "b:WithdrawPaymentDocuments>", 2, "WithdrawPaymentDocuments"},
	{"bad pattern", "00000000-0000-4000-8000-000000000035", "not-a-guid", 3, "TransportGUID"},
	{"17-character document id", "12АБ345678-01-6101", "12АБ345678-01-610", 4, "PaymentDocumentID"},
	{"missing required element", "    <base:TransportGUID>00000000-0000-4000-8000-000000000035</base:TransportGUID>\n", "", 3, "TransportGUID"},
	{"not well-formed", "</bills-base:PaymentDocumentID>", "</bills-base:PaymentDocument>", 4, "parser error"},
	{"wrong namespace", "<bills-base:PaymentDocumentID>12АБ345678-01-6101</bills-base:PaymentDocumentID>", "<base:PaymentDocumentID>12АБ345678-01-6101</base:PaymentDocumentID>", 4, "PaymentDocumentID"},
	{"empty document", withdrawal, "", 1, "empty"},
}

func TestBrokenDocumentsAreRejected(t *testing.T) {
	ctx := context.Background()
	for _, nv := range validators(t) {
		// The control: without the mistake the document is valid, so each
		// rejection below is the mistake's.
		if err := nv.v.Validate(ctx, "bills", []byte(withdrawal)); err != nil {
			t.Fatalf("%s: the unbroken document: %v", nv.name, err)
		}
		for _, tc := range brokenCases {
			t.Run(nv.name+"/"+tc.name, func(t *testing.T) {
				doc := strings.ReplaceAll(withdrawal, tc.old, tc.new)
				if doc == withdrawal {
					t.Fatal("the case changes nothing")
				}
				err := nv.v.Validate(ctx, "bills", []byte(doc))
				if !errors.Is(err, xsdcheck.ErrInvalid) {
					t.Fatalf("Validate = %v, want ErrInvalid", err)
				}
				if line := fmt.Sprintf("-:%d:", tc.line); !strings.Contains(err.Error(), line) {
					t.Errorf("message does not name line %d: %v", tc.line, err)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("message does not mention %q: %v", tc.want, err)
				}
			})
		}
	}
}

// TestSameMessages: the in-process validator reports a mistake in the words
// xmllint uses (xmllint adds source context lines to parser errors).
func TestSameMessages(t *testing.T) {
	vs := validators(t)
	for _, tc := range brokenCases {
		doc := []byte(strings.ReplaceAll(withdrawal, tc.old, tc.new))
		var first []string
		for _, nv := range vs {
			err := nv.v.Validate(context.Background(), "bills", doc)
			if err == nil {
				t.Fatalf("%s: %s: accepted", nv.name, tc.name)
			}
			first = append(first, strings.SplitN(err.Error(), "\n", 2)[0])
		}
		if first[0] != first[1] {
			t.Errorf("%s: %s says %q, %s says %q", tc.name, vs[0].name, first[0], vs[1].name, first[1])
		}
	}
}

func TestUnknownService(t *testing.T) {
	for _, nv := range validators(t) {
		err := nv.v.Validate(context.Background(), "billz", []byte(withdrawal))
		if err == nil || errors.Is(err, xsdcheck.ErrInvalid) || !strings.Contains(err.Error(), "billz") {
			t.Errorf("%s: Validate(unknown service) = %v, want an error naming it, not ErrInvalid", nv.name, err)
		}
	}
}

// TestBrokenSchema: a schema that does not parse is the validator's fault,
// not the document's, so the error is not ErrInvalid.
func TestBrokenSchema(t *testing.T) {
	dir := t.TempDir()
	for _, f := range xsdcheck.Schemas {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("<xs:schema"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v, err := xsdcheck.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call gets the remembered failure
		err := v.Validate(context.Background(), "bills", []byte(withdrawal))
		if err == nil || errors.Is(err, xsdcheck.ErrInvalid) {
			t.Errorf("Validate with a broken schema = %v, want a non-ErrInvalid error", err)
		}
	}
}

// TestConcurrentValidation validates from 8 goroutines with one fresh
// validator, so the first use of each schema races too; run it with -race.
func TestConcurrentValidation(t *testing.T) {
	spec, err := xsdcheck.FindSpecDir()
	if err != nil {
		t.Fatal(err)
	}
	v, err := xsdcheck.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	parts := goldenParts(t)
	broken := []byte(strings.Replace(withdrawal, "12АБ345678-01-6101", "12АБ345678-01-610", 1))
	ctx := context.Background()
	const workers, rounds = 8, 3
	errs := make(chan error, workers*rounds*(len(parts)+1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				for i := range parts {
					p := parts[(i+w*5+r)%len(parts)] // each worker in its own order
					if err := v.Validate(ctx, p.service, p.doc); err != nil {
						errs <- fmt.Errorf("%s: %w", p.name, err)
					}
				}
				err := v.Validate(ctx, "bills", broken)
				if !errors.Is(err, xsdcheck.ErrInvalid) || !strings.Contains(err.Error(), "-:4:") {
					errs <- fmt.Errorf("broken document: %v, want ErrInvalid at line 4", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkValidate compares the in-process validator with xmllint on golden
// requests: house-management (importAccountData), bills
// (importPaymentDocumentData), lib (a request header), and bills-500, the
// payment documents message grown to 500 documents as the gateway sends them.
func BenchmarkValidate(b *testing.B) {
	parts := goldenParts(b)
	docs := map[string][]byte{}
	for _, p := range parts {
		switch p.name {
		case "importAccountData/body":
			docs["house-management"] = p.doc
		case "importPaymentDocumentData/body":
			docs["bills"] = p.doc
			docs["bills-500"] = manyDocuments(b, p.doc, 500)
		case "importAccountData/header":
			docs["lib"] = p.doc
		}
	}
	ctx := context.Background()
	for _, nv := range validators(b) {
		for _, name := range []string{"house-management", "bills", "bills-500", "lib"} {
			doc, service := docs[name], strings.TrimSuffix(name, "-500")
			if doc == nil {
				b.Fatalf("no golden document for %s", name)
			}
			b.Run(nv.name+"/"+name, func(b *testing.B) {
				if err := nv.v.Validate(ctx, service, doc); err != nil { // parses the schema outside the timing
					b.Fatal(err)
				}
				b.SetBytes(int64(len(doc)))
				for b.Loop() {
					if err := nv.v.Validate(ctx, service, doc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// manyDocuments returns the importPaymentDocumentRequest body with its
// PaymentDocument repeated to n, each with its own TransportGUID (a key).
func manyDocuments(b *testing.B, body []byte, n int) []byte {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil {
		b.Fatal(err)
	}
	root := doc.Root()
	pd := root.SelectElement("PaymentDocument")
	if pd == nil || pd.SelectElement("TransportGUID") == nil {
		b.Fatal("no PaymentDocument with a TransportGUID in the golden request")
	}
	for i := 1; i < n; i++ {
		c := pd.Copy()
		c.SelectElement("TransportGUID").SetText(fmt.Sprintf("00000000-0000-4000-9000-%012d", i))
		root.InsertChildAt(pd.Index()+i, c)
	}
	return standalone(b, root)
}
