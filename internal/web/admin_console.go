package web

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// consoleRoutes registers the operators' search, the account page, staff
// management and the release of held GIS items.
func (s *Server) consoleRoutes() {
	s.admin("GET /admin/search", s.searchPage)
	s.admin("GET /admin/accounts/{id}", s.accountPage)
	s.admin("GET /admin/staff", s.staffPage)
	s.admin("POST /admin/staff", s.staffCreate)
	s.admin("POST /admin/staff/{id}/role", s.staffRole)
	s.admin("POST /admin/staff/{id}/password", s.staffPassword)
	s.admin("POST /admin/staff/{id}/block", s.staffBlock)
	s.admin("POST /admin/gis/items/{guid}/release", s.gisReleaseItem)
	s.admin("POST /admin/gis/messages/{id}/release", s.gisReleaseClass)
}

type searchData struct {
	Query  string
	Result store.SearchResult
}

// searchPage is GET /admin/search?q=: accounts and residents; a single
// account found opens its page.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	d := searchData{Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	var err error
	if d.Result, err = store.Search(r.Context(), s.deps.Pool, d.Query, 50); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if len(d.Result.Accounts) == 1 && len(d.Result.Residents) == 0 {
		http.Redirect(w, r, fmt.Sprintf("/admin/accounts/%d", d.Result.Accounts[0].ID), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "admin_search", st, d)
}

// accountPage is GET /admin/accounts/{id}: the account's whole story.
func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	story, err := store.LoadAccountStory(r.Context(), s.deps.Pool, id, 60)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_account", st, story)
}

type staffData struct {
	Users   []store.StaffUser
	Message string
	Roles   []string
}

// staffPage is GET /admin/staff (administrators).
func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	users, err := store.ListStaffUsers(r.Context(), s.deps.Pool)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_staff", st, staffData{Users: users, Message: s.takeFlash(r, st), Roles: staffRoles()})
}

// staffRoles lists the roles of the one role table.
func staffRoles() []string {
	roles := make([]string, 0, len(rolePermissions))
	for r := range rolePermissions {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	return roles
}

var loginRe = regexp.MustCompile(`^[a-z0-9._-]{2,64}$`)

func checkRole(role string) error {
	if _, ok := rolePermissions[role]; !ok {
		return apperr.Invalidf("staff", "роль %q: выберите одну из %v", role, staffRoles())
	}
	return nil
}

// staffCreate is POST /admin/staff: a new staff user with a password of the policy.
func (s *Server) staffCreate(w http.ResponseWriter, r *http.Request, st *Staff) {
	login := strings.TrimSpace(r.PostFormValue("login"))
	role := r.PostFormValue("role")
	if !loginRe.MatchString(login) {
		s.fail(w, r, st, apperr.Invalidf("create staff user", "логин %q: от 2 до 64 символов a–z, 0–9, точка, дефис, подчёркивание", login))
		return
	}
	if err := checkRole(role); err != nil {
		s.fail(w, r, st, err)
		return
	}
	hash, err := HashStaffPassword(login, r.PostFormValue("password"))
	if err != nil {
		s.fail(w, r, st, passwordError(err))
		return
	}
	id, err := store.CreateStaffUser(r.Context(), s.deps.Pool, store.StaffUser{Login: login, Role: role, PasswordHash: hash,
		DisplayName: strings.TrimSpace(r.PostFormValue("display_name"))})
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.auditStaff(r, st, "staff_user", "staff.create", id, map[string]any{"login": login, "role": role})
	s.setFlash(r, st, fmt.Sprintf("Сотрудник %s создан с ролью «%s»", login, ruLabel(role)))
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

// staffRole is POST /admin/staff/{id}/role. Nobody removes their own admin role.
func (s *Server) staffRole(w http.ResponseWriter, r *http.Request, st *Staff) {
	u, ok := s.staffTarget(w, r, st)
	if !ok {
		return
	}
	role := r.PostFormValue("role")
	if err := checkRole(role); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if u.ID == st.User.ID && role != st.User.Role {
		s.fail(w, r, st, apperr.E(apperr.Conflict, "set staff role", "нельзя изменить собственную роль; попросите другого администратора"))
		return
	}
	if err := store.SetStaffRole(r.Context(), s.deps.Pool, u.ID, role); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.auditStaff(r, st, "staff_user", "staff.role", u.ID, map[string]any{"login": u.Login, "from": u.Role, "to": role})
	s.setFlash(r, st, fmt.Sprintf("Роль сотрудника %s: «%s»", u.Login, ruLabel(role)))
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

// staffPassword is POST /admin/staff/{id}/password: a new password of the
// policy; the user's sessions end.
func (s *Server) staffPassword(w http.ResponseWriter, r *http.Request, st *Staff) {
	u, ok := s.staffTarget(w, r, st)
	if !ok {
		return
	}
	hash, err := HashStaffPassword(u.Login, r.PostFormValue("password"))
	if err != nil {
		s.fail(w, r, st, passwordError(err))
		return
	}
	if err := store.SetStaffPassword(r.Context(), s.deps.Pool, u.Login, hash); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.auditStaff(r, st, "staff_user", "staff.password_reset", u.ID, map[string]any{"login": u.Login})
	if u.ID == st.User.ID {
		// Setting one's own password ends one's sessions too: log in again.
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
		return
	}
	s.setFlash(r, st, fmt.Sprintf("Пароль сотрудника %s изменён; его сеансы завершены", u.Login))
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

// staffBlock is POST /admin/staff/{id}/block (block=1 blocks, 0 unblocks).
func (s *Server) staffBlock(w http.ResponseWriter, r *http.Request, st *Staff) {
	u, ok := s.staffTarget(w, r, st)
	if !ok {
		return
	}
	block := r.PostFormValue("block") == "1"
	if block && u.ID == st.User.ID {
		s.fail(w, r, st, apperr.E(apperr.Conflict, "block staff user", "нельзя заблокировать самого себя"))
		return
	}
	if err := store.SetStaffBlocked(r.Context(), s.deps.Pool, u.ID, block); err != nil {
		s.fail(w, r, st, err)
		return
	}
	action, msg := "staff.unblock", "разблокирован"
	if block {
		action, msg = "staff.block", "заблокирован; его сеансы завершены"
	}
	s.auditStaff(r, st, "staff_user", action, u.ID, map[string]any{"login": u.Login})
	s.setFlash(r, st, fmt.Sprintf("Сотрудник %s %s", u.Login, msg))
	http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
}

func (s *Server) staffTarget(w http.ResponseWriter, r *http.Request, st *Staff) (store.StaffUser, bool) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return store.StaffUser{}, false
	}
	u, err := store.StaffUserByID(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, apperr.E(apperr.NotFound, "staff user", fmt.Sprintf("сотрудник %d не найден", id)))
		return u, false
	}
	return u, true
}

// auditStaff records a staff action on an object (a staff user, a request); a failure is logged.
func (s *Server) auditStaff(r *http.Request, st *Staff, kind, action string, id int64, details map[string]any) {
	if err := store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: action,
		ObjectKind: kind, ObjectID: strconv.FormatInt(id, 10), Details: details}); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "web: audit", "action", action, "error", err)
	}
}

