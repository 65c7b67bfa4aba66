// Package config is zhkhgate's configuration: one typed Config read from the
// environment in one place (Load) and validated before anything starts.
//
// A subsystem (GIS ZhKH, ESIA, SMTP) is either off — none of its variables
// set — or fully on. Half a subsystem is an error naming the variable and
// what is wrong, never a warning and a silently disabled feature: an operator
// who set ZHKHGATE_GIS_URL meant GIS to run.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Config is everything zhkhgate reads from its environment. README.md
// («Configuration») lists each variable with its default and meaning.
type Config struct {
	// DataDir holds state: the embedded cluster (DataDir/pg), the registry
	// inbox, simulator keys. ZHKHGATE_DATA_DIR, default ./var; always absolute.
	DataDir   string
	Database  Database
	HTTP      HTTP
	Log       Log
	Jobs      Jobs
	Registry  Registry
	GIS       GIS
	ESIA      ESIA
	SMTP      SMTP
	Acquiring Acquiring
	Cabinet   Cabinet
	Admin     Admin
	Sim       Sim
}

// Database says which PostgreSQL to use.
type Database struct {
	// URL is DATABASE_URL; empty means the embedded cluster in DataDir/pg.
	URL string
}

// HTTP configures the web edge.
type HTTP struct {
	// Addr is where the server listens (ZHKHGATE_HTTP_ADDR), host:port.
	Addr string
	// PublicURL is how browsers reach the server, without a trailing slash
	// (ZHKHGATE_PUBLIC_URL, default http://Addr).
	PublicURL string
	// SecureCookies marks cookies Secure (ZHKHGATE_SECURE_COOKIES), behind TLS.
	SecureCookies bool
}

// Log configures log/slog.
type Log struct {
	// Level is ZHKHGATE_LOG_LEVEL.
	Level slog.Level
	// Format is "text" or "json" (ZHKHGATE_LOG_FORMAT).
	Format string
}

// Jobs configures the River workers.
type Jobs struct {
	// Queues is the number of workers per queue: DefaultQueues with
	// ZHKHGATE_QUEUES applied on top.
	Queues map[string]int
	// WorkerID names this worker process stably across restarts
	// (ZHKHGATE_WORKER_ID); empty means River picks a random one.
	WorkerID string
}

// Registry configures bank registry intake.
type Registry struct {
	// Profiles are the operator's profile files (ZHKHGATE_REGISTRY_PROFILES).
	Profiles []string
	// Inbox is the watched directory (ZHKHGATE_REGISTRY_INBOX, default DataDir/inbox); absolute.
	Inbox string
	// InboxSettle is how long a file in the inbox must keep its size and
	// time before it is taken (ZHKHGATE_REGISTRY_INBOX_SETTLE).
	InboxSettle time.Duration
}

// DefaultInboxSettle is how long an inbox file must keep still by default.
const DefaultInboxSettle = 30 * time.Second

// GIS configures the exchange with GIS ZhKH. It is on when URL is set.
type GIS struct {
	// URL is the base URL: the GOST TLS sidecar, or the simulator.
	URL string
	// KeyFile and CertFile are the PEM signing key and its certificate.
	KeyFile, CertFile string
	// ServerCerts is the PEM file of GIS ZhKH's own certificates, pinned: its
	// signature on every getState answer is checked against them.
	ServerCerts string
	// User and Password are HTTP Basic auth (test stands); both or neither.
	User, Password string
	// BankBIK and BankAccount are printed on payment documents; both or neither.
	BankBIK, BankAccount string
	// Poll is the getState schedule (default DefaultGISPoll).
	Poll []time.Duration
	// ResendAfter is the backoff before a transiently failed message is sent again.
	ResendAfter time.Duration
	// Timeout is the HTTP timeout of one call.
	Timeout time.Duration
	// Caps are the items per message.
	Caps map[string]int
}

// On reports whether the GIS ZhKH exchange is configured.
func (g GIS) On() bool { return g.URL != "" }

