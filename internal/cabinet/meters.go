package cabinet

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// meterInfo is one meter on the «Информация об ИПУ» page.
type meterInfo struct {
	store.MeterCard
	// Note explains the verification date in plain Russian; Overdue marks it expired.
	Note    string
	Overdue bool
}

// metersPage is GET /accounts/{id}/meters: each meter's number, resource, place, dates, and a
// warning when the verification is overdue or due within VerificationSoon days.
func (c *Cabinet) metersPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	acc, cards, err := c.residentMeters(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	today := c.today()
	var ms []meterInfo
	for _, m := range cards {
		mi := meterInfo{MeterCard: m}
		if m.RetiredOn == nil {
			mi.Note, mi.Overdue = verificationNote(m.NextVerificationOn, today)
		}
		ms = append(ms, mi)
	}
	c.render(w, r, http.StatusOK, "meters", v, page{Title: "Информация об ИПУ", Data: map[string]any{"Account": acc, "Meters": ms}})
}

// historyColumn is a sortable column header of the history table.
type historyColumn struct {
	Title string
	Href  string
	// Mark is ▲ or ▼ on the column sorted by.
	Mark string
}

// meterHistoryPage is GET /accounts/{id}/meters/{meter}/history?sort=date|value|consumption&dir=asc|desc:
// every reading of the meter, sorted on the server, and a chart of monthly consumption.
func (c *Cabinet) meterHistoryPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	acc, err := store.ResidentAccount(r.Context(), c.deps.Pool, v.Resident.ID, accountID(r))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	meterID, _ := strconv.ParseInt(r.PathValue("meter"), 10, 64)
	sort := store.HistorySort(r.URL.Query().Get("sort"))
	if sort != store.SortValue && sort != store.SortConsumption {
		sort = store.SortDate
	}
	asc := r.URL.Query().Get("dir") == "asc"
	m, rows, err := store.ResidentMeterHistory(r.Context(), c.deps.Pool, v.Resident.ID, acc.AccountID, meterID, sort, asc)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	base := fmt.Sprintf("/accounts/%d/meters/%d/history", acc.AccountID, meterID)
	var cols []historyColumn
	for _, col := range []struct {
		s     store.HistorySort
		title string
	}{{store.SortDate, "Дата"}, {store.SortValue, "Показание"}, {store.SortConsumption, "Расход"}} {
		hc := historyColumn{Title: col.title, Href: base + "?" + url.Values{"sort": {string(col.s)}, "dir": {"desc"}}.Encode()}
		if col.s == sort {
			hc.Mark = "▼"
			if asc {
				hc.Mark = "▲"
			} else {
				hc.Href = base + "?" + url.Values{"sort": {string(col.s)}, "dir": {"asc"}}.Encode()
			}
		}
		cols = append(cols, hc)
	}
	c.render(w, r, http.StatusOK, "meter_history", v, page{Title: "История показаний", Data: map[string]any{
		"Account": acc, "Meter": m, "Rows": rows, "Columns": cols, "Chart": consumptionChart(rows)}})
}

// chart is a bar chart of consumption drawn as inline SVG by the template; coordinates are in
// the viewBox (chartW × chartH), so it scales to any width.
type chart struct {
	W, H, Base int
	Bars       []bar
	// Max is the top of the scale, as a resident reads it.
	Max string
}

type bar struct {
	X, Y, W, H int
	// CX is the bar's middle; VY and LY the baselines of its value and label.
	CX, VY, LY int
	// Label is the month under the bar; Value the consumption over it.
	Label, Value string
	TakenOn      time.Time
}

const (
	chartW, chartH = 420, 200
	chartBars      = 12 // the newest readings shown
)

var shortMonths = [...]string{"янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"}

