package receipt

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/money"
)

// Render validates d and writes it as an A4 PDF: the detachable «Извещение»
// strip with sections 1 and 2 and the QR code on top, then sections 3 to 6
// and the notices, continuing on further pages with the table header
// repeated.
func (r *Renderer) Render(w io.Writer, d Document) error {
	const op = "receipt: render document"
	if err := d.Validate(); err != nil {
		return err
	}
	p := r.newDoc(fmt.Sprintf("ЕПД № %s за %s", d.Number, d.Period), d.IssueDate)
	p.footer = fmt.Sprintf("ЕПД № %s за %s · лицевой счёт %s", d.Number, d.Period, d.AccountNumber)
	p.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(d.QRPNG))
	if err := p.Error(); err != nil {
		return apperr.Invalidf(op, "qr_png: %v", err)
	}
	p.AddPage()
	y := p.title(d)
	y = p.notice(y, d)
	y = p.cutLine(y)
	y = p.calculation(y, d)
	y = p.totals(y, d)
	y = p.reference(y+2, d)
	y = p.installments(y+2, d)
	y = p.recalculations(y+2, d)
	p.notices(y+2, d)
	return p.finish(op, w)
}

func (p *doc) title(d Document) float64 {
	y := marginT
	p.font(true, 9.5)
	y += p.text(marginX, y, contentW, "ЕДИНЫЙ ПЛАТЁЖНЫЙ ДОКУМЕНТ", "C")
	p.font(false, 7.5)
	y += p.text(marginX, y, contentW,
		"для внесения платы за содержание и ремонт жилого помещения и предоставление коммунальных услуг", "C")
	p.font(true, 8.5)
	y += p.text(marginX, y, contentW, fmt.Sprintf("за %s · № %s от %s", d.Period, d.Number, date(d.IssueDate)), "C")
	return y + 1.5
}