// passwordError puts a refused password into Russian for the console.
func passwordError(err error) error {
	return apperr.Invalidf("password", "пароль не подходит: %s (нужно не меньше 8 символов, не из списка частых паролей, без простых последовательностей и без логина)", apperr.UserMessage(err))
}

var guidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// gisReleaseItem is POST /admin/gis/items/{guid}/release: one held item is
// released and the sync of its subject queued.
func (s *Server) gisReleaseItem(w http.ResponseWriter, r *http.Request, st *Staff) {
	guid := r.PathValue("guid")
	if !guidRe.MatchString(guid) {
		s.fail(w, r, st, apperr.Invalidf("gis release", "объект %q: нужен TransportGUID", guid))
		return
	}
	it, err := store.GISItemByTransportGUID(r.Context(), s.deps.Pool, guid)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.release(w, r, st, it.MessageID, []string{guid})
}

// gisReleaseClass is POST /admin/gis/messages/{id}/release: a message's
// held items whose error is of the class named by the form are released.
func (s *Server) gisReleaseClass(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	class := gisexchange.ErrorClass(r.PostFormValue("class"))
	if !slices.Contains(gisexchange.ErrorClasses, class) {
		s.fail(w, r, st, apperr.Invalidf("gis release", "класс ошибок %q: выберите один из %v", class, gisexchange.ErrorClasses))
		return
	}
	_, items, err := store.GetGISMessage(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	var guids []string
	for _, it := range items {
		if it.State == store.ItemHeld && gisexchange.ExplainError(it.ErrorCode).Class == class {
			guids = append(guids, it.TransportGUID)
		}
	}
	s.release(w, r, st, id, guids)
}

// release releases held items and queues the syncs that send them again, in
// one transaction with its audit record.
func (s *Server) release(w http.ResponseWriter, r *http.Request, st *Staff, messageID int64, guids []string) {
	ctx := r.Context()
	tx, err := s.deps.Pool.Begin(ctx)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
	work, n, err := store.ReleaseGISItems(ctx, tx, guids)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	if n == 0 {
		s.fail(w, r, st, apperr.E(apperr.Conflict, "gis release", "задержанных объектов не найдено: их уже отпустили"))
		return
	}
	scopes, err := gisexchange.Scopes(work)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	for _, sc := range scopes {
		if _, err := s.deps.Jobs.InsertTx(ctx, tx, jobs.GISSyncArgs{OrgID: sc.OrgID, What: sc.What, Period: sc.Period}, nil); err != nil {
			s.fail(w, r, st, err)
			return
		}
	}
	if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: "gis.release",
		ObjectKind: "gis_message", ObjectID: strconv.FormatInt(messageID, 10), Details: map[string]any{"items": guids}}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.setFlash(r, st, fmt.Sprintf("Отпущено объектов: %d; синхронизация поставлена в очередь", n))
	http.Redirect(w, r, fmt.Sprintf("/admin/gis/messages/%d", messageID), http.StatusSeeOther)
}
