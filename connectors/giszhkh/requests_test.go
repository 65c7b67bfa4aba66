package giszhkh_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xades"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

const (
	org     = "6d2f5e3a-1b2c-4d5e-8f90-123456789abc"
	house   = "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"
	prem    = "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"
	accGUID = "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a"
	devGUID = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
	nsiGUID = "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c"
)

var coldWater = giszhkh.NsiRef{Code: "1", GUID: nsiGUID, Name: "Холодная вода"}

// requestCases builds one message of every request type the gateway sends.
func requestCases() []struct {
	name  string
	build func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error)
} {
	day := time.Date(2026, 10, 25, 0, 0, 0, 0, msk)
	return []struct {
		name  string
		build func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error)
	}{
		{"exportOrgRegistry", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportOrgRegistry(ctx, []giszhkh.OrgSearch{{OGRN: "1027700132195", KPP: "770401001"}, {OrgPPAGUID: org}})
		}},
		{"exportDataProvider", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportDataProvider(ctx, true)
		}},
		{"exportNsiItem", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportNsiItem(ctx, 2, "NSI", 0, time.Time{})
		}},
		{"exportNsiPagingItem", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportNsiItem(ctx, 51, "NSI", 3, day)
		}},
		{"exportDataProviderNsiItem", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportDataProviderNsiItem(ctx, org, 51)
		}},
		{"exportHouseData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportHouse(ctx, org, house)
		}},
		{"exportAccountData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportAccounts(ctx, org, giszhkh.AccountQuery{FIASHouseGUID: house})
		}},
		{"importAccountData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ImportAccounts(ctx, org, []giszhkh.Account{
				{TransportGUID: b.NewGUID(), AccountNumber: "100200300", FIASHouseGUID: house, TotalArea: "54.30", LivingPersons: 2,
					Surname: "Иванов", FirstName: "Иван", Patronymic: "Иванович"},
				{TransportGUID: b.NewGUID(), AccountNumber: "100200301", AccountGUID: accGUID, PremisesGUID: prem,
					Surname: "Петрова", FirstName: "Анна", ClosedOn: day, CloseReason: giszhkh.NsiRef{Code: "4", GUID: nsiGUID}},
				{TransportGUID: b.NewGUID(), AccountNumber: "100200302", PremisesGUID: prem, PayerOrgVersionGUID: nsiGUID},
			})
		}},
		{"exportMeteringDeviceData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportMeters(ctx, org, giszhkh.MeterQuery{FIASHouseGUID: house})
		}},
		{"importMeteringDeviceData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{
				{TransportGUID: b.NewGUID(), Number: "ХВ-000123", Model: "СВК-15", CommissioningDate: day, PremisesGUID: prem,
					AccountGUID: accGUID, Resource: coldWater, Unit: "113", InitialValue: "12.345"},
				{TransportGUID: b.NewGUID(), VersionGUID: devGUID, ArchiveReason: giszhkh.NsiRef{Code: "3", GUID: nsiGUID}},
			})
		}},
		{"exportMeteringDeviceHistory", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportMeterHistory(ctx, org, giszhkh.HistoryQuery{FIASHouseGUIDs: []string{house}, Resources: []giszhkh.NsiRef{coldWater}, From: day})
		}},
		{"importMeteringDeviceValues", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ImportReadings(ctx, org, []giszhkh.Reading{
				{TransportGUID: b.NewGUID(), RootGUID: devGUID, Resource: coldWater, Value: "15.5", Date: day},
				{TransportGUID: b.NewGUID(), RootGUID: accGUID, Resource: coldWater, Value: "101", Date: day},
			})
		}},
		{"importPaymentDocumentData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ImportPaymentDocuments(ctx, org, giszhkh.PaymentDocuments{
				Year: 2026, Month: 10, ProviderPPAGUID: org,
				Bank: giszhkh.BankDetails{TransportGUID: b.NewGUID(), BIK: "044525225", Account: "40702810938000012345"},
				Documents: []giszhkh.PaymentDocument{{
					TransportGUID: b.NewGUID(), AccountGUID: accGUID, Number: "2026-10-100200300",
					DebtKopecks: 12050, PayableKopecks: 345678,
					Charges: []giszhkh.Charge{
						{Kind: giszhkh.ChargeMunicipal, Service: coldWater, Rate: "45.120000", Volume: "5.5", AccruedKopecks: 24816, PayableKopecks: 24816, ProviderPPAGUID: org},
						{Kind: giszhkh.ChargeHousing, Service: giszhkh.NsiRef{Code: "1", GUID: nsiGUID}, Rate: "30.5", AccruedKopecks: 320862, PayableKopecks: 320862, ProviderPPAGUID: org},
						{Kind: giszhkh.ChargeCapitalRepair, Rate: "12.85", AccruedKopecks: 69776, PayableKopecks: 69776, ProviderPPAGUID: org},
					},
				}},
			})
		}},
		{"withdrawPaymentDocumentData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.WithdrawPaymentDocuments(ctx, org, []giszhkh.Withdrawal{{TransportGUID: b.NewGUID(), PaymentDocumentID: "12АБ345678-01-6101"}})
		}},
		{"exportPaymentDocumentData", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ExportPaymentDocuments(ctx, org, giszhkh.DocumentQuery{Year: 2026, Month: 10, AccountGUIDs: []string{accGUID}})
		}},
		{"importSupplierNotificationsOfOrderExecution", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ImportSupplierNotifications(ctx, org, []giszhkh.SupplierNotification{
				{TransportGUID: b.NewGUID(), OrderDate: day, Year: 2026, Month: 10, ServiceID: "1234567890-01", AmountKopecks: 150001},
				{TransportGUID: b.NewGUID(), OrderDate: day, PaymentDocumentID: "12АБ345678-01-6101", AmountKopecks: 5, Online: true},
			})
		}},
		{"importNotificationsOfOrderExecutionCancellation", func(ctx context.Context, b *giszhkh.Builder) (*giszhkh.Request, error) {
			return b.ImportCancellations(ctx, org, []giszhkh.Cancellation{{TransportGUID: b.NewGUID(), OrderID: "0123456789abcdef0123456789abcdef", Date: day, Comment: "Ошибочный платёж"}})
		}},
	}
}