// ESIA configures the residents' login with Gosuslugi. It is on when URL is set.
type ESIA struct {
	URL, Issuer, ClientID string
	// ClientKey and ClientCert are the system's PEM key and certificate.
	ClientKey, ClientCert string
	// Certs is the PEM bundle of ESIA's token certificates to pin.
	Certs string
	// CA is an extra CA file for ESIA's TLS (the test stand); optional.
	CA string
	// Scopes requested; empty means the client's default.
	Scopes []string
	// Legacy selects the /ac + /te CMS flow.
	Legacy bool
}

// On reports whether ESIA login is configured.
func (e ESIA) On() bool { return e.URL != "" }

// SMTP configures residents' mail. Off, letters are captured in the database.
type SMTP struct {
	Addr, From     string
	User, Password string
}

// On reports whether mail is sent over SMTP.
func (s SMTP) On() bool { return s.Addr != "" }

// Acquiring configures residents' online payment through an internet
// acquiring gateway (Sber-shaped). It is on when URL is set.
type Acquiring struct {
	// URL is the gateway's base URL; User and Password its merchant API login.
	URL, User, Password string
	// Secret is the key of the callbacks' checksum.
	Secret string
}

// On reports whether online payment is configured.
func (a Acquiring) On() bool { return a.URL != "" }

// Cabinet configures the residents' cabinet.
type Cabinet struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// DemoHints shows demo accounts and proofs on the cabinet's pages.
	DemoHints bool
}

// Admin holds what `zhkhgate admin` reads.
type Admin struct {
	// Password replaces standard input for create-user and set-password.
	Password string
}

// Sim configures the simulators `zhkhgate demo` and `zhkhgate sim` run.
type Sim struct {
	// GISAddr, ESIAAddr and AcquiringAddr are loopback host:port.
	GISAddr, ESIAAddr, AcquiringAddr string
	// GISSpec is the directory of the official GIS ZhKH WSDL/XSD files.
	GISSpec string
}

// Defaults that are not empty.
const (
	DefaultDataDir  = "var"
	DefaultHTTPAddr = "127.0.0.1:8080"
	DefaultGISSim   = "127.0.0.1:8092"
	DefaultESIASim  = "127.0.0.1:8091"
	DefaultAcqSim   = "127.0.0.1:8093"
	DefaultGISSpec  = "../shared/spec/gis-zhkh"
)

// DefaultQueues is the number of workers per queue unless ZHKHGATE_QUEUES
// says otherwise; its keys are every queue there is.
func DefaultQueues() map[string]int {
	return map[string]int{"default": 4, "bank": 2, "gis": 8, "notify": 4}
}

// DefaultGISPoll is the official getState schedule.
func DefaultGISPoll() []time.Duration {
	return []time.Duration{10 * time.Second, 60 * time.Second, 300 * time.Second, 900 * time.Second, 1800 * time.Second}
}

// Default GIS timings.
const (
	DefaultGISResendAfter = 2 * time.Minute
	DefaultGISTimeout     = 180 * time.Second
)

// The variables of the three subsystems that are either off or fully on;
// the first of each list turns it on. The order is the order errors name them.
var (
	gisVars = []string{"ZHKHGATE_GIS_URL", "ZHKHGATE_GIS_KEY", "ZHKHGATE_GIS_CERT", "ZHKHGATE_GIS_SERVER_CERTS", "ZHKHGATE_GIS_USER",
		"ZHKHGATE_GIS_PASSWORD", "ZHKHGATE_GIS_BANK_BIK", "ZHKHGATE_GIS_BANK_ACCOUNT", "ZHKHGATE_GIS_POLL",
		"ZHKHGATE_GIS_RESEND_AFTER", "ZHKHGATE_GIS_TIMEOUT", "ZHKHGATE_GIS_CAPS"}
	esiaVars = []string{"ZHKHGATE_ESIA_URL", "ZHKHGATE_ESIA_ISSUER", "ZHKHGATE_ESIA_CLIENT_ID", "ZHKHGATE_ESIA_CLIENT_KEY",
		"ZHKHGATE_ESIA_CLIENT_CERT", "ZHKHGATE_ESIA_CERTS", "ZHKHGATE_ESIA_CA", "ZHKHGATE_ESIA_SCOPES", "ZHKHGATE_ESIA_LEGACY"}
	smtpVars = []string{"ZHKHGATE_SMTP_ADDR", "ZHKHGATE_SMTP_FROM", "ZHKHGATE_SMTP_USER", "ZHKHGATE_SMTP_PASSWORD"}
	acqVars  = []string{"ZHKHGATE_ACQUIRING_URL", "ZHKHGATE_ACQUIRING_USER", "ZHKHGATE_ACQUIRING_PASSWORD", "ZHKHGATE_ACQUIRING_SECRET"}
)

