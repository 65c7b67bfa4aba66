package config_test

import (
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
)

func noErr(t *testing.T, err error, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatal(append([]any{err}, args...)...)
	}
}

func equal(t *testing.T, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(want, got) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	noErr(t, err)
	return a
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	noErr(t, err)
	want := config.Config{
		DataDir:  abs(t, "var"),
		HTTP:     config.HTTP{Addr: "127.0.0.1:8080", PublicURL: "http://127.0.0.1:8080"},
		Log:      config.Log{Level: slog.LevelInfo, Format: "text"},
		Jobs:     config.Jobs{Queues: map[string]int{"default": 4, "bank": 2, "gis": 8, "notify": 4}},
		Registry: config.Registry{Inbox: abs(t, "var/inbox"), InboxSettle: config.DefaultInboxSettle},
		Sim:      config.Sim{GISAddr: "127.0.0.1:8092", ESIAAddr: "127.0.0.1:8091", AcquiringAddr: "127.0.0.1:8093", GISSpec: "../shared/spec/gis-zhkh"},
	}
	equal(t, want, c)
	if c.GIS.On() || c.ESIA.On() || c.SMTP.On() {
		t.Error("a subsystem is on with nothing set")
	}
}

// full sets every variable Load reads to a valid value.
func full() map[string]string {
	return map[string]string{
		"DATABASE_URL":                     "postgres://u@db.example/zhkh",
		"ZHKHGATE_DATA_DIR":                "/srv/zhkhgate",
		"ZHKHGATE_HTTP_ADDR":               "0.0.0.0:9000",
		"ZHKHGATE_PUBLIC_URL":              "https://lk.example.org/",
		"ZHKHGATE_QUEUES":                  "bank=4, gis=16",
		"ZHKHGATE_WORKER_ID":               "worker-a",
		"ZHKHGATE_SECURE_COOKIES":          "true",
		"ZHKHGATE_LOG_LEVEL":               "debug",
		"ZHKHGATE_LOG_FORMAT":              "json",
		"ZHKHGATE_REGISTRY_PROFILES":       "a.json, b.json",
		"ZHKHGATE_REGISTRY_INBOX":          "/srv/inbox",
		"ZHKHGATE_GIS_URL":                 "http://127.0.0.1:8443",
		"ZHKHGATE_GIS_KEY":                 "gis-key.pem",
		"ZHKHGATE_GIS_SERVER_CERTS":        "gis-server.pem",
		"ZHKHGATE_REGISTRY_INBOX_SETTLE":   "5s",
		"ZHKHGATE_GIS_CERT":                "gis-cert.pem",
		"ZHKHGATE_GIS_USER":                "sit",
		"ZHKHGATE_GIS_PASSWORD":            "secret",
		"ZHKHGATE_GIS_BANK_BIK":            "045773603",
		"ZHKHGATE_GIS_BANK_ACCOUNT":        "40702810049770012345",
		"ZHKHGATE_GIS_POLL":                "1s,2s,5s",
		"ZHKHGATE_GIS_RESEND_AFTER":        "30s",
		"ZHKHGATE_GIS_TIMEOUT":             "1m",
		"ZHKHGATE_GIS_CAPS":                "documents=300,payments=150",
		"ZHKHGATE_GIS_SPEC":                "/srv/spec",
		"ZHKHGATE_GIS_SIM_ADDR":            "127.0.0.1:9092",
		"ZHKHGATE_ESIA_URL":                "https://esia.gosuslugi.ru",
		"ZHKHGATE_ESIA_ISSUER":             "http://esia.gosuslugi.ru/",
		"ZHKHGATE_ESIA_CLIENT_ID":          "RC01",
		"ZHKHGATE_ESIA_CLIENT_KEY":         "esia-key.pem",
		"ZHKHGATE_ESIA_CLIENT_CERT":        "esia-cert.pem",
		"ZHKHGATE_ESIA_CERTS":              "esia.pem",
		"ZHKHGATE_ESIA_CA":                 "ca.pem",
		"ZHKHGATE_ESIA_SCOPES":             "openid fullname",
		"ZHKHGATE_ESIA_LEGACY":             "true",
		"ZHKHGATE_ESIA_SIM_ADDR":           "127.0.0.1:9091",
		"ZHKHGATE_SMTP_ADDR":               "smtp.example.org:587",
		"ZHKHGATE_SMTP_FROM":               "zhkh@example.org",
		"ZHKHGATE_SMTP_USER":               "zhkh",
		"ZHKHGATE_SMTP_PASSWORD":           "mail secret",
		"ZHKHGATE_ACQUIRING_URL":           "https://securepayments.example.ru/payment/rest",
		"ZHKHGATE_ACQUIRING_USER":          "rc-api",
		"ZHKHGATE_ACQUIRING_PASSWORD":      "api secret",
		"ZHKHGATE_ACQUIRING_SECRET":        "callback key",
		"ZHKHGATE_ACQUIRING_SIM_ADDR":      "127.0.0.1:9093",
		"ZHKHGATE_CABINET_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.0/24",
		"ZHKHGATE_CABINET_DEMO_HINTS":      "true",
		"ZHKHGATE_ADMIN_PASSWORD":          "long enough secret",
	}
}

