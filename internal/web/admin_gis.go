package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// maxXMLShown bounds the request/response XML shown on a page.
const maxXMLShown = 256 << 10

// gisRoutes registers the operators' pages for the GIS ZhKH exchange.
func (s *Server) gisRoutes() {
	s.admin("GET /admin/gis", s.gisPage)
	s.admin("GET /admin/gis/messages/{id}", s.gisMessagePage)
	s.admin("POST /admin/gis/messages/{id}/retry", s.gisRetry)
	s.admin("POST /admin/gis/sync", s.gisSync)
}

type gisData struct {
	Messages    []store.GISMessage
	Unconfirmed []store.GISUnconfirmed
	OrgID       int64
	Kind, State string
	Period      string
	Whats       []gisexchange.What
	States      []store.MessageState
	Message     string
	Orgs        []store.OrgChoice
	OrgNames    map[int64]string
}

// orgChoices lists the organizations for the console's choosers, with
// their names by id.
func (s *Server) orgChoices(r *http.Request) ([]store.OrgChoice, map[int64]string, error) {
	orgs, err := store.ListOrgChoices(r.Context(), s.deps.Pool)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	return orgs, names, nil
}

// gisPage is GET /admin/gis: messages by organization, subject, period and
// state, with counts and errors; for an organization and period, every
// item GIS has not confirmed.
func (s *Server) gisPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	q := r.URL.Query()
	d := gisData{Kind: q.Get("kind"), State: q.Get("state"), Period: q.Get("period"), Whats: gisexchange.Whats(),
		States: store.MessageStates, Message: s.takeFlash(r, st)}
	var err error
	if d.Orgs, d.OrgNames, err = s.orgChoices(r); err != nil {
		s.fail(w, r, st, err)
		return
	}
	f := store.GISMessageFilter{Kind: d.Kind, State: store.MessageState(d.State), Limit: 300}
	if v := q.Get("org"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			s.fail(w, r, st, apperr.Invalidf("gis console", "организация %q: выберите организацию из списка", v))
			return
		}
		d.OrgID, f.OrgID = id, id
	}
	var period time.Time
	if d.Period != "" {
		if !periodRe.MatchString(d.Period) {
			s.fail(w, r, st, apperr.Invalidf("gis console", "период %q: нужен вид ГГГГ-ММ, например 2026-10", d.Period))
			return
		}
		p, err := gisexchange.ParsePeriod(d.Period)
		if err != nil {
			s.fail(w, r, st, err)
			return
		}
		period, f.Period = p, &p
	}
	if d.Messages, err = store.ListGISMessages(r.Context(), s.deps.Pool, f); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if d.OrgID != 0 && !period.IsZero() {
		if d.Unconfirmed, err = store.ListGISUnconfirmed(r.Context(), s.deps.Pool, d.OrgID, period, 2000); err != nil {
			s.fail(w, r, st, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "admin_gis", st, d)
}

type gisMessageData struct {
	Message             store.GISMessage
	OrgName             string
	Items               []store.GISItem
	HeldClasses         []heldClass
	Request, Response   string
	RequestCut, RespCut bool
	Flash               string
}

// heldClass counts a message's held items of one error class.
type heldClass struct {
	Class gisexchange.ErrorClass
	Count int
}

// heldByClass counts held items by the class of their error code.
func heldByClass(items []store.GISItem) []heldClass {
	var out []heldClass
	for _, c := range gisexchange.ErrorClasses {
		n := 0
		for _, it := range items {
			if it.State == store.ItemHeld && gisexchange.ExplainError(it.ErrorCode).Class == c {
				n++
			}
		}
		if n > 0 {
			out = append(out, heldClass{Class: c, Count: n})
		}
	}
	return out
}

func cut(s string) (string, bool) {
	if len(s) > maxXMLShown {
		return s[:maxXMLShown], true
	}
	return s, false
}

// gisMessagePage is GET /admin/gis/messages/{id}: one message, its items
// and the request/response XML.
func (s *Server) gisMessagePage(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	m, items, err := store.GetGISMessage(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	_, names, err := s.orgChoices(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	d := gisMessageData{Message: m, Items: items, OrgName: names[m.OrgID], HeldClasses: heldByClass(items), Flash: s.takeFlash(r, st)}
	d.Request, d.RequestCut = cut(m.Request)
	d.Response, d.RespCut = cut(m.Response)
	s.render(w, r, http.StatusOK, "admin_gis_message", st, d)
}

// gisRetry is POST /admin/gis/messages/{id}/retry: a stopped message's
// objects are planned again by a new sync of the same subject; so are the
// objects of a done message GIS refused (held), once released — the
// operator has fixed their cause.
func (s *Server) gisRetry(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	m, _, err := store.GetGISMessage(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	released, err := store.ReleaseGISHeld(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	if m.State != store.MessageStopped && released == 0 {
		s.fail(w, r, st, apperr.E(apperr.Conflict, "gis retry", fmt.Sprintf("сообщение %d в состоянии «%s» и без задержанных объектов; повторяются только остановленные сообщения и задержанные объекты", id, ruLabel(string(m.State)))))
		return
	}
	args := jobs.GISSyncArgs{OrgID: m.OrgID, What: gisexchange.What(m.Kind)}
	if m.Period != nil {
		args.Period = m.Period.Format("2006-01")
	}
	if _, err := s.deps.Jobs.Insert(r.Context(), args, nil); err != nil {
		s.fail(w, r, st, err)
		return
	}
	_ = store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: "gis.retry",
		ObjectKind: "gis_message", ObjectID: strconv.FormatInt(id, 10), Details: map[string]any{"released": released}})
	s.setFlash(r, st, fmt.Sprintf("Повтор сообщения %d поставлен в очередь: новая синхронизация «%s»", id, ruLabel(m.Kind)))
	http.Redirect(w, r, "/admin/gis", http.StatusSeeOther)
}

// gisSync is POST /admin/gis/sync: start a sync from the console.
func (s *Server) gisSync(w http.ResponseWriter, r *http.Request, st *Staff) {
	org, err := strconv.ParseInt(r.FormValue("org"), 10, 64)
	if err != nil || org < 1 {
		s.fail(w, r, st, apperr.Invalidf("gis sync", "организация %q: выберите организацию из списка", r.FormValue("org")))
		return
	}
	args := jobs.GISSyncArgs{OrgID: org, What: gisexchange.What(r.FormValue("what")), Period: r.FormValue("period")}
	if err := checkGISSync(args.What, args.Period); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if _, err := s.deps.Jobs.Insert(r.Context(), args, nil); err != nil {
		s.fail(w, r, st, err)
		return
	}
	_ = store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: "gis.sync",
		ObjectKind: "organization", ObjectID: strconv.FormatInt(org, 10), Details: map[string]any{"what": string(args.What), "period": args.Period}})
	s.setFlash(r, st, "Синхронизация «"+ruLabel(string(args.What))+"» поставлена в очередь")
	http.Redirect(w, r, "/admin/gis?org="+strconv.FormatInt(org, 10), http.StatusSeeOther)
}

// checkGISSync accepts a console sync only for a subject of the registry and
// a YYYY-MM period (required when the subject needs one).
func checkGISSync(what gisexchange.What, period string) error {
	subj, ok := gisexchange.Lookup(what)
	if !ok {
		return apperr.Invalidf("gis sync", "предмет %q: выберите один из %v", what, gisexchange.Whats())
	}
	if period != "" && !periodRe.MatchString(period) {
		return apperr.Invalidf("gis sync", "период %q: нужен вид ГГГГ-ММ, например 2026-10", period)
	}
	if subj.Period {
		if _, err := gisexchange.ParsePeriod(period); err != nil {
			return err
		}
	}
	return nil
}

var periodRe = regexp.MustCompile(`^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$`)
