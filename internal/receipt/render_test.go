package receipt

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/money"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// poppler runs a poppler-utils tool (installed by .ci/deps test).
func poppler(t *testing.T, tool string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Fatalf("%s not found: install poppler-utils (.ci/deps test)", tool)
	}
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return out
}

// renderTo renders with fn into dir/name.pdf and returns the path.
func renderTo(t *testing.T, dir, name string, fn func(*bytes.Buffer) error) string {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// pages rasterises a PDF and returns the page images in order.
func pages(t *testing.T, pdf string, dpi int) []image.Image {
	t.Helper()
	prefix := strings.TrimSuffix(pdf, ".pdf") + fmt.Sprintf("-%d", dpi)
	poppler(t, "pdftoppm", "-r", fmt.Sprint(dpi), "-png", pdf, prefix)
	files, _ := filepath.Glob(prefix + "-*.png")
	var imgs []image.Image
	for _, f := range files {
		imgs = append(imgs, readPNG(t, f))
	}
	return imgs
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// diffPixels counts pixels whose grey level differs by more than 48 of 255:
// anti-aliasing of another poppler version moves few pixels a little, a
// layout change moves many pixels a lot.
func diffPixels(a, b image.Image) (int, bool) {
	if a.Bounds() != b.Bounds() {
		return 0, false
	}
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			ga, gb := int(ar+ag+ab)/3>>8, int(br+bg+bb)/3>>8
			if ga-gb > 48 || gb-ga > 48 {
				n++
			}
		}
	}
	return n, true
}

func TestRenderGolden(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		fn   func(*bytes.Buffer) error
	}{
		{"document", func(b *bytes.Buffer) error { return Render(b, sample(t)) }},
		{"certificate", func(b *bytes.Buffer) error { return RenderCertificate(b, sampleCertificate()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imgs := pages(t, renderTo(t, dir, tc.name, tc.fn), 60)
			if *update {
				old, _ := filepath.Glob(filepath.Join("testdata", tc.name+"-page*.png"))
				for _, f := range old {
					os.Remove(f)
				}
			}
			golden, _ := filepath.Glob(filepath.Join("testdata", tc.name+"-page*.png"))
			if !*update && len(golden) != len(imgs) {
				t.Fatalf("%d pages, golden has %d (run with -update after checking the PDF)", len(imgs), len(golden))
			}
			for i, img := range imgs {
				path := filepath.Join("testdata", fmt.Sprintf("%s-page%d.png", tc.name, i+1))
				if *update {
					var b bytes.Buffer
					if err := png.Encode(&b, img); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				n, same := diffPixels(img, readPNG(t, path))
				limit := img.Bounds().Dx() * img.Bounds().Dy() / 1000
				if !same || n > limit {
					t.Errorf("page %d differs from %s: %d pixels (limit %d), same size %v; run with -update after checking the PDF",
						i+1, path, n, limit, same)
				}
			}
		})
	}
}

func TestRenderText(t *testing.T) {
	dir := t.TempDir()
	doc := renderTo(t, dir, "document", func(b *bytes.Buffer) error { return Render(b, sample(t)) })
	text := string(poppler(t, "pdftotext", "-layout", doc, "-"))
	for _, want := range []string{
		"ЕДИНЫЙ ПЛАТЁЖНЫЙ ДОКУМЕНТ", "ИЗВЕЩЕНИЕ", "Семёнова Алёна Пётровна", "№ 2026-11-000457",
		"Итого к оплате: 10 189,66 ₽", "Раздел 1.", "Раздел 2.", "Раздел 3.", "Раздел 4.", "Раздел 5.", "Раздел 6.",
		"Обращение с твёрдыми", "44525225", "40702810938000012345", "кВт·ч", "−33,40", "+124,50", "Пени (неустойка)",
		"18,47", "ХВ-17324", "Фонд капитального ремонта", "Оплатить до 15.12.2026", "Госуслуги Дом»", "страница 1 из 2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q", want)
		}
	}
	cert := renderTo(t, dir, "certificate", func(b *bytes.Buffer) error { return RenderCertificate(b, sampleCertificate()) })
	text = string(poppler(t, "pdftotext", cert, "-"))
	text = strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"СПРАВКА", "об отсутствии задолженности", "по состоянию на 01.12.2026 задолженность по оплате " +
		"жилищно-коммунальных услуг по указанному лицевому счёту отсутствует", "№ С-2026/1203", "Ё. В. Журавлёва", "М. П."} {
		if !strings.Contains(text, want) {
			t.Errorf("certificate pdftotext lacks %q", want)
		}
	}
}