// consumptionChart lays out the consumption of the newest chartBars trusted readings, oldest
// first; nil when there is nothing to draw.
func consumptionChart(rows []store.HistoryRow) *chart {
	var pts []store.HistoryRow
	for _, r := range rows {
		if r.Consumption != nil {
			pts = append(pts, r)
		}
	}
	if len(pts) == 0 {
		return nil
	}
	// Chronological, whatever the table's order.
	for i := 1; i < len(pts); i++ {
		for j := i; j > 0 && (pts[j].TakenOn.Before(pts[j-1].TakenOn)); j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
	if len(pts) > chartBars {
		pts = pts[len(pts)-chartBars:]
	}
	top := 0.0
	for _, p := range pts {
		top = math.Max(top, toFloat(*p.Consumption))
	}
	if top <= 0 {
		top = 1
	}
	const pad, labels, values = 6, 26, 20
	ch := &chart{W: chartW, H: chartH, Base: chartH - labels, Max: trimFloat(top)}
	// A few readings get wide slots, never more than a sixth of the width each.
	slot := (chartW - 2*pad) / max(len(pts), 6)
	bw := min(slot*2/3, 36)
	plot := float64(ch.Base - values)
	for i, p := range pts {
		h := int(math.Round(toFloat(*p.Consumption) / top * plot))
		x := pad + i*slot + (slot-bw)/2
		ch.Bars = append(ch.Bars, bar{X: x, Y: ch.Base - h, W: bw, H: h, CX: x + bw/2, VY: ch.Base - h - 4, LY: ch.Base + 19,
			Label: shortMonths[p.TakenOn.Month()-1], Value: trimFloat(toFloat(*p.Consumption)), TakenOn: p.TakenOn})
	}
	return ch
}

// unlinkPage is GET /accounts/{id}/unlink: asks to confirm.
func (c *Cabinet) unlinkPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	acc, err := store.ResidentAccount(r.Context(), c.deps.Pool, v.Resident.ID, accountID(r))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "unlink", v, page{Title: "Отвязать лицевой счёт", Data: map[string]any{"Account": acc}})
}

// unlinkConfirmed is POST /accounts/{id}/unlink: without confirm=yes it only asks to confirm.
func (c *Cabinet) unlinkConfirmed(w http.ResponseWriter, r *http.Request, v *visitor) {
	if r.PostFormValue("confirm") != "yes" {
		c.unlinkPage(w, r, v)
		return
	}
	c.unlink(w, r, v)
}

// notFound answers every URL no route knows, in Russian.
func (c *Cabinet) notFound(w http.ResponseWriter, r *http.Request) {
	c.fail(w, r, c.visitorOf(w, r), apperr.E(apperr.NotFound, "cabinet", "Такой страницы нет. Проверьте адрес или начните с главной."))
}

// nextCookie carries, across a login, the page a resident whose session ended was on.
const nextCookie = "zhkhgate_next"

// safeNext accepts only a path of this site: it starts with one "/", has no scheme or host,
// no backslash and no control characters. Anything else is "".
func safeNext(s string) string {
	if len(s) == 0 || len(s) > 512 || s[0] != '/' || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\") {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return s
}

// sessionEnded sends a visitor whose session cookie no longer names a live session (it ended
// while idle, or by its absolute timeout) to log in again, saying why, and remembers the page
// for after the login. A GET without any session cookie goes to the landing page as before.
func (c *Cabinet) sessionEnded(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(c.sessions.CookieName); err != nil || ck.Value == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	next := safeNext(r.URL.RequestURI())
	http.Redirect(w, r, "/?"+url.Values{"ok": {"idle"}, "next": {next}}.Encode(), http.StatusSeeOther)
}

// rememberNext keeps a safe ?next= in a short-lived cookie, so the login that follows — by
// password or through ESIA — returns there.
func (c *Cabinet) rememberNext(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if next == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: nextCookie, Value: url.QueryEscape(next), Path: "/", MaxAge: int(esiaLoginTTL.Seconds()),
		HttpOnly: true, Secure: c.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// afterLogin is where a login goes: the remembered page if it is safe, else def. The cookie is
// used once.
func (c *Cabinet) afterLogin(w http.ResponseWriter, r *http.Request, def string) string {
	ck, err := r.Cookie(nextCookie)
	if err != nil {
		return def
	}
	http.SetCookie(w, &http.Cookie{Name: nextCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	v, err := url.QueryUnescape(ck.Value)
	if next := safeNext(v); err == nil && next != "" {
		return next
	}
	return def
}
