package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// maxUpload bounds an uploaded registry; larger files go through the
// inbox directory or the command line.
const (
	maxUpload          = 2 << 30
	maxStatementUpload = 64 << 20
)

// registryRoutes registers the operators' pages for bank registries.
func (s *Server) registryRoutes() {
	s.admin("GET /admin/registries", s.registriesPage)
	s.adminUpload("POST /admin/registries/upload", maxUpload, s.registryUpload)
	s.adminUpload("POST /admin/registries/statements", maxStatementUpload, s.statementUpload)
	s.admin("GET /admin/registries/reconciliation", s.reconciliationPage)
	s.admin("GET /admin/registries/{id}", s.registryPage)
	s.admin("POST /admin/registries/{id}/reprocess", s.registryReprocess)
	s.admin("GET /admin/registries/issues/{id}", s.registryIssuePage)
	s.admin("POST /admin/registries/issues/{id}/apply", s.registryIssueApply)
	s.admin("POST /admin/registries/issues/{id}/discard", s.registryIssueDiscard)
}

// adminUpload registers an upload page: the body limit applies before
// the staff check parses the multipart form for its CSRF token.
func (s *Server) adminUpload(pattern string, limit int64, h StaffHandler) {
	route := strings.Trim(strings.TrimPrefix(pattern, "POST "), "/")
	s.handle(pattern, route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		st, ok := s.staffFor(w, r)
		if !ok {
			return
		}
		h(w, r, st)
	}))
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, apperr.E(apperr.NotFound, "admin registries", "страница не найдена")
	}
	return id, nil
}

// registryRow is a registry as the list shows it.
type registryRow struct {
	store.Registry
	ShortReason string
}

// shortReason keeps the list readable; the registry's page has it all.
func shortReason(s string) string {
	const max = 140
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}

type registriesData struct {
	Registries []registryRow
	Profiles   []string
	State      string
	Message    string
}

// registriesPage is GET /admin/registries: files with state, counts, sums,
// quarantine and reconciliation; upload forms.
func (s *Server) registriesPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	state := r.URL.Query().Get("state")
	regs, err := store.ListRegistries(r.Context(), s.deps.Pool, store.RegistryFilter{State: state, Limit: 200})
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	d := registriesData{State: state, Message: s.takeFlash(r, st)}
	for _, reg := range regs {
		d.Registries = append(d.Registries, registryRow{Registry: reg, ShortReason: shortReason(reg.RejectReason)})
	}
	d.Profiles = s.profileNames()
	s.render(w, r, http.StatusOK, "admin_registries", st, d)
}

// profileNames are the registry profiles operators may choose: the
// built-in ones and those of the operator's profile files.
func (s *Server) profileNames() []string {
	var names []string
	for _, p := range s.deps.Intake.Profiles().All() {
		names = append(names, p.ID())
	}
	return names
}

// registryUpload is POST /admin/registries/upload: the console's door into
// the same intake as the command line and the inbox.
func (s *Server) registryUpload(w http.ResponseWriter, r *http.Request, st *Staff) {
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, r, st, apperr.Invalidf("upload registry", "выберите файл для загрузки"))
		return
	}
	defer f.Close()
	profile := strings.TrimSpace(r.PostFormValue("profile"))
	var orgID *int64
	if inn := strings.TrimSpace(r.PostFormValue("org_inn")); inn != "" {
		id, err := store.OrganizationIDByINN(r.Context(), s.deps.Pool, inn)
		if err != nil {
			s.fail(w, r, st, err)
			return
		}
		orgID = &id
	}
	imp, err := s.deps.Intake.ImportRegistry(r.Context(), f, hdr.Filename, store.IntakeUpload, intake.RegistryOptions{Profile: profile, OrgID: orgID})
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID,
		Action: "registry.upload", ObjectKind: "registry", ObjectID: strconv.FormatInt(imp.RegistryID, 10),
		Details: map[string]any{"file": hdr.Filename, "size": hdr.Size, "profile": profile, "duplicate": imp.Duplicate}}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/registries/%d", imp.RegistryID), http.StatusSeeOther)
}

// statementUpload is POST /admin/registries/statements.
func (s *Server) statementUpload(w http.ResponseWriter, r *http.Request, st *Staff) {
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, r, st, apperr.Invalidf("upload statement", "выберите файл для загрузки"))
		return
	}
	defer f.Close()
	res, err := s.deps.Intake.ImportStatement(r.Context(), f, hdr.Filename)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID,
		Action: "registry.statement.upload", ObjectKind: "statement", ObjectID: strconv.FormatInt(res.StatementID, 10),
		Details: map[string]any{"file": hdr.Filename, "documents": res.Documents, "matched": res.Matched, "duplicate": res.Duplicate}}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	http.Redirect(w, r, "/admin/registries/reconciliation", http.StatusSeeOther)
}