func TestEveryVariable(t *testing.T) {
	vars := full()
	var read []string
	c, err := config.Load(func(k string) string { read = append(read, k); return vars[k] })
	noErr(t, err)
	want := config.Config{
		DataDir:  "/srv/zhkhgate",
		Database: config.Database{URL: "postgres://u@db.example/zhkh"},
		HTTP:     config.HTTP{Addr: "0.0.0.0:9000", PublicURL: "https://lk.example.org", SecureCookies: true},
		Log:      config.Log{Level: slog.LevelDebug, Format: "json"},
		Jobs:     config.Jobs{Queues: map[string]int{"default": 4, "bank": 4, "gis": 16, "notify": 4}, WorkerID: "worker-a"},
		Registry: config.Registry{Profiles: []string{"a.json", "b.json"}, Inbox: "/srv/inbox", InboxSettle: 5 * time.Second},
		GIS: config.GIS{URL: "http://127.0.0.1:8443", KeyFile: "gis-key.pem", CertFile: "gis-cert.pem", ServerCerts: "gis-server.pem", User: "sit", Password: "secret",
			BankBIK: "045773603", BankAccount: "40702810049770012345", Poll: []time.Duration{time.Second, 2 * time.Second, 5 * time.Second},
			ResendAfter: 30 * time.Second, Timeout: time.Minute, Caps: map[string]int{"documents": 300, "payments": 150}},
		ESIA: config.ESIA{URL: "https://esia.gosuslugi.ru", Issuer: "http://esia.gosuslugi.ru/", ClientID: "RC01", ClientKey: "esia-key.pem",
			ClientCert: "esia-cert.pem", Certs: "esia.pem", CA: "ca.pem", Scopes: []string{"openid", "fullname"}, Legacy: true},
		SMTP:      config.SMTP{Addr: "smtp.example.org:587", From: "zhkh@example.org", User: "zhkh", Password: "mail secret"},
		Acquiring: config.Acquiring{URL: "https://securepayments.example.ru/payment/rest", User: "rc-api", Password: "api secret", Secret: "callback key"},
		Cabinet: config.Cabinet{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.0/24")},
			DemoHints: true},
		Admin: config.Admin{Password: "long enough secret"},
		Sim:   config.Sim{GISAddr: "127.0.0.1:9092", ESIAAddr: "127.0.0.1:9091", AcquiringAddr: "127.0.0.1:9093", GISSpec: "/srv/spec"},
	}
	equal(t, want, c)
	// Every variable is read, listed, and set in this test.
	for _, v := range config.Variables() {
		if !slices.Contains(read, v) {
			t.Errorf("Load does not read %s", v)
		}
		if _, ok := vars[v]; !ok {
			t.Errorf("the test does not set %s", v)
		}
	}
	for _, v := range read {
		if !slices.Contains(config.Variables(), v) {
			t.Errorf("Load reads %s, which Variables does not list", v)
		}
	}
}

