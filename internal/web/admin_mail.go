package web

import (
	"html/template"
	"net/http"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// mailContent is the admin page of letters the capturing mailer kept instead of sending (demo
// and test setups): confirmation and password-reset links can be opened from here.
const mailContent = `{{define "title"}}Mail — zhkhgate{{end}}
{{define "content"}}
<h1>Captured mail</h1>
<p class="muted">Letters to residents are kept here instead of being sent when no SMTP server is configured (ZHKHGATE_SMTP_ADDR).</p>
<form method="get" action="/admin/mail"><input type="text" name="to" placeholder="recipient" value="{{.Data.To}}"> <button type="submit">Filter</button></form>
{{if .Data.Mail}}
{{range .Data.Mail}}
<section class="card mail">
  <h2>{{.Subject}}</h2>
  <p class="muted">to {{.Recipient}} · {{datetime .At}}</p>
  <pre>{{.Body}}</pre>
</section>
{{end}}
{{else}}<p class="muted">No captured mail.</p>{{end}}
{{end}}`

// mailPage is GET /admin/mail.
func (s *Server) mailPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	to := r.URL.Query().Get("to")
	mail, err := store.RecentCapturedMail(r.Context(), s.deps.Pool, to, 100)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	// The page uses the console layout; its own blocks live here beside the handler.
	t, err := template.New("layout.html").Funcs(template.FuncMap{
		"datetime": func(t time.Time) string { return t.Local().Format("02.01.2006 15:04:05") },
	}).ParseFS(assets, "templates/layout.html")
	if err == nil {
		t, err = t.Parse(mailContent)
	}
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	p := Page{Staff: st, CSRF: st.Session.CSRFToken, Path: r.URL.Path, Data: map[string]any{"To": to, "Mail": mail}}
	if err := t.ExecuteTemplate(w, "layout.html", p); err != nil {
		s.deps.Logger.Error("web: render mail page", "error", err)
	}
}
