package cabinet

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/receipt"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/docs"
)

// documentRoutes serves the PDFs of the account page's «Документы» section:
// a payment document per month and the debt-free certificate. Both answer
// only for an account the resident proved; any other id is 404.
func (c *Cabinet) documentRoutes() {
	c.mux.HandleFunc("GET /accounts/{id}/documents/{period}", c.resident(c.documentPDF))
	c.mux.HandleFunc("GET /accounts/{id}/certificate.pdf", c.resident(c.certificatePDF))
}

// documentPDF serves /accounts/{id}/documents/YYYY-MM.pdf.
func (c *Cabinet) documentPDF(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	acc, err := store.ResidentAccount(ctx, c.deps.Pool, v.Resident.ID, accountID(r))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	name := r.PathValue("period")
	period, err := time.Parse("2006-01.pdf", name)
	if err != nil {
		c.fail(w, r, v, apperr.E(apperr.NotFound, "payment document", "Такого документа нет."))
		return
	}
	data, err := store.DocumentForPDF(ctx, c.deps.Pool, acc.AccountID, period)
	if apperr.Is(err, apperr.NotFound) {
		c.fail(w, r, v, apperr.E(apperr.NotFound, "payment document", "Квитанции за этот месяц нет."))
		return
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	doc, err := docs.Document(data)
	if err != nil {
		// Stored totals that do not add up are the settlement center's fault, not the resident's: log
		// what is wrong and say the document is being prepared.
		c.deps.Logger.ErrorContext(ctx, "cabinet: payment document does not validate", "account", acc.Number,
			"period", period.Format("2006-01"), "error", err)
		c.fail(w, r, v, apperr.E(apperr.Unavailable, "payment document",
			"Квитанция за этот месяц сейчас недоступна: расчётный центр проверяет начисления. Попробуйте позже."))
		return
	}
	var b bytes.Buffer
	if err := receipt.Render(&b, doc); err != nil {
		c.fail(w, r, v, err)
		return
	}
	servePDF(w, fmt.Sprintf("epd-%s-%s.pdf", acc.Number, period.Format("2006-01")), b.Bytes())
}

// certificatePDF serves the debt-free certificate for today, or the refusal
// with the debt (409) while the account owes. Payments the bank has not yet
// brought in a registry do not count: a certificate states posted money only.
func (c *Cabinet) certificatePDF(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	acc, err := store.ResidentAccount(ctx, c.deps.Pool, v.Resident.ID, accountID(r))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	h, err := store.AccountDocumentHeader(ctx, c.deps.Pool, acc.AccountID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	now := c.now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	balance, err := store.AccountBalanceOn(ctx, c.deps.Pool, acc.AccountID, day)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := docs.CheckCertificate(h, balance); err != nil {
		c.fail(w, r, v, err)
		return
	}
	var b bytes.Buffer
	if err := receipt.RenderCertificate(&b, docs.Certificate(h, balance, day)); err != nil {
		c.fail(w, r, v, err)
		return
	}
	servePDF(w, "spravka-"+acc.Number+"-"+day.Format("20060102")+".pdf", b.Bytes())
}

func servePDF(w http.ResponseWriter, filename string, b []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(b)
}
