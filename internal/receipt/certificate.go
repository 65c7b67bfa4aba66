package receipt

import (
	"fmt"
	"io"
	"strings"
)

// RenderCertificate validates c (refusing an account in debt, see
// CheckNoDebt) and writes the debt-free certificate as an A4 PDF.
func (r *Renderer) RenderCertificate(w io.Writer, c Certificate) error {
	const op = "receipt: render certificate"
	if err := c.Validate(); err != nil {
		return err
	}
	p := r.newDoc(fmt.Sprintf("Справка № %s об отсутствии задолженности", c.Number), c.IssueDate)
	p.AddPage()
	o := c.Organization
	y := 16.0
	const x, cw = 20.0, pageW - 40

	// The issuer's header.
	p.font(true, 10)
	y += p.text(x, y, cw, o.Name, "C")
	p.font(false, 7.5)
	req := "ИНН " + o.INN
	if o.KPP != "" {
		req += ", КПП " + o.KPP
	}
	contacts := []string{o.Address, req}
	if o.Phone != "" {
		contacts = append(contacts, "тел. "+o.Phone)
	}
	if o.Email != "" {
		contacts = append(contacts, "e-mail: "+o.Email)
	}
	if o.Site != "" {
		contacts = append(contacts, o.Site)
	}
	y += p.text(x, y, cw, strings.Join(contacts, "; "), "C")
	y += 2
	p.SetLineWidth(0.5)
	p.Line(x, y, x+cw, y)
	p.SetLineWidth(0.2)
	y += 6

	p.font(false, 9)
	p.SetXY(x, y)
	p.CellFormat(cw/2, p.lineH(), date(c.IssueDate), "", 0, "L", false, 0, "")
	p.CellFormat(cw/2, p.lineH(), "№ "+c.Number, "", 0, "R", false, 0, "")
	y += 14

	p.font(true, 13)
	y += p.text(x, y, cw, "СПРАВКА", "C")
	p.font(true, 10)
	y += p.text(x, y, cw, "об отсутствии задолженности по оплате жилищно-коммунальных услуг", "C")
	y += 8

	p.font(false, 10)
	rows := [][2]string{
		{"Лицевой счёт:", c.AccountNumber},
	}
	if c.UnifiedAccount != "" {
		rows = append(rows, [2]string{"Единый лицевой счёт (ЕЛС):", c.UnifiedAccount})
	}
	rows = append(rows, [2]string{"Адрес помещения:", c.Address}, [2]string{"Собственник (плательщик):", c.Payer})
	if c.Area != "" {
		rows = append(rows, [2]string{"Общая площадь:", qty(c.Area) + " м²"})
	}
	const lw = 58.0
	for _, r := range rows {
		p.font(false, 10)
		p.SetXY(x, y)
		p.CellFormat(lw, p.lineH(), r[0], "", 0, "L", false, 0, "")
		p.font(true, 10)
		y += p.text(x+lw, y, cw-lw, r[1], "L") + 1.5
	}
	y += 6
	p.font(false, 10.5)
	y += p.text(x, y, cw, fmt.Sprintf("Настоящая справка выдана в том, что по состоянию на %s задолженность по оплате "+
		"жилищно-коммунальных услуг по указанному лицевому счёту отсутствует.", date(c.AsOf)), "L")
	y += 4
	p.font(false, 9)
	y += p.text(x, y, cw, "Справка выдана по месту требования.", "L")
	y += 24

	// Signature and stamp placeholders.
	p.font(false, 10)
	title := c.SignatoryTitle
	if title == "" {
		title = "Уполномоченное лицо"
	}
	p.text(x, y, 70, title, "L")
	p.SetXY(x+78, y+4)
	p.Line(x+78, y+4.5, x+120, y+4.5)
	p.font(false, 6.5)
	p.SetXY(x+78, y+5)
	p.CellFormat(42, 3, "подпись", "", 0, "C", false, 0, "")
	p.font(false, 10)
	p.SetXY(x+124, y)
	p.CellFormat(cw-124, p.lineH()+1, c.Signatory, "", 0, "L", false, 0, "")
	y += 16
	p.SetDrawColor(140, 140, 140)
	p.SetDashPattern([]float64{1, 1}, 0)
	p.Circle(x+20, y+12, 15, "D")
	p.SetDashPattern(nil, 0)
	p.font(false, 7)
	p.SetTextColor(120, 120, 120)
	p.SetXY(x+5, y+10.5)
	p.CellFormat(30, 3, "М. П.", "", 0, "C", false, 0, "")
	p.SetTextColor(0, 0, 0)
	p.SetDrawColor(0, 0, 0)
	return p.finish(op, w)
}