// TestReadmeListsEveryVariable keeps the README's configuration table whole.
func TestReadmeListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	noErr(t, err)
	readme := string(b)
	start := strings.Index(readme, "## Configuration")
	if start < 0 {
		t.Fatal("README has no configuration section")
	}
	section := readme[start:]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	for _, v := range config.Variables() {
		if !regexp.MustCompile("(?m)^\\| `" + v + "`").MatchString(section) {
			t.Errorf("README's configuration table has no row for %s", v)
		}
	}
}

func TestInvalidValues(t *testing.T) {
	gis := map[string]string{"ZHKHGATE_GIS_URL": "http://127.0.0.1:8443", "ZHKHGATE_GIS_KEY": "k.pem", "ZHKHGATE_GIS_CERT": "c.pem", "ZHKHGATE_GIS_SERVER_CERTS": "gis.pem"}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{k: v}
		for bk, bv := range base {
			if bk != k {
				m[bk] = bv
			}
		}
		return m
	}
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ZHKHGATE_HTTP_ADDR": "8080"}, `ZHKHGATE_HTTP_ADDR="8080": want host:port, e.g. 127.0.0.1:8080`},
		{map[string]string{"ZHKHGATE_HTTP_ADDR": "localhost:http"}, `ZHKHGATE_HTTP_ADDR="localhost:http": want host:port, e.g. 127.0.0.1:8080`},
		{map[string]string{"ZHKHGATE_PUBLIC_URL": "lk.example.org"}, `ZHKHGATE_PUBLIC_URL="lk.example.org": want an http:// or https:// URL with a host`},
		{map[string]string{"ZHKHGATE_SECURE_COOKIES": "yes"}, `ZHKHGATE_SECURE_COOKIES="yes": want true or false`},
		{map[string]string{"ZHKHGATE_PUBLIC_URL": "https://lk.example.ru", "ZHKHGATE_SECURE_COOKIES": "false"},
			`ZHKHGATE_SECURE_COOKIES="false": ZHKHGATE_PUBLIC_URL is https, so cookies must be Secure: unset it or set true`},
		{map[string]string{"ZHKHGATE_LOG_LEVEL": "loud"}, `ZHKHGATE_LOG_LEVEL="loud": want debug, info, warn or error`},
		{map[string]string{"ZHKHGATE_LOG_FORMAT": "xml"}, `ZHKHGATE_LOG_FORMAT="xml": want text or json`},
		{map[string]string{"ZHKHGATE_QUEUES": "bank=0"}, `ZHKHGATE_QUEUES="bank=0": "bank=0": want queue=workers with workers 1..10000`},
		{map[string]string{"ZHKHGATE_QUEUES": "bank"}, `ZHKHGATE_QUEUES="bank": "bank": want queue=workers with workers 1..10000`},
		{map[string]string{"ZHKHGATE_QUEUES": "gis=8,mail=2"}, `ZHKHGATE_QUEUES="gis=8,mail=2": unknown queue "mail": want one of bank, default, gis, notify`},
		{map[string]string{"ZHKHGATE_CABINET_TRUSTED_PROXIES": "10.0.0.0/8,proxy"}, `ZHKHGATE_CABINET_TRUSTED_PROXIES="10.0.0.0/8,proxy": "proxy" is not a CIDR prefix like 10.0.0.0/8`},
		{map[string]string{"ZHKHGATE_CABINET_DEMO_HINTS": "on"}, `ZHKHGATE_CABINET_DEMO_HINTS="on": want true or false`},
		{map[string]string{"ZHKHGATE_GIS_SIM_ADDR": "sim"}, `ZHKHGATE_GIS_SIM_ADDR="sim": want host:port, e.g. 127.0.0.1:8080`},
		{map[string]string{"ZHKHGATE_ESIA_SIM_ADDR": "sim"}, `ZHKHGATE_ESIA_SIM_ADDR="sim": want host:port, e.g. 127.0.0.1:8080`},
		{with(gis, "ZHKHGATE_GIS_URL", "127.0.0.1:8443"), `ZHKHGATE_GIS_URL="127.0.0.1:8443": want an http:// or https:// URL with a host`},
		{with(gis, "ZHKHGATE_GIS_POLL", "soon"), `ZHKHGATE_GIS_POLL="soon": want positive durations like 10s,60s,300s`},
		{with(gis, "ZHKHGATE_GIS_POLL", "1s,-2s"), `ZHKHGATE_GIS_POLL="1s,-2s": want positive durations like 10s,60s,300s`},
		{with(gis, "ZHKHGATE_GIS_POLL", ","), `ZHKHGATE_GIS_POLL=",": want positive durations like 10s,60s,300s`},
		{with(gis, "ZHKHGATE_GIS_RESEND_AFTER", "2"), `ZHKHGATE_GIS_RESEND_AFTER="2": want a positive duration like 90s or 2m`},
		{with(gis, "ZHKHGATE_GIS_TIMEOUT", "0s"), `ZHKHGATE_GIS_TIMEOUT="0s": want a positive duration like 90s or 2m`},
		{with(gis, "ZHKHGATE_GIS_CAPS", "letters"), `ZHKHGATE_GIS_CAPS="letters": "letters": want subject=count, e.g. payments=200`},
		{with(gis, "ZHKHGATE_GIS_CAPS", "payments=0"), `ZHKHGATE_GIS_CAPS="payments=0": "payments=0": want subject=count, e.g. payments=200`},
		{with(with(gis, "ZHKHGATE_GIS_BANK_BIK", "04577360"), "ZHKHGATE_GIS_BANK_ACCOUNT", "40702810049770012345"), `ZHKHGATE_GIS_BANK_BIK="04577360": want a BIK of 9 digits`},
		{with(with(gis, "ZHKHGATE_GIS_BANK_BIK", "045773603"), "ZHKHGATE_GIS_BANK_ACCOUNT", "4070281004977001234X"), `ZHKHGATE_GIS_BANK_ACCOUNT="4070281004977001234X": want a settlement account of 20 digits`},
		{map[string]string{"ZHKHGATE_SMTP_ADDR": "smtp.example.org", "ZHKHGATE_SMTP_FROM": "a@b.c"}, `ZHKHGATE_SMTP_ADDR="smtp.example.org": want host:port, e.g. 127.0.0.1:8080`},
		{map[string]string{"ZHKHGATE_SMTP_ADDR": "smtp.example.org:25", "ZHKHGATE_SMTP_FROM": "nobody"}, `ZHKHGATE_SMTP_FROM="nobody": want an e-mail address like zhkh@example.org`},
	}
	esia := map[string]string{"ZHKHGATE_ESIA_URL": "https://esia.gosuslugi.ru", "ZHKHGATE_ESIA_ISSUER": "i", "ZHKHGATE_ESIA_CLIENT_ID": "c",
		"ZHKHGATE_ESIA_CLIENT_KEY": "k", "ZHKHGATE_ESIA_CLIENT_CERT": "c", "ZHKHGATE_ESIA_CERTS": "e"}
	cases = append(cases,
		struct {
			env  map[string]string
			want string
		}{with(esia, "ZHKHGATE_ESIA_LEGACY", "maybe"), `ZHKHGATE_ESIA_LEGACY="maybe": want true or false`},
		struct {
			env  map[string]string
			want string
		}{with(esia, "ZHKHGATE_ESIA_URL", "esia"), `ZHKHGATE_ESIA_URL="esia": want an http:// or https:// URL with a host`})
	for _, tc := range cases {
		_, err := config.Load(env(tc.env))
		if !apperr.Is(err, apperr.Invalid) || apperr.UserMessage(err) != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.env, err, tc.want)
		}
	}
}