// Variables lists every variable Load reads, in the README's order.
func Variables() []string {
	v := []string{"DATABASE_URL", "ZHKHGATE_DATA_DIR", "ZHKHGATE_HTTP_ADDR", "ZHKHGATE_PUBLIC_URL", "ZHKHGATE_QUEUES",
		"ZHKHGATE_WORKER_ID", "ZHKHGATE_SECURE_COOKIES", "ZHKHGATE_LOG_LEVEL", "ZHKHGATE_LOG_FORMAT",
		"ZHKHGATE_REGISTRY_PROFILES", "ZHKHGATE_REGISTRY_INBOX", "ZHKHGATE_REGISTRY_INBOX_SETTLE"}
	v = append(v, gisVars...)
	v = append(v, "ZHKHGATE_GIS_SPEC", "ZHKHGATE_GIS_SIM_ADDR")
	v = append(v, esiaVars...)
	v = append(v, "ZHKHGATE_ESIA_SIM_ADDR")
	v = append(v, smtpVars...)
	v = append(v, acqVars...)
	v = append(v, "ZHKHGATE_ACQUIRING_SIM_ADDR")
	return append(v, "ZHKHGATE_CABINET_TRUSTED_PROXIES", "ZHKHGATE_CABINET_DEMO_HINTS", "ZHKHGATE_ADMIN_PASSWORD")
}