type registryData struct {
	Registry store.Registry
	Issues   []store.RegistryIssue
	Summary  *bank.Summary
	Profiles []string
}

// registryPage is GET /admin/registries/{id}: one file, its verdict and
// its quarantine.
func (s *Server) registryPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	reg, err := store.GetRegistry(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	issues, err := store.ListRegistryIssues(r.Context(), s.deps.Pool, store.IssueFilter{RegistryID: id, Limit: 500})
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	d := registryData{Registry: reg, Issues: issues, Profiles: s.profileNames()}
	var sum bank.Summary
	if len(reg.Summary) > 2 && json.Unmarshal(reg.Summary, &sum) == nil {
		d.Summary = &sum
	}
	if !reg.Final() {
		// Still waiting for a worker: the browser reloads until the verdict.
		w.Header().Set("Refresh", "3")
	}
	s.render(w, r, http.StatusOK, "admin_registry", st, d)
}

// registryReprocess is POST /admin/registries/{id}/reprocess: read a
// rejected file again with another profile.
func (s *Server) registryReprocess(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	profile := strings.TrimSpace(r.PostFormValue("profile"))
	if _, err := s.deps.Intake.Requeue(r.Context(), id, profile); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if err := store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID,
		Action: "registry.reprocess", ObjectKind: "registry", ObjectID: strconv.FormatInt(id, 10),
		Details: map[string]any{"profile": profile}}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/registries/%d", id), http.StatusSeeOther)
}

type issueData struct {
	Issue    store.RegistryIssue
	Registry store.Registry
}

// registryIssuePage is GET /admin/registries/issues/{id}: a quarantined
// line with the forms to fix its account or discard it.
func (s *Server) registryIssuePage(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	is, err := store.GetRegistryIssue(r.Context(), s.deps.Pool, id)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	reg, err := store.GetRegistry(r.Context(), s.deps.Pool, is.RegistryID)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_registry_issue", st, issueData{Issue: is, Registry: reg})
}

// registryIssueApply is POST …/apply: post the line with a (fixed)
// account, audited in the same transaction.
func (s *Server) registryIssueApply(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	account := strings.TrimSpace(r.PostFormValue("account"))
	inn := strings.TrimSpace(r.PostFormValue("org_inn"))
	err = s.inTx(r, func(tx pgx.Tx) error {
		pid, err := store.ApplyRegistryIssue(r.Context(), tx, id, st.User.ID, account, inn)
		if err != nil {
			return err
		}
		return store.Audit(r.Context(), tx, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID,
			Action: "registry.line.apply", ObjectKind: "registry_issue", ObjectID: strconv.FormatInt(id, 10),
			Details: map[string]any{"account": account, "org_inn": inn, "payment_id": pid}})
	})
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/registries/issues/%d", id), http.StatusSeeOther)
}

// registryIssueDiscard is POST …/discard: close the line without posting,
// with a reason, audited in the same transaction.
func (s *Server) registryIssueDiscard(w http.ResponseWriter, r *http.Request, st *Staff) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	err = s.inTx(r, func(tx pgx.Tx) error {
		if err := store.DiscardRegistryIssue(r.Context(), tx, id, st.User.ID, reason); err != nil {
			return err
		}
		return store.Audit(r.Context(), tx, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID,
			Action: "registry.line.discard", ObjectKind: "registry_issue", ObjectID: strconv.FormatInt(id, 10),
			Details: map[string]any{"reason": reason}})
	})
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/registries/issues/%d", id), http.StatusSeeOther)
}

// reconciliationPage is GET /admin/registries/reconciliation.
func (s *Server) reconciliationPage(w http.ResponseWriter, r *http.Request, st *Staff) {
	if _, err := store.Reconcile(r.Context(), s.deps.Pool); err != nil {
		s.fail(w, r, st, err)
		return
	}
	rep, err := store.LoadReconciliation(r.Context(), s.deps.Pool, 0)
	if err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_registry_reconciliation", st, rep)
}

// inTx runs fn in a transaction that commits when fn succeeds.
func (s *Server) inTx(r *http.Request, fn func(pgx.Tx) error) error {
	ctx := r.Context()
	tx, err := s.deps.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