func TestRenderEmbedsFonts(t *testing.T) {
	doc := renderTo(t, t.TempDir(), "document", func(b *bytes.Buffer) error { return Render(b, sample(t)) })
	out := string(poppler(t, "pdffonts", doc))
	var n int
	for _, l := range strings.Split(out, "\n")[2:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		n++
		// name type(2 words) encoding emb sub uni object ID
		if len(f) < 7 || f[4] != "yes" || f[6] != "yes" || !strings.Contains(f[0], "dejavu") {
			t.Errorf("font not embedded with a ToUnicode map: %q", l)
		}
	}
	if n != 2 {
		t.Errorf("%d fonts, want regular and bold:\n%s", n, out)
	}
}

func TestRenderQRDecodes(t *testing.T) {
	doc := renderTo(t, t.TempDir(), "document", func(b *bytes.Buffer) error { return Render(b, sample(t)) })
	img := pages(t, doc, 150)[0]
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8", gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode the QR code from page 1: %v", err)
	}
	if res.GetText() != samplePayload {
		t.Errorf("QR payload\n got %q\nwant %q", res.GetText(), samplePayload)
	}
}

func TestRenderPaginatesLongList(t *testing.T) {
	d := sample(t)
	base := d.Lines
	d.Lines = nil
	for i := range 7 {
		for _, l := range base {
			l.Service = fmt.Sprintf("%s, поставщик %d", l.Service, i+1)
			d.Lines = append(d.Lines, l)
		}
	}
	sumUp(&d)
	doc := renderTo(t, t.TempDir(), "long", func(b *bytes.Buffer) error { return Render(b, d) })
	text := string(poppler(t, "pdftotext", doc, "-"))
	pagesText := strings.Split(text, "\f")
	if len(pagesText) < 3 {
		t.Fatalf("%d pages for %d services, want the table to continue", len(pagesText)-1, len(d.Lines))
	}
	if !strings.Contains(pagesText[1], "Виды услуг") || !strings.Contains(pagesText[1], "Объём коммунальных") {
		t.Errorf("page 2 does not repeat the section 3 header:\n%.400s", pagesText[1])
	}
	if !strings.Contains(pagesText[1], "поставщик 7") {
		t.Errorf("page 2 does not carry the table's last rows")
	}
}

func TestRenderDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Render(&a, sample(t)); err != nil {
		t.Fatal(err)
	}
	if err := Render(&b, sample(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same document renders to different bytes")
	}
}