// Load reads and validates the configuration. getenv is os.Getenv in the
// binary; an empty value counts as unset. The error is one line naming the
// variable and what is wrong with it.
func Load(getenv func(string) string) (Config, error) {
	r := &reader{getenv: getenv}
	c := Config{
		DataDir:  r.str("ZHKHGATE_DATA_DIR", DefaultDataDir),
		Database: Database{URL: r.str("DATABASE_URL", "")},
		HTTP: HTTP{
			Addr:          r.hostPort("ZHKHGATE_HTTP_ADDR", DefaultHTTPAddr),
			PublicURL:     strings.TrimRight(r.httpURL("ZHKHGATE_PUBLIC_URL"), "/"),
			SecureCookies: r.boolean("ZHKHGATE_SECURE_COOKIES"),
		},
		Log:  Log{Level: r.level("ZHKHGATE_LOG_LEVEL"), Format: r.oneOf("ZHKHGATE_LOG_FORMAT", "text", "json")},
		Jobs: Jobs{Queues: r.queues("ZHKHGATE_QUEUES"), WorkerID: r.str("ZHKHGATE_WORKER_ID", "")},
		Registry: Registry{
			Profiles:    r.list("ZHKHGATE_REGISTRY_PROFILES"),
			Inbox:       r.str("ZHKHGATE_REGISTRY_INBOX", ""),
			InboxSettle: r.duration("ZHKHGATE_REGISTRY_INBOX_SETTLE", DefaultInboxSettle),
		},
		Cabinet: Cabinet{TrustedProxies: r.prefixes("ZHKHGATE_CABINET_TRUSTED_PROXIES"),
			DemoHints: r.boolean("ZHKHGATE_CABINET_DEMO_HINTS")},
		Admin: Admin{Password: r.str("ZHKHGATE_ADMIN_PASSWORD", "")},
		Sim: Sim{GISAddr: r.hostPort("ZHKHGATE_GIS_SIM_ADDR", DefaultGISSim), ESIAAddr: r.hostPort("ZHKHGATE_ESIA_SIM_ADDR", DefaultESIASim),
			AcquiringAddr: r.hostPort("ZHKHGATE_ACQUIRING_SIM_ADDR", DefaultAcqSim),
			GISSpec:       r.str("ZHKHGATE_GIS_SPEC", DefaultGISSpec)},
	}
	if r.err == nil {
		var err error
		if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
			r.fail("ZHKHGATE_DATA_DIR", c.DataDir, err.Error())
		}
	}
	if c.Registry.Inbox == "" {
		c.Registry.Inbox = filepath.Join(c.DataDir, "inbox")
	} else if abs, err := filepath.Abs(c.Registry.Inbox); err == nil {
		c.Registry.Inbox = abs
	}
	if c.HTTP.PublicURL == "" {
		c.HTTP.PublicURL = "http://" + c.HTTP.Addr
	}
	// Behind https cookies are Secure; saying otherwise is a mistake, not a choice.
	if strings.HasPrefix(strings.ToLower(c.HTTP.PublicURL), "https://") {
		if v := r.getenv("ZHKHGATE_SECURE_COOKIES"); v != "" && !c.HTTP.SecureCookies {
			r.fail("ZHKHGATE_SECURE_COOKIES", v, "ZHKHGATE_PUBLIC_URL is https, so cookies must be Secure: unset it or set true")
		}
		c.HTTP.SecureCookies = true
	}
	c.GIS = r.gis()
	c.ESIA = r.esia()
	c.SMTP = r.smtp()
	c.Acquiring = r.acquiring()
	if r.err != nil {
		return Config{}, r.err
	}
	return c, nil
}

// Logger returns the logger the configuration asks for, writing to w.
func (l Log) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: l.Level}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func (r *reader) gis() GIS {
	if !r.subsystem(gisVars, "GIS ZhKH exchange") {
		return GIS{}
	}
	g := GIS{
		URL:         r.httpURL("ZHKHGATE_GIS_URL"),
		KeyFile:     r.required("ZHKHGATE_GIS_KEY", "ZHKHGATE_GIS_URL", "the PEM signing key (GOST R 34.10-2012 256)"),
		CertFile:    r.required("ZHKHGATE_GIS_CERT", "ZHKHGATE_GIS_URL", "the signing key's PEM certificate"),
		ServerCerts: r.required("ZHKHGATE_GIS_SERVER_CERTS", "ZHKHGATE_GIS_URL", "GIS ZhKH's PEM certificates, which sign its answers"),
		User:        r.str("ZHKHGATE_GIS_USER", ""),
		Password:    r.str("ZHKHGATE_GIS_PASSWORD", ""),
		BankBIK:     r.digits("ZHKHGATE_GIS_BANK_BIK", 9, "a BIK"),
		BankAccount: r.digits("ZHKHGATE_GIS_BANK_ACCOUNT", 20, "a settlement account"),
		Poll:        r.durations("ZHKHGATE_GIS_POLL", DefaultGISPoll()),
		ResendAfter: r.duration("ZHKHGATE_GIS_RESEND_AFTER", DefaultGISResendAfter),
		Timeout:     r.duration("ZHKHGATE_GIS_TIMEOUT", DefaultGISTimeout),
		Caps:        r.caps("ZHKHGATE_GIS_CAPS"),
	}
	r.pair("ZHKHGATE_GIS_USER", "ZHKHGATE_GIS_PASSWORD", "HTTP Basic auth")
	r.pair("ZHKHGATE_GIS_BANK_BIK", "ZHKHGATE_GIS_BANK_ACCOUNT", "the bank details of payment documents")
	return g
}

