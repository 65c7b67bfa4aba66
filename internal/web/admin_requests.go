package web

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// requestRoutes registers the operators' pages for residents' requests and notifications.
func (s *Server) requestRoutes() {
	s.admin("GET /admin/requests", s.requestsPage)
	s.admin("GET /admin/requests/{id}", s.requestPage)
	s.admin("GET /admin/requests/{id}/attachments/{aid}", s.requestAttachment)
	s.admin("POST /admin/requests/{id}/assign", s.requestAssign)
	s.admin("POST /admin/requests/{id}/update", s.requestUpdate)
	s.admin("GET /admin/notifications", s.notificationsPage)
	s.admin("POST /admin/notifications", s.notificationPost)
}

// option is a value of a select with its Russian title.
type option struct {
	Value, Title string
}

func stateOptions() []option {
	var out []option
	for _, st := range store.RequestStates {
		out = append(out, option{string(st), store.StateTitle(st)})
	}
	return out
}

func kindOptions() []option {
	var out []option
	for _, k := range store.RequestKinds {
		out = append(out, option{string(k), store.KindTitle(k)})
	}
	return out
}

type requestsData struct {
	Requests []store.Request
	States   []option
	Kinds    []option
	Orgs     []store.OrgChoice
	Filter   store.RequestFilter
	Message  string
}

// requestsPage is GET /admin/requests: requests with filters by state, category, organization
// and overdue; open ones by deadline first.
func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	q := r.URL.Query()
	f := store.RequestFilter{State: store.RequestState(q.Get("state")), Kind: store.RequestKind(q.Get("kind")), Overdue: q.Get("overdue") == "1"}
	f.OrgID, _ = strconv.ParseInt(q.Get("org"), 10, 64)
	if f.State != "" && !f.State.Valid() {
		f.State = ""
	}
	if f.Kind != "" && !f.Kind.Valid() {
		f.Kind = ""
	}
	list, err := store.StaffRequests(r.Context(), s.deps.Pool, f, s.now())
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	orgs, err := store.ListOrgChoices(r.Context(), s.deps.Pool)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_requests", st, requestsData{Requests: list, States: stateOptions(), Kinds: kindOptions(),
		Orgs: orgs, Filter: f, Message: s.takeFlash(r, st)})
}

func requestID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.E(apperr.NotFound, "admin requests", "нет такой заявки")
	}
	return id, nil
}

// requestPage is GET /admin/requests/{id}: the request, its photos and timeline, and the forms
// to assign it, change its state and answer.
func (s *Server) requestPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	ctx := r.Context()
	id, err := requestID(r, "id")
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	req, err := store.StaffRequest(ctx, s.deps.Pool, id, s.now())
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	timeline, err := store.RequestTimeline(ctx, s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	atts, err := store.RequestAttachments(ctx, s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	staff, err := store.ActiveStaff(ctx, s.deps.Pool)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	var next []option
	if !req.State.Closed() {
		for _, o := range stateOptions() {
			if o.Value != string(store.RequestNew) && o.Value != string(req.State) {
				next = append(next, o)
			}
		}
	}
	s.render(w, r, http.StatusOK, "admin_request", st, map[string]any{"Request": req, "Timeline": timeline,
		"Attachments": atts, "Staff": staff, "Next": next, "Message": s.takeFlash(r, st)})
}

// requestAttachment serves a request's photo to staff: its sniffed type, a disposition with the
// file name, and a CSP that forbids everything, so it never runs as a page.
func (s *Server) requestAttachment(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := requestID(r, "id")
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	aid, err := requestID(r, "aid")
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	a, err := store.StaffAttachment(r.Context(), s.deps.Pool, id, aid)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	serveAttachment(w, a)
}

func serveAttachment(w http.ResponseWriter, a store.Attachment) {
	h := w.Header()
	ct, disposition := a.ContentType, "inline"
	if ct != "image/jpeg" && ct != "image/png" {
		disposition = "attachment"
		if ct != "image/heic" {
			ct = "application/octet-stream"
		}
	}
	h.Set("Content-Type", ct)
	cd := mime.FormatMediaType(disposition, map[string]string{"filename": a.FileName})
	if cd == "" {
		cd = disposition + "; filename*=UTF-8''" + url.PathEscape(a.FileName)
	}
	h.Set("Content-Disposition", cd)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(a.Data)
}

// requestAssign is POST /admin/requests/{id}/assign.
func (s *Server) requestAssign(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := requestID(r, "id")
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	to, _ := strconv.ParseInt(r.PostFormValue("staff"), 10, 64)
	if err := store.AssignRequest(r.Context(), s.deps.Pool, id, st.User.ID, to, s.now()); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.auditStaff(r, st, "request", "request.assign", id, map[string]any{"to": to})
	s.setFlash(r, st, "Исполнитель назначен.")
	http.Redirect(w, r, "/admin/requests/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// requestUpdate is POST /admin/requests/{id}/update: a new state, an answer, or both; the
// resident is notified in the same transaction.
func (s *Server) requestUpdate(w http.ResponseWriter, r *http.Request, st *Staff) {
	ctx := r.Context()
	id, err := requestID(r, "id")
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	u := store.UpdateRequest{RequestID: id, StaffID: st.User.ID, State: store.RequestState(r.PostFormValue("state")),
		Answer: strings.ReplaceAll(r.PostFormValue("staff_answer"), "\r\n", "\n")}
	tx, err := s.deps.Pool.Begin(ctx)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	defer tx.Rollback(ctx)
	if err := store.UpdateRequestState(ctx, tx, u, s.now()); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: "request.update",
		ObjectKind: "request", ObjectID: strconv.FormatInt(id, 10),
		Details: map[string]any{"state": string(u.State), "answered": strings.TrimSpace(u.Answer) != ""}}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.setFlash(r, st, "Сохранено; житель получит уведомление.")
	http.Redirect(w, r, "/admin/requests/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// stamp is a moment as operators read it.
func stamp(t time.Time) string { return t.Local().Format("02.01.2006 15:04") }