// notice draws the detachable strip: sections 1 and 2, the QR code and the
// sum to pay, framed, with «ИЗВЕЩЕНИЕ» written up its left edge.
func (p *doc) notice(y0 float64, d Document) float64 {
	const label = 9.0
	const qrW = 36.0
	x := marginX + label
	inner := contentW - label
	colW := (inner - qrW) / 2
	y := y0 + 1

	// Section 1: payer and provider.
	h1 := y
	p.font(true, 7.5)
	h1 += p.text(x, h1, colW, "Раздел 1. Сведения о плательщике и исполнителе услуг", "L") + 0.5
	h1 += p.pair(x, h1, colW, "Плательщик:", d.Payer.Name)
	h1 += p.pair(x, h1, colW, "Адрес:", d.Payer.Address)
	var prem []string
	if d.Payer.Area != "" {
		prem = append(prem, "площадь "+qty(d.Payer.Area)+" м²")
	}
	if d.Payer.Residents > 0 {
		prem = append(prem, fmt.Sprintf("проживает %d чел.", d.Payer.Residents))
	}
	if len(prem) > 0 {
		h1 += p.pair(x, h1, colW, "Помещение:", strings.Join(prem, ", "))
	}
	h1 += p.pair(x, h1, colW, "Лицевой счёт:", d.AccountNumber)
	if d.UnifiedAccount != "" {
		h1 += p.pair(x, h1, colW, "ЕЛС:", d.UnifiedAccount)
	}
	if d.ServiceID != "" {
		h1 += p.pair(x, h1, colW, "Идентификатор ЖКУ:", d.ServiceID)
	}
	h1 += p.pair(x, h1, colW, "Расчётный период:", d.Period.String())
	h1 += 0.8
	h1 += p.pair(x, h1, colW, "Исполнитель:", d.Recipient.Name)
	p.font(false, 6.5)
	contacts := []string{d.Recipient.Address}
	if d.Recipient.Phone != "" {
		contacts = append(contacts, "тел.\u00a0"+strings.ReplaceAll(d.Recipient.Phone, " ", "\u00a0"))
	}
	if d.Recipient.Email != "" {
		contacts = append(contacts, d.Recipient.Email)
	}
	if d.Recipient.Site != "" {
		contacts = append(contacts, d.Recipient.Site)
	}
	h1 += p.text(x, h1, colW, strings.Join(contacts, "; "), "L")

	// Section 2: payment details.
	x2 := x + colW + 2
	w2 := colW - 2
	h2 := y
	p.font(true, 7.5)
	h2 += p.text(x2, h2, w2, "Раздел 2. Информация для внесения платы получателю платежа", "L") + 0.5
	rc := d.Recipient
	h2 += p.pair(x2, h2, w2, "Получатель:", rc.Name)
	innKPP := rc.INN
	if rc.KPP != "" {
		innKPP += " / " + rc.KPP
	}
	h2 += p.pair(x2, h2, w2, "ИНН / КПП:", innKPP)
	h2 += p.pair(x2, h2, w2, "Р/с:", rc.Bank.Account)
	h2 += p.pair(x2, h2, w2, "Банк:", rc.Bank.Name)
	h2 += p.pair(x2, h2, w2, "БИК:", rc.Bank.BIC)
	h2 += p.pair(x2, h2, w2, "К/с:", rc.Bank.CorrAccount)
	h2 += p.pair(x2, h2, w2, "Назначение:", fmt.Sprintf("оплата ЖКУ за %s, л/с %s", d.Period, d.AccountNumber))
	if d.CapitalRepair != nil && d.CapitalRepair.Fund != "" {
		p.font(false, 6.5)
		h2 += p.text(x2, h2, w2, "Взнос на капремонт: "+d.CapitalRepair.Fund, "L")
	}

	// The QR code.
	xq := x + inner - qrW + 1
	p.ImageOptions("qr", xq, y+1, qrW-2, qrW-2, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.font(false, 6)
	hq := y + qrW + p.text(xq-1, y+qrW-0.5, qrW, "Оплата по QR-коду в приложении банка", "C")

	y = max(h1, h2, hq) + 1
	// The sum to pay.
	p.SetDrawColor(120, 120, 120)
	p.Line(x, y, marginX+contentW, y)
	p.SetDrawColor(0, 0, 0)
	y += 1
	t := d.Totals
	p.font(true, 11)
	sum := money.Rubles(max(t.TotalToPay, 0)) + " ₽"
	p.SetXY(x, y)
	p.CellFormat(inner*0.62, p.lineH(), "Итого к оплате: "+sum, "", 0, "L", false, 0, "")
	p.font(false, 8)
	p.SetXY(x+inner*0.62, y+0.5)
	p.CellFormat(inner*0.38, p.lineH(), "Оплатить до "+date(d.DueDate), "", 0, "R", false, 0, "")
	y += 11 * ptMM * 1.3
	p.font(false, 7)
	if t.TotalToPay < 0 {
		y += p.text(x, y, inner, "Переплата (аванс) "+money.Rubles(-t.TotalToPay)+" ₽ будет учтена в следующем периоде.", "L")
	}
	if t.HasPreliminary {
		y += p.text(x, y, inner, fmt.Sprintf("С учётом предварительного начисления за текущий месяц: %s ₽",
			money.Rubles(max(t.TotalWithPreliminary, 0))), "L")
	}
	y += 1.5
	p.font(false, 7)
	p.SetXY(x, y)
	p.CellFormat(inner, p.lineH(), "Оплачено: ____________ ₽      Дата: ____________      Подпись плательщика: ____________", "", 0, "L", false, 0, "")
	y += p.lineH() + 1

	p.Rect(marginX, y0, contentW, y-y0, "D")
	p.Line(x, y0, x, y)
	p.font(true, 9)
	word := "ИЗВЕЩЕНИЕ"
	cx := marginX + label/2
	cy := (y0 + y) / 2
	p.TransformBegin()
	p.TransformRotate(90, cx, cy)
	p.Text(cx-p.GetStringWidth(word)/2, cy+1.2, word)
	p.TransformEnd()
	return y
}

func (p *doc) cutLine(y float64) float64 {
	y += 3
	p.SetDrawColor(110, 110, 110)
	p.SetDashPattern([]float64{1.2, 1}, 0)
	p.Line(marginX+5, y, marginX+contentW, y)
	p.SetDashPattern(nil, 0)
	p.SetDrawColor(0, 0, 0)
	p.font(false, 9)
	p.Text(marginX, y+1.2, "✂")
	p.font(false, 5.5)
	p.SetTextColor(90, 90, 90)
	w := p.GetStringWidth("линия отреза") + 3
	p.SetFillColor(255, 255, 255)
	p.SetXY(marginX+(contentW-w)/2, y-1.2)
	p.CellFormat(w, 2.4, "линия отреза", "", 0, "C", true, 0, "")
	p.SetTextColor(0, 0, 0)
	return y + 3
}

// Section 3 columns: service, unit, volume (individual, common-house),
// tariff, charged, recalculations, benefits, total.
var calcCols = []column{
	{"Виды услуг", 48, "L"},
	{"Ед. изм.", 13, "C"},
	{"индивид. потребление", 17, "R"},
	{"общедомовые нужды", 17, "R"},
	{"Тариф, руб./ед.", 17, "R"},
	{"Начислено за период, руб.", 20, "R"},
	{"Перерасчёты, руб.", 20, "R"},
	{"Льготы, субсидии, руб.", 20, "R"},
	{"Итого к оплате за период, руб.", 22, "R"},
}

func (p *doc) calcHeader(y float64) float64 {
	p.font(false, 6.5)
	lh := p.lineH()
	h := 4*lh + 1
	x := marginX
	for i, c := range calcCols {
		switch i {
		case 2:
			p.headerCell(x, y, c.w+calcCols[3].w, h/2, "Объём коммунальных услуг")
			p.headerCell(x, y+h/2, c.w, h/2, "индивид.")
		case 3:
			p.headerCell(x, y+h/2, c.w, h/2, "на ОДН")
		default:
			p.headerCell(x, y, c.w, h, c.title)
		}
		x += c.w
	}
	return h
}

func nz(k int64) string {
	if k == 0 {
		return ""
	}
	return money.Rubles(k)
}

func (p *doc) calculation(y float64, d Document) float64 {
	y = p.ensure(y, 30)
	y += p.sectionTitle(y, "Раздел 3. Расчёт размера платы за содержание и ремонт жилого помещения и коммунальные услуги, взноса на капитальный ремонт")
	y += p.calcHeader(y)
	t := &table{d: p, cols: calcCols, header: p.calcHeader, size: 7}
	var charged, recalc, benefit, total int64
	add := func(l Line, service string) {
		y = t.row(y, []string{service, l.Unit, qty(l.VolumeIndividual), qty(l.VolumeCommon), qty(l.Tariff),
			money.Rubles(l.Charged), nz(l.Recalculation), nz(l.Benefit), money.Rubles(l.Total)}, false, false)
		charged += l.Charged
		recalc += l.Recalculation
		benefit += l.Benefit
		total += l.Total
	}
	for _, l := range d.Lines {
		add(l, l.Service)
	}
	if cr := d.CapitalRepair; cr != nil {
		s := cr.Line.Service
		if cr.Fund != "" {
			s += "\n(" + cr.Fund + ")"
		}
		add(cr.Line, s)
	}
	y = t.row(y, []string{"Итого", "", "", "", "", money.Rubles(charged), nz(recalc), nz(benefit), money.Rubles(total)}, true, true)
	if d.CapitalRepairSeparate {
		p.font(false, 6.5)
		y = p.ensure(y, p.lineH()+0.5)
		y += 0.5 + p.text(marginX, y+0.5, contentW, "Взнос на капитальный ремонт начисляется отдельным платёжным документом.", "L")
	}
	return y
}

// totals draws the way from the opening balance to the sum to pay.
func (p *doc) totals(y float64, d Document) float64 {
	t := d.Totals
	type row struct {
		label, value string
		bold         bool
	}
	opening := row{"Задолженность на начало периода", money.Rubles(t.OpeningBalance), false}
	if t.OpeningBalance < 0 {
		opening = row{"Аванс на начало периода (переплата)", money.Rubles(t.OpeningBalance), false}
	}
	paid := "Оплачено в расчётном периоде"
	if !t.LastPaymentDate.IsZero() {
		paid += " (последняя оплата " + date(t.LastPaymentDate) + ")"
	}
	rows := []row{
		opening,
		{paid, money.Rubles(-t.Paid), false},
		{"Начислено за " + d.Period.String(), money.Rubles(t.Charged), false},
	}
	if t.Recalculations != 0 {
		rows = append(rows, row{"   в том числе перерасчёты", money.Rubles(t.Recalculations), false})
	}
	rows = append(rows, row{"Пени (неустойка)", money.Rubles(t.Penalties), false})
	if t.TotalToPay < 0 {
		rows = append(rows, row{"ИТОГО К ОПЛАТЕ (переплата " + money.Rubles(-t.TotalToPay) + " ₽)", "0,00", true})
	} else {
		rows = append(rows, row{"ИТОГО К ОПЛАТЕ", money.Rubles(t.TotalToPay), true})
	}
	if t.HasPreliminary {
		next := time.Date(d.Period.Year, d.Period.Month+1, 1, 0, 0, 0, 0, time.UTC)
		rows = append(rows,
			row{fmt.Sprintf("Предварительно начислено за %s (текущий месяц, сумма может измениться)",
				Period{next.Year(), next.Month()}), money.Rubles(t.Preliminary), false},
			row{"Итого к оплате с учётом текущего месяца", money.Rubles(max(t.TotalWithPreliminary, 0)), true})
	}
	cols := []column{{"", contentW - 42, "R"}, {"", 42, "R"}}
	tb := &table{d: p, cols: cols, header: func(float64) float64 { return 0 }, size: 7.5}
	y = p.ensure(y, float64(len(rows))*4.5+2)
	y += 1
	for _, r := range rows {
		y = tb.row(y, []string{r.label, r.value}, r.bold, r.bold)
	}
	if d.PenaltyNote != "" {
		p.font(false, 6.5)
		y = p.ensure(y, float64(len(p.wrap(d.PenaltyNote, contentW)))*p.lineH()+0.5)
		y += 0.5 + p.text(marginX, y+0.5, contentW, d.PenaltyNote, "L")
	}
	return y
}

// reference draws section 4: norms and house volumes per service, the
// individual meter readings and the limit index.
func (p *doc) reference(y float64, d Document) float64 {
	y = p.ensure(y, 25)
	y += p.sectionTitle(y, "Раздел 4. Справочная информация")
	cols := []column{
		{"Вид услуги", 60, "L"}, {"Ед. изм.", 14, "C"},
		{"Норматив потребления: индивид.", 24, "R"}, {"Норматив потребления: на ОДН", 24, "R"},
		{"Объём в доме: в помещениях", 24, "R"}, {"Объём в доме: на ОДН", 24, "R"},
		{"Показания общедомового ПУ", 24, "R"},
	}
	houses := map[string]HouseVolume{}
	for _, h := range d.HouseVolumes {
		houses[h.Service] = h
	}
	var rows [][]string
	seen := map[string]bool{}
	for _, l := range d.Lines {
		h, ok := houses[l.Service]
		if l.NormIndividual == "" && l.NormCommon == "" && !ok {
			continue
		}
		seen[l.Service] = true
		rows = append(rows, []string{l.Service, l.Unit, qty(l.NormIndividual), qty(l.NormCommon), qty(h.Premises),
			qty(h.Common), qty(h.HouseMeterTotal)})
	}
	for _, h := range d.HouseVolumes {
		if !seen[h.Service] {
			rows = append(rows, []string{h.Service, h.Unit, "", "", qty(h.Premises), qty(h.Common), qty(h.HouseMeterTotal)})
		}
	}
	if len(rows) > 0 {
		hdr := p.simpleHeader(cols, 6.5)
		t := &table{d: p, cols: cols, header: hdr, size: 7}
		y = p.ensure(y, 14)
		y += hdr(y)
		for _, r := range rows {
			y = t.row(y, r, false, false)
		}
	}
	if len(d.Meters) > 0 {
		y = p.ensure(y+1.5, 18)
		p.font(true, 7)
		y += p.text(marginX, y, contentW, "Показания индивидуальных приборов учёта", "L")
		mcols := []column{
			{"Заводской № ПУ", 26, "L"}, {"Услуга", 54, "L"}, {"Ед. изм.", 13, "C"},
			{"Предыдущие показания", 26, "R"}, {"Текущие показания", 26, "R"},
			{"Расход", 24, "R"}, {"Следующая поверка", 25, "C"},
		}
		hdr := p.simpleHeader(mcols, 6.5)
		t := &table{d: p, cols: mcols, header: hdr, size: 7}
		y += hdr(y)
		for _, m := range d.Meters {
			prev, cur := qty(m.Previous), qty(m.Current)
			if !m.PreviousDate.IsZero() {
				prev += "\nот " + date(m.PreviousDate)
			}
			if !m.CurrentDate.IsZero() {
				cur += "\nот " + date(m.CurrentDate)
			}
			y = t.row(y, []string{m.Number, m.Service, m.Unit, prev, cur, qty(m.Consumption), date(m.VerificationDate)}, false, false)
		}
	}
	if d.LimitIndex != "" {
		p.font(false, 7)
		y = p.ensure(y, 2*p.lineH()+0.5)
		y += 0.5 + p.text(marginX, y+0.5, contentW, "Предельный индекс изменения размера платы граждан за коммунальные услуги в муниципальном образовании: "+qty(d.LimitIndex)+" %", "L")
	}
	if len(rows) == 0 && len(d.Meters) == 0 && d.LimitIndex == "" {
		p.font(false, 7)
		y += p.text(marginX, y+0.5, contentW, "Справочных сведений нет.", "L") + 0.5
	}
	return y
}

// installments draws section 5.
func (p *doc) installments(y float64, d Document) float64 {
	y = p.ensure(y, 14)
	y += p.sectionTitle(y, "Раздел 5. Расчёт суммы к оплате с учётом рассрочки платежа")
	if len(d.Installments) == 0 {
		p.font(false, 7)
		return y + 0.5 + p.text(marginX, y+0.5, contentW, "Рассрочка платежа не предоставлялась.", "L")
	}
	cols := []column{
		{"Вид услуги", 64, "L"}, {"Рассрочка от платы за расчётный период, руб.", 26, "R"},
		{"Рассрочка от платы за предыдущие периоды, руб.", 26, "R"}, {"Проценты за рассрочку, %", 26, "R"},
		{"Проценты за рассрочку, руб.", 26, "R"}, {"Сумма к оплате с учётом рассрочки, руб.", 26, "R"},
	}
	hdr := p.simpleHeader(cols, 6.5)
	t := &table{d: p, cols: cols, header: hdr, size: 7}
	y += hdr(y)
	for _, in := range d.Installments {
		y = t.row(y, []string{in.Service, money.Rubles(in.CurrentPeriod), money.Rubles(in.PreviousPeriods),
			qty(in.InterestPercent), money.Rubles(in.Interest), money.Rubles(in.Total)}, false, false)
	}
	return y
}

// recalculations draws section 6 from the lines' recalculations.
func (p *doc) recalculations(y float64, d Document) float64 {
	y = p.ensure(y, 14)
	y += p.sectionTitle(y, "Раздел 6. Сведения о перерасчётах (доначисления +, уменьшения −)")
	lines := d.Lines
	if d.CapitalRepair != nil {
		lines = append(lines[:len(lines):len(lines)], d.CapitalRepair.Line)
	}
	cols := []column{{"Вид услуги", 60, "L"}, {"Основание перерасчёта", 104, "L"}, {"Сумма, руб.", 30, "R"}}
	hdr := p.simpleHeader(cols, 6.5)
	t := &table{d: p, cols: cols, header: hdr, size: 7}
	first := true
	for _, l := range lines {
		if l.Recalculation == 0 {
			continue
		}
		if first {
			y += hdr(y)
			first = false
		}
		amount := money.Rubles(l.Recalculation)
		if l.Recalculation > 0 {
			amount = "+" + amount
		}
		y = t.row(y, []string{l.Service, l.RecalculationReason, amount}, false, false)
	}
	if first {
		p.font(false, 7)
		y += 0.5 + p.text(marginX, y+0.5, contentW, "Перерасчётов в расчётном периоде не было.", "L")
	}
	return y
}

// notices draws the messages to the payer.
func (p *doc) notices(y float64, d Document) float64 {
	if len(d.Notices) == 0 {
		return y
	}
	y = p.ensure(y, 14)
	y += p.sectionTitle(y, "Информация для плательщика")
	y += 0.5
	for _, n := range d.Notices {
		p.font(false, 7)
		lines := p.wrap("• "+n, contentW)
		for _, l := range lines {
			y = p.ensure(y, p.lineH())
			p.SetXY(marginX, y)
			p.CellFormat(contentW, p.lineH(), l, "", 0, "L", false, 0, "")
			y += p.lineH()
		}
		y += 0.5
	}
	return y
}