func (r *reader) esia() ESIA {
	if !r.subsystem(esiaVars, "ESIA login") {
		return ESIA{}
	}
	const on = "ZHKHGATE_ESIA_URL"
	return ESIA{
		URL:        r.httpURL(on),
		Issuer:     r.required("ZHKHGATE_ESIA_ISSUER", on, "the exact token issuer"),
		ClientID:   r.required("ZHKHGATE_ESIA_CLIENT_ID", on, "the system's mnemonic"),
		ClientKey:  r.required("ZHKHGATE_ESIA_CLIENT_KEY", on, "the system's PEM key"),
		ClientCert: r.required("ZHKHGATE_ESIA_CLIENT_CERT", on, "the system's PEM certificate"),
		Certs:      r.required("ZHKHGATE_ESIA_CERTS", on, "ESIA's token certificates (PEM) to pin"),
		CA:         r.str("ZHKHGATE_ESIA_CA", ""),
		Scopes:     strings.Fields(r.str("ZHKHGATE_ESIA_SCOPES", "")),
		Legacy:     r.boolean("ZHKHGATE_ESIA_LEGACY"),
	}
}

func (r *reader) acquiring() Acquiring {
	if !r.subsystem(acqVars, "online payment") {
		return Acquiring{}
	}
	return Acquiring{
		URL:      r.httpURL("ZHKHGATE_ACQUIRING_URL"),
		User:     r.required("ZHKHGATE_ACQUIRING_USER", "ZHKHGATE_ACQUIRING_URL", "the merchant's API login"),
		Password: r.required("ZHKHGATE_ACQUIRING_PASSWORD", "ZHKHGATE_ACQUIRING_URL", "the merchant's API password"),
		Secret:   r.required("ZHKHGATE_ACQUIRING_SECRET", "ZHKHGATE_ACQUIRING_URL", "the key of the callbacks' checksum"),
	}
}

func (r *reader) smtp() SMTP {
	if !r.subsystem(smtpVars, "sending mail over SMTP") {
		return SMTP{}
	}
	s := SMTP{
		Addr:     r.hostPort("ZHKHGATE_SMTP_ADDR", ""),
		From:     r.required("ZHKHGATE_SMTP_FROM", "ZHKHGATE_SMTP_ADDR", "the sender address"),
		User:     r.str("ZHKHGATE_SMTP_USER", ""),
		Password: r.str("ZHKHGATE_SMTP_PASSWORD", ""),
	}
	if s.From != "" && r.err == nil {
		if _, err := mail.ParseAddress(s.From); err != nil {
			r.fail("ZHKHGATE_SMTP_FROM", s.From, "want an e-mail address like zhkh@example.org")
		}
	}
	r.pair("ZHKHGATE_SMTP_USER", "ZHKHGATE_SMTP_PASSWORD", "SMTP authentication")
	return s
}

// reader reads variables and keeps the first error.
type reader struct {
	getenv func(string) string
	err    error
}

func (r *reader) fail(name, value, want string) {
	if r.err == nil {
		r.err = apperr.Invalidf("config", "%s=%q: %s", name, value, want)
	}
}

func (r *reader) failf(format string, args ...any) {
	if r.err == nil {
		r.err = apperr.Invalidf("config", format, args...)
	}
}

func (r *reader) str(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

// subsystem reports whether the subsystem whose variables are vars is on:
// its first variable is set. Any other of them set alone is an error.
func (r *reader) subsystem(vars []string, what string) bool {
	if r.getenv(vars[0]) != "" {
		return true
	}
	for _, v := range vars[1:] {
		if r.getenv(v) != "" {
			r.failf("%s is set but %s is not: set %s to turn %s on, or unset %s", v, vars[0], vars[0], what, v)
			return false
		}
	}
	return false
}

func (r *reader) required(name, on, what string) string {
	v := r.getenv(name)
	if v == "" {
		r.failf("%s is not set: %s is set and needs %s", name, on, what)
	}
	return v
}

// pair requires a and b together.
func (r *reader) pair(a, b, what string) {
	switch va, vb := r.getenv(a), r.getenv(b); {
	case va != "" && vb == "":
		r.failf("%s is not set: %s is set and %s needs both", b, a, what)
	case va == "" && vb != "":
		r.failf("%s is not set: %s is set and %s needs both", a, b, what)
	}
}

func (r *reader) boolean(name string) bool {
	v := r.getenv(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, v, "want true or false")
	}
	return b
}

