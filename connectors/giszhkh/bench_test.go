package giszhkh_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

// benchDocuments returns n payment documents with three service lines each,
// the shape of a month's bill.
func benchDocuments(b *giszhkh.Builder, n int) giszhkh.PaymentDocuments {
	p := giszhkh.PaymentDocuments{Year: 2026, Month: 10, ProviderPPAGUID: org,
		Bank: giszhkh.BankDetails{TransportGUID: b.NewGUID(), BIK: "044525225", Account: "40702810938000012345"}}
	for i := range n {
		p.Documents = append(p.Documents, giszhkh.PaymentDocument{
			TransportGUID: b.NewGUID(), AccountGUID: accGUID, Number: fmt.Sprintf("2026-10-%08d", i),
			DebtKopecks: int64(i % 5000), PayableKopecks: 345678,
			Charges: []giszhkh.Charge{
				{Kind: giszhkh.ChargeMunicipal, Service: coldWater, Rate: "45.12", Volume: "5.5", AccruedKopecks: 24816, PayableKopecks: 24816, ProviderPPAGUID: org},
				{Kind: giszhkh.ChargeMunicipal, Service: coldWater, Rate: "210.7", Volume: "3.1", AccruedKopecks: 65317, PayableKopecks: 65317, ProviderPPAGUID: org},
				{Kind: giszhkh.ChargeHousing, Service: coldWater, Rate: "30.5", AccruedKopecks: 255545, PayableKopecks: 255545, ProviderPPAGUID: org},
			},
		})
	}
	return p
}

// BenchmarkPaymentDocuments measures build + sign of 500-document messages
// (documents/s), beside plain encoding/xml marshalling of the same documents.
func BenchmarkPaymentDocuments(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	docs := benchDocuments(f.builder, giszhkh.MaxDocumentsPerImport)
	b.Run("build+sign", func(b *testing.B) {
		var size int
		for b.Loop() {
			req, err := f.builder.ImportPaymentDocuments(ctx, org, docs)
			if err != nil {
				b.Fatal(err)
			}
			size = len(req.Envelope)
		}
		b.ReportMetric(float64(len(docs.Documents))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		b.ReportMetric(float64(size), "bytes/msg")
	})
	b.Run("build+sign-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.builder.ImportPaymentDocuments(ctx, org, docs); err != nil {
					b.Error(err)
				}
			}
		})
		b.ReportMetric(float64(len(docs.Documents))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	})
	b.Run("encoding-xml", func(b *testing.B) {
		for b.Loop() {
			if _, err := xml.Marshal(docs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(docs.Documents))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	})
}
