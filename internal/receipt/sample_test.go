package receipt

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// samplePayload is a GOST R 56042 payload as internal/payqr would write it;
// this package only places the picture.
const samplePayload = "ST00012|Name=ООО «УК «Ёлкин двор»|PersonalAcc=40702810938000012345|BankName=ПАО Сбербанк" +
	"|BIC=044525225|CorrespAcc=30101810400000000225|Sum=1018966|PersAcc=7701234567|PaymPeriod=112026" +
	"|Purpose=Оплата ЖКУ за ноябрь 2026 г."

func qrPNG(t testing.TB, payload string) []byte {
	t.Helper()
	code, err := qr.Encode(payload, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	code, err = barcode.Scale(code, 400, 400)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, code); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// line builds a section 3 row whose total adds up.
func line(service, unit string, vi, vc, ni, nc, tariff Quantity, charged, recalc int64, reason string, benefit int64) Line {
	return Line{Service: service, Unit: unit, VolumeIndividual: vi, VolumeCommon: vc, NormIndividual: ni, NormCommon: nc,
		Tariff: tariff, Charged: charged, Recalculation: recalc, RecalculationReason: reason, Benefit: benefit,
		Total: charged + recalc - benefit}
}

// sample is a realistic November 2026 document: ten services, a
// recalculation, a benefit, penalties, three meters and capital repair.
func sample(t testing.TB) Document {
	d := Document{
		Recipient: Organization{
			Name: "ООО «Управляющая компания «Ёлкин двор»", INN: "7701234567", KPP: "770101001",
			Address: "125009, г. Москва, ул. Тверская, д. 7, офис 12", Phone: "+7 (495) 123-45-67",
			Email: "info@elkin-dvor.example", Site: "elkin-dvor.example",
			Bank: BankDetails{Name: "ПАО Сбербанк", BIC: "044525225", Account: "40702810938000012345",
				CorrAccount: "30101810400000000225"},
		},
		Payer: Payer{Name: "Семёнова Алёна Пётровна", Address: "125009, г. Москва, ул. Тверская, д. 7, кв. 45",
			Area: "54.3", Residents: 3},
		AccountNumber: "7701234567", UnifiedAccount: "00АА123456", ServiceID: "00АА123456-01",
		Period: Period{2026, time.November}, Number: "2026-11-000457",
		IssueDate: day(2026, time.December, 1), DueDate: day(2026, time.December, 15),
		Lines: []Line{
			line("Содержание жилого помещения", "кв.м", "54.3", "", "", "", "32.85", 178376, 0, "", 0),
			line("Холодное водоснабжение", "куб.м", "7.214", "", "6.935", "", "55.67", 40160, -3340,
				"Перерасчёт по показаниям ИПУ за октябрь 2026 г. (показания переданы после закрытия периода)", 0),
			line("Холодное водоснабжение на ОДН", "куб.м", "", "0.121", "", "0.0191", "55.67", 674, 0, "", 0),
			line("Горячее водоснабжение (теплоноситель)", "куб.м", "4.180", "", "4.745", "", "55.67", 23270, 0, "", 0),
			line("Горячее водоснабжение (тепловая энергия)", "Гкал", "0.2674", "", "0.0635", "", "3054.19", 81669, 0, "", 20417),
			line("Водоотведение", "куб.м", "11.394", "", "11.68", "", "45.73", 52105, 0, "", 0),
			line("Отопление", "Гкал", "1.1457", "", "0.0163", "", "3054.19", 349918, 12450,
				"Доначисление по итогам годовой корректировки за 2025 г. по показаниям общедомового прибора учёта", 87479),
			line("Электроснабжение (день)", "кВт·ч", "164", "", "", "", "8.96", 146944, 0, "", 0),
			line("Электроснабжение (ночь)", "кВт·ч", "71", "", "", "", "3.47", 24637, 0, "", 0),
			line("Обращение с твёрдыми коммунальными отходами", "чел.", "3", "", "", "", "192.04", 57612, 0, "", 0),
		},
		CapitalRepair: &CapitalRepair{
			Line: line("Взнос на капитальный ремонт", "кв.м", "54.3", "", "", "", "27.00", 146610, 0, "", 0),
			Fund: "Фонд капитального ремонта многоквартирных домов города Москвы",
		},
		Totals: Totals{OpeningBalance: 215430, Paid: 201500, LastPaymentDate: day(2026, time.November, 24),
			Penalties: 1847},
		PenaltyNote: "Пени начислены на задолженность за сентябрь 2026 г. (2 154,30 ₽) с 31-го дня просрочки по ставке " +
			"9,5 % (1/300), ч. 14 ст. 155 ЖК РФ.",
		Installments: []Installment{},
		Meters: []Meter{
			{Number: "ХВ-17324", Service: "Холодное водоснабжение", Unit: "куб.м", Previous: "312.481",
				PreviousDate: day(2026, time.October, 24), Current: "319.695", CurrentDate: day(2026, time.November, 23),
				Consumption: "7.214", VerificationDate: day(2030, time.March, 1)},
			{Number: "ГВ-08841", Service: "Горячее водоснабжение", Unit: "куб.м", Previous: "188.020",
				PreviousDate: day(2026, time.October, 24), Current: "192.200", CurrentDate: day(2026, time.November, 23),
				Consumption: "4.180", VerificationDate: day(2029, time.June, 15)},
			{Number: "Э-0045512 (Т1)", Service: "Электроснабжение (день)", Unit: "кВт·ч", Previous: "10452",
				PreviousDate: day(2026, time.October, 24), Current: "10616", CurrentDate: day(2026, time.November, 23),
				Consumption: "164", VerificationDate: day(2034, time.January, 1)},
			{Number: "Э-0045512 (Т2)", Service: "Электроснабжение (ночь)", Unit: "кВт·ч", Previous: "4480",
				PreviousDate: day(2026, time.October, 24), Current: "4551", CurrentDate: day(2026, time.November, 23),
				Consumption: "71", VerificationDate: day(2034, time.January, 1)},
		},
		HouseVolumes: []HouseVolume{
			{Service: "Холодное водоснабжение", Unit: "куб.м", Premises: "1843.2", Common: "31.6", HouseMeterTotal: "1874.8"},
			{Service: "Отопление", Unit: "Гкал", Premises: "286.4", Common: "", HouseMeterTotal: "286.4"},
		},
		LimitIndex: "11.9",
		Notices: []string{
			"Показания приборов учёта передавайте с 15-го по 23-е число месяца в личном кабинете, по телефону " +
				"+7 (495) 123-45-67 или в приложении «Госуслуги Дом».",
			"Плановое отключение горячего водоснабжения в доме: с 02.06.2027 по 15.06.2027 (гидравлические испытания).",
			"Оплата по QR-коду — без комиссии в мобильном приложении банка. Ваш платёж № 1 зачисляется в течение 1–3 рабочих дней.",
		},
		QRPNG: qrPNG(t, samplePayload),
	}
	sumUp(&d)
	d.Totals.HasPreliminary = true
	d.Totals.Preliminary = 905480
	d.Totals.TotalWithPreliminary = d.Totals.TotalToPay + d.Totals.Preliminary
	return d
}

// sumUp fills the document totals from its lines.
func sumUp(d *Document) {
	var ch, rc int64
	for _, l := range d.Lines {
		ch += l.Total
		rc += l.Recalculation
	}
	if d.CapitalRepair != nil {
		ch += d.CapitalRepair.Line.Total
		rc += d.CapitalRepair.Line.Recalculation
	}
	t := &d.Totals
	t.Charged, t.Recalculations = ch, rc
	t.TotalToPay = t.OpeningBalance - t.Paid + t.Charged + t.Penalties
	t.TotalWithPreliminary = t.TotalToPay + t.Preliminary
}

func sampleCertificate() Certificate {
	return Certificate{
		Organization: Organization{
			Name: "ООО «Управляющая компания «Ёлкин двор»", INN: "7701234567", KPP: "770101001",
			Address: "125009, г. Москва, ул. Тверская, д. 7, офис 12", Phone: "+7 (495) 123-45-67",
			Email: "info@elkin-dvor.example", Site: "elkin-dvor.example",
		},
		Number: "С-2026/1203", IssueDate: day(2026, time.December, 3), AsOf: day(2026, time.December, 1),
		AccountNumber: "7701234567", UnifiedAccount: "00АА123456",
		Address: "125009, г. Москва, ул. Тверская, д. 7, кв. 45", Payer: "Семёнова Алёна Пётровна", Area: "54.3",
		Balance: -1250, SignatoryTitle: "Начальник абонентского отдела", Signatory: "Ё. В. Журавлёва",
	}
}
