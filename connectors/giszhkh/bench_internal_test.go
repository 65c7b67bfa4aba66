package giszhkh

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/canon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

const benchOrg = "6d2f5e3a-1b2c-4d5e-8f90-123456789abc"

// benchDocuments returns n payment documents shaped like a month's bill:
// two utilities with volumes, housing maintenance and capital repair.
func benchDocuments(b *Builder, n, offset int) PaymentDocuments {
	water := NsiRef{Code: "1", GUID: "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c"}
	p := PaymentDocuments{Year: 2026, Month: 10, ProviderPPAGUID: benchOrg,
		Bank: BankDetails{TransportGUID: b.NewGUID(), BIK: "044525225", Account: "40702810938000012345"}}
	for i := range n {
		p.Documents = append(p.Documents, PaymentDocument{
			TransportGUID: b.NewGUID(), AccountGUID: "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a", Number: fmt.Sprintf("2026-10-%08d", offset+i),
			DebtKopecks: int64(i % 5000), PayableKopecks: 411454,
			Charges: []Charge{
				{Kind: ChargeMunicipal, Service: water, Rate: "48.2", Volume: "5.5", AccruedKopecks: 26510, PayableKopecks: 26510, ProviderPPAGUID: benchOrg},
				{Kind: ChargeMunicipal, Service: water, Rate: "235.1", Volume: "3.1", AccruedKopecks: 72881, PayableKopecks: 72881, ProviderPPAGUID: benchOrg},
				{Kind: ChargeHousing, Service: water, Rate: "28.5", AccruedKopecks: 154755, PayableKopecks: 154755, ProviderPPAGUID: benchOrg},
				{Kind: ChargeCapitalRepair, Rate: "12.85", AccruedKopecks: 69776, PayableKopecks: 69776, ProviderPPAGUID: benchOrg},
			},
		})
	}
	return p
}

func benchBuilder(b *testing.B) *Builder {
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		b.Fatal(err)
	}
	signer, err := tool.LoadSigner(ctx, "testdata/operator-key.pem", "testdata/operator-cert.pem")
	if err != nil {
		b.Fatal(err)
	}
	bl, err := NewBuilder(ctx, signer, tool, BuilderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return bl
}

// checkValid validates one benchmark message with xmllint, so the figures
// are for schema-valid messages.
func checkValid(b *testing.B, req *Request) {
	spec, err := xsdcheck.FindSpecDir()
	if err != nil {
		b.Fatal(err)
	}
	v, err := xsdcheck.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(req.Envelope); err != nil {
		b.Fatal(err)
	}
	body, err := BodyElement(doc)
	if err != nil {
		b.Fatal(err)
	}
	d := etree.NewDocument()
	d.SetRoot(body.Copy())
	out, _ := d.WriteToBytes()
	if err := v.Validate(context.Background(), "bills", out); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPaymentDocuments measures one importPaymentDocumentData message
// of 500 documents: encoding/xml marshalling of the generated request, our
// canonical writing of the body alone, and the whole canonical build + XAdES
// GOST signing (sequential and on all cores).
func BenchmarkPaymentDocuments(b *testing.B) {
	bl := benchBuilder(b)
	ctx := context.Background()
	docs := benchDocuments(bl, MaxDocumentsPerImport, 0)
	req, err := bl.ImportPaymentDocuments(ctx, benchOrg, docs)
	if err != nil {
		b.Fatal(err)
	}
	checkValid(b, req)
	perSecond := func(b *testing.B) {
		b.ReportMetric(float64(len(docs.Documents))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	}
	b.Run("encoding-xml", func(b *testing.B) {
		body, _, err := paymentDocumentsBody(docs)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := xml.Marshal(body); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
	b.Run("canonical-body", func(b *testing.B) {
		body, _, err := paymentDocumentsBody(docs)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := canon.New(&buf, prefixes).Element(body); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
	})
	b.Run("build+sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := bl.ImportPaymentDocuments(ctx, benchOrg, docs); err != nil {
				b.Fatal(err)
			}
		}
		perSecond(b)
		b.ReportMetric(float64(len(req.Envelope)), "bytes/msg")
	})
	b.Run("build+sign-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := bl.ImportPaymentDocuments(ctx, benchOrg, docs); err != nil {
					b.Error(err)
				}
			}
		})
		perSecond(b)
	})
}

// BenchmarkPaymentDocuments100k builds and signs the month's documents of
// 100 000 accounts (200 messages of 500) on all cores; run with -benchtime 1x.
func BenchmarkPaymentDocuments100k(b *testing.B) {
	const accounts = 100_000
	bl := benchBuilder(b)
	ctx := context.Background()
	var batches []PaymentDocuments
	for off := 0; off < accounts; off += MaxDocumentsPerImport {
		batches = append(batches, benchDocuments(bl, MaxDocumentsPerImport, off))
	}
	for b.Loop() {
		work := make(chan PaymentDocuments)
		var wg sync.WaitGroup
		var bytes int64
		var mu sync.Mutex
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for p := range work {
					req, err := bl.ImportPaymentDocuments(ctx, benchOrg, p)
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					bytes += int64(len(req.Envelope))
					mu.Unlock()
				}
			})
		}
		for _, p := range batches {
			work <- p
		}
		close(work)
		wg.Wait()
		b.ReportMetric(float64(bytes)/float64(len(batches)), "bytes/msg")
	}
	b.ReportMetric(float64(accounts)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