// subsystem describes one off-or-fully-on subsystem for the exhaustive test.
type subsystem struct {
	vars     []string          // the first turns it on
	required []string          // needed once on
	pairs    [][2]string       // both or neither
	what     string            // in the error
	needs    map[string]string // what each required variable is, in the error
	valid    map[string]string
}

var subsystems = []subsystem{
	{
		vars: []string{"ZHKHGATE_GIS_URL", "ZHKHGATE_GIS_KEY", "ZHKHGATE_GIS_CERT", "ZHKHGATE_GIS_SERVER_CERTS", "ZHKHGATE_GIS_USER",
			"ZHKHGATE_GIS_PASSWORD", "ZHKHGATE_GIS_BANK_BIK", "ZHKHGATE_GIS_BANK_ACCOUNT", "ZHKHGATE_GIS_POLL",
			"ZHKHGATE_GIS_RESEND_AFTER", "ZHKHGATE_GIS_TIMEOUT", "ZHKHGATE_GIS_CAPS"},
		required: []string{"ZHKHGATE_GIS_KEY", "ZHKHGATE_GIS_CERT", "ZHKHGATE_GIS_SERVER_CERTS"},
		pairs:    [][2]string{{"ZHKHGATE_GIS_USER", "ZHKHGATE_GIS_PASSWORD"}, {"ZHKHGATE_GIS_BANK_BIK", "ZHKHGATE_GIS_BANK_ACCOUNT"}},
		what:     "GIS ZhKH exchange",
		needs: map[string]string{"ZHKHGATE_GIS_KEY": "the PEM signing key (GOST R 34.10-2012 256)",
			"ZHKHGATE_GIS_CERT": "the signing key's PEM certificate", "ZHKHGATE_GIS_SERVER_CERTS": "GIS ZhKH's PEM certificates, which sign its answers"},
		valid: full(),
	},
	{
		vars: []string{"ZHKHGATE_ESIA_URL", "ZHKHGATE_ESIA_ISSUER", "ZHKHGATE_ESIA_CLIENT_ID", "ZHKHGATE_ESIA_CLIENT_KEY",
			"ZHKHGATE_ESIA_CLIENT_CERT", "ZHKHGATE_ESIA_CERTS", "ZHKHGATE_ESIA_CA", "ZHKHGATE_ESIA_SCOPES", "ZHKHGATE_ESIA_LEGACY"},
		required: []string{"ZHKHGATE_ESIA_ISSUER", "ZHKHGATE_ESIA_CLIENT_ID", "ZHKHGATE_ESIA_CLIENT_KEY", "ZHKHGATE_ESIA_CLIENT_CERT", "ZHKHGATE_ESIA_CERTS"},
		what:     "ESIA login",
		needs: map[string]string{"ZHKHGATE_ESIA_ISSUER": "the exact token issuer", "ZHKHGATE_ESIA_CLIENT_ID": "the system's mnemonic",
			"ZHKHGATE_ESIA_CLIENT_KEY": "the system's PEM key", "ZHKHGATE_ESIA_CLIENT_CERT": "the system's PEM certificate",
			"ZHKHGATE_ESIA_CERTS": "ESIA's token certificates (PEM) to pin"},
		valid: full(),
	},
	{
		vars:     []string{"ZHKHGATE_ACQUIRING_URL", "ZHKHGATE_ACQUIRING_USER", "ZHKHGATE_ACQUIRING_PASSWORD", "ZHKHGATE_ACQUIRING_SECRET"},
		required: []string{"ZHKHGATE_ACQUIRING_USER", "ZHKHGATE_ACQUIRING_PASSWORD", "ZHKHGATE_ACQUIRING_SECRET"},
		what:     "online payment",
		needs: map[string]string{"ZHKHGATE_ACQUIRING_USER": "the merchant's API login", "ZHKHGATE_ACQUIRING_PASSWORD": "the merchant's API password",
			"ZHKHGATE_ACQUIRING_SECRET": "the key of the callbacks' checksum"},
		valid: full(),
	},
	{
		vars:     []string{"ZHKHGATE_SMTP_ADDR", "ZHKHGATE_SMTP_FROM", "ZHKHGATE_SMTP_USER", "ZHKHGATE_SMTP_PASSWORD"},
		required: []string{"ZHKHGATE_SMTP_FROM"},
		pairs:    [][2]string{{"ZHKHGATE_SMTP_USER", "ZHKHGATE_SMTP_PASSWORD"}},
		what:     "sending mail over SMTP",
		needs:    map[string]string{"ZHKHGATE_SMTP_FROM": "the sender address"},
		valid:    full(),
	},
}

