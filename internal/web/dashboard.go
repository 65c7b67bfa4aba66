package web

import (
	"net/http"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

type dashboardData struct {
	Overview  store.Overview
	Jobs      []store.JobCount
	Exchanges []store.Exchange
	Audit     []store.AuditEntry
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, st *Staff) {
	ctx := r.Context()
	var d dashboardData
	var err error
	if d.Overview, err = store.LoadOverview(ctx, s.deps.Pool); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if d.Jobs, err = store.JobCounts(ctx, s.deps.Pool); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if d.Exchanges, err = store.RecentExchanges(ctx, s.deps.Pool, "", 10); err != nil {
		s.fail(w, r, st, err)
		return
	}
	if d.Audit, err = store.RecentAudit(ctx, s.deps.Pool, store.AuditFilter{Limit: 10}); err != nil {
		s.fail(w, r, st, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_dashboard", st, d)
}