func (r *reader) oneOf(name string, allowed ...string) string {
	v := r.str(name, allowed[0])
	if !slices.Contains(allowed, v) {
		r.fail(name, v, "want "+strings.Join(allowed, " or "))
	}
	return v
}

func (r *reader) level(name string) slog.Level {
	var l slog.Level
	if v := r.getenv(name); v != "" {
		if err := l.UnmarshalText([]byte(v)); err != nil {
			r.fail(name, v, "want debug, info, warn or error")
		}
	}
	return l
}

func (r *reader) hostPort(name, def string) string {
	v := r.str(name, def)
	if v == "" {
		return v
	}
	_, port, err := net.SplitHostPort(v)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		r.fail(name, v, "want host:port, e.g. 127.0.0.1:8080")
	}
	return v
}

func (r *reader) httpURL(name string) string {
	v := r.getenv(name)
	if v == "" {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, v, "want an http:// or https:// URL with a host")
	}
	return v
}

func (r *reader) list(name string) []string {
	var out []string
	for _, p := range strings.Split(r.getenv(name), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range strings.FieldsFunc(r.getenv(name), func(c rune) bool { return c == ',' || c == ' ' }) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			r.fail(name, r.getenv(name), fmt.Sprintf("%q is not a CIDR prefix like 10.0.0.0/8", s))
			return nil
		}
		out = append(out, p)
	}
	return out
}

func (r *reader) digits(name string, n int, what string) string {
	v := r.getenv(name)
	if v == "" {
		return v
	}
	ok := len(v) == n
	for _, c := range v {
		ok = ok && c >= '0' && c <= '9'
	}
	if !ok {
		r.fail(name, v, fmt.Sprintf("want %s of %d digits", what, n))
	}
	return v
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, v, "want a positive duration like 90s or 2m")
		return def
	}
	return d
}

func (r *reader) durations(name string, def []time.Duration) []time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	var out []time.Duration
	for _, p := range r.list(name) {
		d, err := time.ParseDuration(p)
		if err != nil || d <= 0 {
			r.fail(name, v, "want positive durations like 10s,60s,300s")
			return def
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		r.fail(name, v, "want positive durations like 10s,60s,300s")
		return def
	}
	return out
}

func (r *reader) queues(name string) map[string]int {
	q := DefaultQueues()
	v := r.getenv(name)
	for _, part := range r.list(name) {
		k, num, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		n, err := strconv.Atoi(strings.TrimSpace(num))
		if _, known := q[k]; !known {
			names := slices.Sorted(maps.Keys(DefaultQueues()))
			r.fail(name, v, fmt.Sprintf("unknown queue %q: want one of %s", k, strings.Join(names, ", ")))
			return DefaultQueues()
		}
		if !ok || err != nil || n < 1 || n > 10000 {
			r.fail(name, v, fmt.Sprintf("%q: want queue=workers with workers 1..10000", part))
			return DefaultQueues()
		}
		q[k] = n
	}
	return q
}

// caps reads "subject=count,…" (ZHKHGATE_GIS_CAPS). The subject names are
// checked against the GIS subject registry when the exchange is built, so
// a new subject needs no change here.
func (r *reader) caps(name string) map[string]int {
	c := map[string]int{}
	for _, part := range r.list(name) {
		k, num, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(num))
		k = strings.TrimSpace(k)
		if !ok || k == "" || err != nil || n < 1 {
			r.fail(name, r.getenv(name), fmt.Sprintf("%q: want subject=count, e.g. payments=200", part))
			return nil
		}
		c[k] = n
	}
	return c
}