// expected states the rule independently of Load's code: nothing set is
// off; anything set without the switch names the first such variable; with
// the switch, the first missing required variable, then the first broken pair.
func (s subsystem) expected(set map[string]string) (on bool, msg string) {
	on = set[s.vars[0]] != ""
	if !on {
		for _, v := range s.vars[1:] {
			if set[v] != "" {
				return false, fmt.Sprintf("%s is set but %s is not: set %s to turn %s on, or unset %s", v, s.vars[0], s.vars[0], s.what, v)
			}
		}
		return false, ""
	}
	for _, v := range s.required {
		if set[v] == "" {
			return true, fmt.Sprintf("%s is not set: %s is set and needs %s", v, s.vars[0], s.needs[v])
		}
	}
	for _, p := range s.pairs {
		if (set[p[0]] == "") != (set[p[1]] == "") {
			have, miss := p[0], p[1]
			if set[have] == "" {
				have, miss = miss, have
			}
			var what string
			switch p[0] {
			case "ZHKHGATE_GIS_USER":
				what = "HTTP Basic auth"
			case "ZHKHGATE_GIS_BANK_BIK":
				what = "the bank details of payment documents"
			default:
				what = "SMTP authentication"
			}
			return true, fmt.Sprintf("%s is not set: %s is set and %s needs both", miss, have, what)
		}
	}
	return true, ""
}

