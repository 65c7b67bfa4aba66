// Package web is zhkhgate's HTTP edge: health and readiness probes,
// Prometheus metrics, the staff admin console under /admin (login, dashboard,
// River UI at /admin/jobs, and the operators' pages of each connector), and
// the mount point of the residents' cabinet.
//
// Errors are mapped to HTTP statuses here and only here (apperr.HTTPStatus).
package web

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"riverqueue.com/riverui"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/layout"
	"github.com/zhkhgate/zhkhgate/internal/metrics"
	"github.com/zhkhgate/zhkhgate/internal/money"
	"github.com/zhkhgate/zhkhgate/internal/session"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web/formcheck"
	"github.com/zhkhgate/zhkhgate/jobs"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config tunes the server.
type Config struct {
	// SecureCookies marks session cookies Secure; set when served over TLS.
	SecureCookies bool
	// StaffIdle ends an unused staff session. Defaults to 30 minutes.
	StaffIdle time.Duration
	// StaffAbsolute ends a staff session this long after login. Defaults to 12 hours.
	StaffAbsolute time.Duration
}

// Deps are the server's collaborators, passed explicitly.
type Deps struct {
	Pool    *pgxpool.Pool
	Jobs    *jobs.Client
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	// Cabinet serves residents at "/"; when nil (console-only tests) "/" is not served.
	Cabinet http.Handler
	// Now is the clock of the login limiters; time.Now when nil.
	Now func() time.Time
	// OnCheck, when set, is told each time a password is checked (security tests count them).
	OnCheck func(what string)
	// Intake takes uploaded registries and statements, with the process's
	// registry profiles (listed on the registry pages); nil: one over Pool
	// and Jobs with the built-in profiles.
	Intake *intake.Intake
}

// Server is the HTTP edge.
type Server struct {
	deps  Deps
	cfg   Config
	staff *session.Manager
	pages map[string]*template.Template
	mux   *http.ServeMux
	ui    *riverui.Handler
	// patterns lists the registered routes (the security tests walk them).
	patterns []string
}

// New builds the server and its routes. Call Start before serving to start
// River UI's background services.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Pool == nil || deps.Jobs == nil || deps.Metrics == nil || deps.Logger == nil {
		return nil, errors.New("web: Pool, Jobs, Metrics and Logger are required")
	}
	if deps.Intake == nil {
		in, err := intake.New(intake.Config{}, intake.Deps{Pool: deps.Pool, Queue: deps.Jobs, Logger: deps.Logger})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		deps.Intake = in
	}
	s := &Server{deps: deps, cfg: cfg, mux: http.NewServeMux()}
	s.staff = &session.Manager{Pool: deps.Pool, Kind: "staff", CookieName: "zhkhgate_admin", CookiePath: "/admin",
		Idle: cmp.Or(cfg.StaffIdle, 30*time.Minute), Absolute: cmp.Or(cfg.StaffAbsolute, 12*time.Hour),
		Secure: cfg.SecureCookies}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	ui, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints:                riverui.NewEndpoints(deps.Jobs, nil),
		Logger:                   deps.Logger,
		Prefix:                   "/admin/jobs",
		JobListHideArgsByDefault: true,
	})
	if err != nil {
		return nil, fmt.Errorf("web: river ui: %w", err)
	}
	s.ui = ui
	s.routes()
	return s, nil
}

// Start starts River UI's background services; they stop when ctx ends.
func (s *Server) Start(ctx context.Context) error {
	if err := s.ui.Start(ctx); err != nil {
		return fmt.Errorf("web: start river ui: %w", err)
	}
	return nil
}

// Handler returns the root handler with cross-origin protection and
// security headers applied.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	// The console's text is checked here once; the cabinet, mounted at "/", checks its own.
	checked := formcheck.Middleware(s.mux, func(w http.ResponseWriter, r *http.Request, err error) { s.fail(w, r, nil, err) },
		func(r *http.Request) bool { return !strings.HasPrefix(r.URL.Path, "/admin") })
	return securityHeaders(cop.Handler(checked))
}

// routes is the one place where URL patterns are registered.
func (s *Server) routes() {
	s.handle("GET /healthz", "healthz", http.HandlerFunc(s.healthz))
	s.handle("GET /readyz", "readyz", http.HandlerFunc(s.readyz))
	s.mux.Handle("GET /metrics", s.deps.Metrics.Handler())
	s.mux.Handle("GET /static/", http.FileServerFS(assets))

	s.handle("GET /admin/login", "admin_login", http.HandlerFunc(s.loginForm))
	s.handle("POST /admin/login", "admin_login", http.HandlerFunc(s.login))
	s.admin("POST /admin/logout", s.logout)
	s.admin("GET /admin/{$}", s.dashboard)
	s.admin("GET /admin/mail", s.mailPage)
	s.registryRoutes()
	s.gisRoutes()
	s.requestRoutes()
	s.consoleRoutes()
	s.handle("/admin/jobs/", "admin_jobs", s.requireStaff(s.ui))

	if s.deps.Cabinet != nil {
		s.handle("/", "cabinet", s.deps.Cabinet)
	}
}

// handle registers h under pattern with latency metrics labelled route.
func (s *Server) handle(pattern, route string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, s.deps.Metrics.Instrument(route, h))
}

// StaffHandler is an admin page handler; it runs only for a logged-in staff
// user, and for state-changing methods only with a valid CSRF token.
type StaffHandler func(w http.ResponseWriter, r *http.Request, st *Staff)

// admin registers an admin page behind staff login and CSRF checks.
func (s *Server) admin(pattern string, h StaffHandler) {
	route := "admin"
	if _, p, ok := strings.Cut(pattern, " "); ok {
		route = strings.Trim(path.Clean(p), "/{$}")
	}
	s.handle(pattern, route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := s.staffFor(w, r)
		if !ok {
			return
		}
		h(w, r, st)
	}))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.deps.Pool.Ping(ctx); err != nil {
		s.deps.Logger.Warn("readiness: database unreachable", "error", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// fail answers with the status of err's kind and a message safe for users;
// internal errors are logged in full.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, st *Staff, err error) {
	status := apperr.HTTPStatus(err)
	if status >= 500 {
		s.deps.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	s.render(w, r, status, "error", st, map[string]any{"Status": status, "Message": apperr.UserMessage(err)})
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// parsePages builds one template set per page: the shared layout plus the
// page's own "title" and "content" blocks.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"rub":        money.Rubles,
		"datetime":   func(t time.Time) string { return t.Local().Format("02.01.2006 15:04:05") },
		"stamp":      stamp,
		"deref":      func(p *int64) int64 { return *p },
		"stateTitle": func(st store.RequestState) string { return store.StateTitle(st) },
		"kindTitle":  func(k store.RequestKind) string { return store.KindTitle(k) },
	}
	maps.Copy(funcs, consoleFuncs())
	pages, err := layout.Parse(assets, funcs)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return pages, nil
}

// Page is what every template receives.
type Page struct {
	Title string
	Staff *Staff
	CSRF  string
	Data  any
	Path  string
}

// render writes page name inside the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, st *Staff, data any) {
	t, ok := s.pages[name]
	if !ok {
		s.deps.Logger.Error("web: no such page template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p := Page{Staff: st, Data: data, Path: r.URL.Path}
	if st != nil {
		p.CSRF = st.Session.CSRFToken
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout.html", p); err != nil {
		s.deps.Logger.Error("web: render", "page", name, "error", err)
	}
}
