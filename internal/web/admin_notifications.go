package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// notificationsPage is GET /admin/notifications: the form to post a notice to a house, an
// organization or everyone, and the notices posted.
func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	ctx := r.Context()
	list, err := store.RecentBroadcasts(ctx, s.deps.Pool, 50)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	houses, err := store.Houses(ctx, s.deps.Pool)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	orgs, err := store.ListOrgChoices(ctx, s.deps.Pool)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_notifications", st, map[string]any{"Broadcasts": list, "Houses": houses, "Orgs": orgs,
		"MayAll": may(st.User.Role, PermNotifyAll), "Message": s.takeFlash(r, st)})
}

// notificationPost is POST /admin/notifications. Everyone at once needs PermNotifyAll.
func (s *Server) notificationPost(w http.ResponseWriter, r *http.Request, st *Staff) {
	ctx := r.Context()
	b := store.Broadcast{StaffID: st.User.ID, Scope: store.BroadcastScope(r.PostFormValue("scope")),
		Subject: strings.TrimSpace(r.PostFormValue("subject")), Body: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("notice_body"), "\r\n", "\n"))}
	switch b.Scope {
	case store.ScopeHouse:
		id, _ := strconv.ParseInt(r.PostFormValue("house"), 10, 64)
		b.HouseID = &id
	case store.ScopeOrg:
		id, _ := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
		b.OrgID = &id
	case store.ScopeAll:
		if !may(st.User.Role, PermNotifyAll) {
			s.fail(w, r, st, errForbidden(st.User.Role))
			return
		}
	default:
		s.fail(w, r, st, apperr.Invalidf("post notice", "выберите, кому: дому, организации или всем"))
		return
	}
	if b.Subject == "" || len([]rune(b.Subject)) > 200 || len([]rune(b.Body)) > 4000 {
		s.fail(w, r, st, apperr.Invalidf("post notice", "тема: от 1 до 200 символов, текст: не больше 4000"))
		return
	}
	tx, err := s.deps.Pool.Begin(ctx)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	defer tx.Rollback(ctx)
	id, n, err := store.PostBroadcast(ctx, tx, b)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: "notice.post",
		ObjectKind: "broadcast", ObjectID: strconv.FormatInt(id, 10), Details: map[string]any{"scope": string(b.Scope), "recipients": n}}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.setFlash(r, st, "Уведомление отправлено: жителей — "+strconv.Itoa(n)+".")
	http.Redirect(w, r, "/admin/notifications", http.StatusSeeOther)
}