func TestRenderOverpayment(t *testing.T) {
	d := sample(t)
	d.Totals.OpeningBalance = -2000000
	d.Totals.HasPreliminary = false
	sumUp(&d)
	doc := renderTo(t, t.TempDir(), "over", func(b *bytes.Buffer) error { return Render(b, d) })
	text := strings.Join(strings.Fields(string(poppler(t, "pdftotext", doc, "-"))), " ")
	over := strings.ReplaceAll(money.Rubles(-d.Totals.TotalToPay), "\u00a0", " ")
	for _, want := range []string{"Итого к оплате: 0,00 ₽", "Аванс на начало периода", "Переплата (аванс) " + over + " ₽"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q", want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Document)
		field string
	}{
		{"no account", func(d *Document) { d.AccountNumber = "" }, "account_number: missing"},
		{"no bank", func(d *Document) { d.Recipient.Bank = BankDetails{} }, "recipient.bank.name: missing"},
		{"bad BIC", func(d *Document) { d.Recipient.Bank.BIC = "04452522" }, "recipient.bank.bic"},
		{"bad account", func(d *Document) { d.Recipient.Bank.Account = "4070281093800001234X" }, "recipient.bank.account"},
		{"no INN", func(d *Document) { d.Recipient.INN = "" }, "recipient.inn: missing"},
		{"no payer", func(d *Document) { d.Payer.Name = " " }, "payer.name: missing"},
		{"line total", func(d *Document) { d.Lines[3].Total++ }, "lines[3].total"},
		{"lines vs charged", func(d *Document) { d.Totals.Charged += 100; d.Totals.TotalToPay += 100 }, "totals.charged"},
		{"recalc sum", func(d *Document) { d.Totals.Recalculations = 0 }, "totals.recalculations"},
		{"total to pay", func(d *Document) { d.Totals.TotalToPay-- }, "totals.total_to_pay"},
		{"preliminary", func(d *Document) { d.Totals.TotalWithPreliminary = 0 }, "totals.total_with_preliminary"},
		{"recalc reason", func(d *Document) { d.Lines[1].RecalculationReason = "" }, "lines[1].recalculation_reason: missing"},
		{"negative benefit", func(d *Document) { d.Lines[0].Benefit = -5; d.Lines[0].Total += 5; sumUp(d) }, "lines[0].benefit"},
		{"quantity", func(d *Document) { d.Lines[2].Tariff = "55,6,7" }, "lines[2].tariff"},
		{"period", func(d *Document) { d.Period.Month = 13 }, "period"},
		{"due date", func(d *Document) { d.DueDate = time.Time{} }, "due_date: missing"},
		{"no lines", func(d *Document) { d.Lines = nil; sumUp(d) }, "lines: no services"},
		{"capital repair twice", func(d *Document) { d.CapitalRepairSeparate = true }, "capital_repair_separate"},
		{"ЕЛС length", func(d *Document) { d.UnifiedAccount = "00АА12345" }, "unified_account"},
		{"no QR", func(d *Document) { d.QRPNG = nil }, "qr_png: missing"},
		{"QR not PNG", func(d *Document) { d.QRPNG = []byte("GIF89a") }, "qr_png: not a PNG"},
		{"emoji", func(d *Document) { d.Notices = append(d.Notices, "С праздником 🎄") }, "notices[3]: character"},
		{"installment", func(d *Document) {
			d.Installments = []Installment{{Service: "Отопление", CurrentPeriod: 100, Total: 99}}
		}, "installments[0].total"},
		{"meter", func(d *Document) { d.Meters[1].Number = "" }, "meters[1].number: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sample(t)
			tc.edit(&d)
			err := Render(&bytes.Buffer{}, d)
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %v, want Invalid naming %q", err, tc.field)
			}
		})
	}
	d := sample(t)
	if err := d.Validate(); err != nil {
		t.Fatalf("sample: %v", err)
	}
	d.QRPNG = []byte("\x89PNG\r\n\x1a\nbroken")
	if err := Render(&bytes.Buffer{}, d); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "qr_png") {
		t.Errorf("broken PNG: err = %v, want Invalid naming qr_png", err)
	}
}

func TestCertificateRefusesDebt(t *testing.T) {
	c := sampleCertificate()
	c.Balance = 123456
	err := RenderCertificate(&bytes.Buffer{}, c)
	if !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), "задолженность 1\u00a0234,56 ₽") {
		t.Errorf("err = %v, want Conflict naming the debt", err)
	}
	for _, b := range []int64{0, -1} {
		if err := CheckNoDebt(b); err != nil {
			t.Errorf("CheckNoDebt(%d) = %v", b, err)
		}
	}
	c = sampleCertificate()
	c.AccountNumber = ""
	if err := RenderCertificate(&bytes.Buffer{}, c); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "account_number") {
		t.Errorf("err = %v, want Invalid naming account_number", err)
	}
}
