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
	Message     string
}

// gisPage is GET /admin/gis: messages by organization, subject, period and
// state, with counts and errors; for an organization and period, every
// item GIS has not confirmed.
func (s *Server) gisPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	q := r.URL.Query()
	d := gisData{Kind: q.Get("kind"), State: q.Get("state"), Period: q.Get("period"), Whats: gisexchange.Whats(), Message: s.takeFlash(r, st)}
	f := store.GISMessageFilter{Kind: d.Kind, State: store.MessageState(d.State), Limit: 300}
	if v := q.Get("org"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			s.fail(w, r, st, apperr.Invalidf("gis console", "org %q: want an organization id", v))
			return
		}
		d.OrgID, f.OrgID = id, id
	}
	var period time.Time
	if d.Period != "" {
		p, err := gisexchange.ParsePeriod(d.Period)
		if err != nil {
			s.fail(w, r, st, err)
			return
		}
		period, f.Period = p, &p
	}
	var err error
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
	Items               []store.GISItem
	Request, Response   string
	RequestCut, RespCut bool
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
	d := gisMessageData{Message: m, Items: items}
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
		s.fail(w, r, st, apperr.E(apperr.Conflict, "gis retry", fmt.Sprintf("message %d is %s with no held items; only stopped messages and held items are retried", id, m.State)))
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
	s.setFlash(r, st, fmt.Sprintf("retry of message %d queued as a new %s sync", id, m.Kind))
	http.Redirect(w, r, "/admin/gis", http.StatusSeeOther)
}

// gisSync is POST /admin/gis/sync: start a sync from the console.
func (s *Server) gisSync(w http.ResponseWriter, r *http.Request, st *Staff) {
	org, err := strconv.ParseInt(r.FormValue("org"), 10, 64)
	if err != nil || org < 1 {
		s.fail(w, r, st, apperr.Invalidf("gis sync", "org %q: want an organization id", r.FormValue("org")))
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
	s.setFlash(r, st, "sync of "+string(args.What)+" queued")
	http.Redirect(w, r, "/admin/gis?org="+strconv.FormatInt(org, 10), http.StatusSeeOther)
}

// checkGISSync accepts a console sync only for a subject of the registry and
// a YYYY-MM period (required when the subject needs one).
func checkGISSync(what gisexchange.What, period string) error {
	subj, ok := gisexchange.Lookup(what)
	if !ok {
		return apperr.Invalidf("gis sync", "what %q: want one of %v", what, gisexchange.Whats())
	}
	if period != "" && !periodRe.MatchString(period) {
		return apperr.Invalidf("gis sync", "period %q: want YYYY-MM", period)
	}
	if subj.Period {
		if _, err := gisexchange.ParsePeriod(period); err != nil {
			return err
		}
	}
	return nil
}

var periodRe = regexp.MustCompile(`^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$`)
