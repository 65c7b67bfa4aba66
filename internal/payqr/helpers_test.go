package payqr

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/modroot"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// samplesDir is ../shared/spec/samples beside the repository.
func samplesDir(t testing.TB) string {
	t.Helper()
	dir, err := modroot.Shared("spec", "samples")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recipient is the synthetic settlement center of the samples in ../shared/spec/samples/synthetic.
func recipient() Payment {
	return Payment{
		Name:        `ООО "РЦ Тестоград"`,
		PersonalAcc: "40702810600000012345",
		BankName:    "ПАО ТЕСТБАНК",
		BIC:         "044525999",
		CorrespAcc:  "30101810845250000999",
		PayeeINN:    "7720999999",
	}
}

// zhku1 is the payment of synthetic/qr-zhku-1.*: a whole month's bill.
func zhku1() Payment {
	p := recipient()
	p.KPP = "772001001"
	p.Sum = 451237
	p.Purpose = "Оплата ЖКУ за 02.2025, л/с 1002003004"
	p.PersAcc = "1002003004"
	p.PaymPeriod = "022025"
	p.LastName, p.FirstName, p.MiddleName = "Иванов", "Иван", "Иванович"
	p.PayerAddress = "г. Тестоград, ул. Примерная, д. 1, кв. 12"
	p.Category = "ЖКУ"
	p.TechCode = TechCodeHousing
	return p
}

// qrcoderRecipient is the payment of the QRCoder samples (five mandatory requisites).
func qrcoderRecipient(name string) Payment {
	return Payment{
		Name:        name,
		PersonalAcc: "40702810138250123017",
		BankName:    `ОАО "БАНК"`,
		BIC:         "044525225",
		CorrespAcc:  "30101810965770000413",
	}
}

func codes(devs []Deviation) []string {
	out := []string{}
	for _, d := range devs {
		s := string(d.Code)
		if d.Field != "" {
			s += ":" + d.Field
		}
		out = append(out, s)
	}
	return out
}