// TestEveryHalfConfiguredCombination sets every subset of each subsystem's
// variables (2^12 for GIS) and checks the exact one-line error, or that the
// subsystem is off or on as it should be.
func TestEveryHalfConfiguredCombination(t *testing.T) {
	for _, s := range subsystems {
		errors := 0
		for mask := 0; mask < 1<<len(s.vars); mask++ {
			set := map[string]string{}
			for i, v := range s.vars {
				if mask&(1<<i) != 0 {
					set[v] = s.valid[v]
				}
			}
			on, want := s.expected(set)
			c, err := config.Load(env(set))
			if want != "" {
				errors++
				if !apperr.Is(err, apperr.Invalid) || apperr.UserMessage(err) != want || strings.Contains(err.Error(), "\n") {
					t.Fatalf("%v:\n got %v\nwant %s", slices.Sorted(maps.Keys(set)), err, want)
				}
				continue
			}
			noErr(t, err, set)
			got := map[string]bool{"ZHKHGATE_GIS_URL": c.GIS.On(), "ZHKHGATE_ESIA_URL": c.ESIA.On(), "ZHKHGATE_SMTP_ADDR": c.SMTP.On(), "ZHKHGATE_ACQUIRING_URL": c.Acquiring.On()}[s.vars[0]]
			if got != on {
				t.Fatalf("%v: on = %v, want %v", set, got, on)
			}
		}
		// Most combinations are half-configured: the test exercises the errors.
		if errors < 1<<len(s.vars)/2 {
			t.Errorf("%s: only %d of %d combinations failed", s.what, errors, 1<<len(s.vars))
		}
	}
}

func TestLogger(t *testing.T) {
	var b strings.Builder
	config.Log{Level: slog.LevelWarn, Format: "json"}.Logger(&b).Info("hidden")
	config.Log{Level: slog.LevelWarn, Format: "json"}.Logger(&b).Warn("shown")
	if strings.Count(b.String(), "\n") != 1 || !strings.Contains(b.String(), `"msg":"shown"`) {
		t.Errorf("log: %s", b.String())
	}
}

// TestHTTPSMakesCookiesSecure: behind an https public URL the cookies are
// Secure without being told.
func TestHTTPSMakesCookiesSecure(t *testing.T) {
	c, err := config.Load(env(map[string]string{"ZHKHGATE_PUBLIC_URL": "https://lk.example.ru"}))
	if err != nil || !c.HTTP.SecureCookies {
		t.Errorf("https: secure=%v, %v", c.HTTP.SecureCookies, err)
	}
	c, err = config.Load(env(map[string]string{"ZHKHGATE_PUBLIC_URL": "http://127.0.0.1:8080"}))
	if err != nil || c.HTTP.SecureCookies {
		t.Errorf("http: secure=%v, %v", c.HTTP.SecureCookies, err)
	}
}