// standalone returns el as its own document, with the namespace declarations
// it inherits (the SOAP prefix is not used inside bodies and headers).
func standalone(t *testing.T, el *etree.Element) []byte {
	t.Helper()
	d := etree.NewDocument()
	d.SetRoot(el.Copy())
	b, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var sigValueRE = regexp.MustCompile(`(<ds:SignatureValue[^>]*>)[^<]*(</ds:SignatureValue>)`)

// TestEveryRequestTypeValidates is the acceptance test of the issue: every
// request type, signed, validates against the official XSD with xmllint; its
// header validates against hcs-base.xsd; its signature verifies.
func TestEveryRequestTypeValidates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	verifier := xades.NewVerifier(f.tool, f.tool, f.signer.Certificate())
	for _, tc := range requestCases() {
		t.Run(tc.name, func(t *testing.T) {
			req, err := tc.build(ctx, f.builder)
			if err != nil {
				t.Fatal(err)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(req.Envelope); err != nil {
				t.Fatal(err)
			}
			body, err := giszhkh.BodyElement(doc)
			if err != nil {
				t.Fatal(err)
			}
			if body.Tag != req.Operation.Request || body.NamespaceURI() != req.Operation.RequestNS {
				t.Errorf("body element {%s}%s, want {%s}%s", body.NamespaceURI(), body.Tag, req.Operation.RequestNS, req.Operation.Request)
			}
			if err := f.xsd.Validate(ctx, string(req.Operation.Service), standalone(t, body)); err != nil {
				t.Errorf("body: %v", err)
			}
			hdr := giszhkh.HeaderElement(doc)
			if hdr == nil || hdr.Tag != req.Operation.Header {
				t.Fatalf("header element %v, want %s", hdr, req.Operation.Header)
			}
			if err := f.xsd.Validate(ctx, "lib", standalone(t, hdr)); err != nil {
				t.Errorf("header: %v", err)
			}
			if _, err := verifier.VerifyElement(ctx, body); err != nil {
				t.Errorf("signature: %v", err)
			}
			golden(t, tc.name+".xml", sigValueRE.ReplaceAll(req.Envelope, []byte("${1}MASKED${2}")))
		})
	}
}

func TestGetStateIsValidAndUnsigned(t *testing.T) {
	f := newFixture(t)
	req, err := f.builder.GetState(giszhkh.ServiceBills, org, "11111111-2222-4333-8444-555555555555")
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(req.Envelope); err != nil {
		t.Fatal(err)
	}
	body, err := giszhkh.BodyElement(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.xsd.Validate(context.Background(), "lib", standalone(t, body)); err != nil {
		t.Error(err)
	}
	if strings.Contains(string(req.Envelope), "xmldsig") {
		t.Error("getState must not be signed")
	}
}

// TestSchemaCatchesBrokenRequests shows the xmllint check can fail: a body
// with a missing required element is rejected with a message naming it.
func TestSchemaCatchesBrokenRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req, err := f.builder.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: "not-a-guid", AccountNumber: "1", FIASHouseGUID: house, Surname: "И", FirstName: "И"}})
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(req.Envelope); err != nil {
		t.Fatal(err)
	}
	body, _ := giszhkh.BodyElement(doc)
	err = f.xsd.Validate(ctx, "house-management", standalone(t, body))
	if !errors.Is(err, xsdcheck.ErrInvalid) || !strings.Contains(err.Error(), "TransportGUID") {
		t.Errorf("Validate(bad TransportGUID) = %v, want ErrInvalid naming TransportGUID", err)
	}
}

func TestVerifierRejectsTampering(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	req, err := requestCases()[7].build(ctx, f.builder) // importAccountData
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.tool.GenerateTestCredentials(ctx, t.TempDir(), "stranger")
	if err != nil {
		t.Fatal(err)
	}
	strangerCert, _ := gost.LoadCertificate(other.CertFile)
	tests := []struct {
		name    string
		edit    func(s string) string
		trusted *gost.Certificate
		want    string
	}{
		{"untouched", func(s string) string { return s }, f.signer.Certificate(), ""},
		{"content changed", func(s string) string { return strings.Replace(s, "100200300", "100200399", 1) }, f.signer.Certificate(), "reference 0 digest"},
		{"signing time changed", func(s string) string {
			return strings.Replace(s, "SigningTime>2026-11-02T10:30", "SigningTime>2026-11-02T10:31", 1)
		}, f.signer.Certificate(), "reference 1 digest"},
		{"signature value swapped", func(s string) string {
			return sigValueRE.ReplaceAllString(s, "${1}"+strings.Repeat("A", 86)+"==${2}")
		}, f.signer.Certificate(), "SignatureValue does not match"},
		{"untrusted certificate", func(s string) string { return s }, strangerCert, "not among the trusted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := etree.NewDocument()
			if err := doc.ReadFromString(tc.edit(string(req.Envelope))); err != nil {
				t.Fatal(err)
			}
			body, _ := giszhkh.BodyElement(doc)
			_, err := xades.NewVerifier(f.tool, f.tool, tc.trusted).VerifyElement(ctx, body)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyElement = %v", err)
				}
				return
			}
			if !errors.Is(err, xades.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("VerifyElement = %v, want ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}
