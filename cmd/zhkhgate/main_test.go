package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"maps"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/gost"
	"github.com/zhkhgate/zhkhgate/internal/pg"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

func testEnv(vars map[string]string) (*Env, *bytes.Buffer) {
	var out bytes.Buffer
	return &Env{Stdout: &out, Stderr: &out, Getenv: func(k string) string { return vars[k] }}, &out
}

func TestHelpListsEveryCommand(t *testing.T) {
	t.Parallel()
	env, out := testEnv(nil)
	if err := run(context.Background(), env, []string{"help"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(out.String(), "  "+c.name+" ") || c.summary == "" {
			t.Errorf("help does not list %q with a purpose", c.name)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	env, _ := testEnv(nil)
	if err := run(context.Background(), env, []string{"frobnicate"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("err = %v, want Invalid", err)
	}
}

func TestUnreachableDatabaseNamesHostAndCause(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"postgres://u@127.0.0.1:1/db":          "127.0.0.1:1",
		"postgres://u@no-such-host.invalid/db": "no-such-host.invalid",
		"not a url at all ://":                 "not a valid PostgreSQL connection string",
	}
	for url, want := range cases {
		env, _ := testEnv(map[string]string{"DATABASE_URL": url})
		err := run(context.Background(), env, []string{"migrate", "status"})
		if err == nil || !strings.Contains(apperr.UserMessage(err), want) {
			t.Errorf("DATABASE_URL=%q: message %q does not name %q", url, apperr.UserMessage(err), want)
		}
	}
}

func TestMigrateTwiceAndStatus(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t) // already migrated: up must be a no-op
	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error"})
	for range 2 {
		if err := run(context.Background(), env, []string{"migrate", "up"}); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := run(context.Background(), env, []string{"migrate", "status"}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		if f := strings.Fields(line); len(f) < 4 || f[2] != "applied" {
			t.Errorf("not applied after up: %q", line)
		}
	}
	if !strings.Contains(out.String(), "00001_core.sql") {
		t.Errorf("status does not list the core migration:\n%s", out.String())
	}
}

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_ADMIN_PASSWORD": "long enough secret", "ZHKHGATE_LOG_LEVEL": "error"})
	if err := run(context.Background(), env, []string{"admin", "create-user", "--login", "olga", "--role", "admin"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "created staff user olga") {
		t.Errorf("output: %s", out.String())
	}
	if err := run(context.Background(), env, []string{"admin", "create-user", "--login", "olga"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second create: err = %v, want Conflict", err)
	}
	short, _ := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_ADMIN_PASSWORD": "short"})
	if err := run(context.Background(), short, []string{"admin", "create-user", "--login", "ivan"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("short password: err = %v, want Invalid", err)
	}
}

// syncBuffer is a buffer several goroutines (River's, the inbox's) may log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestHalfConfiguredStopsEveryCommand: a half-configured subsystem stops
// each command at start with the one line naming the variable — before it
// touches the database (the URL here is unreachable) and never as a warning.
func TestHalfConfiguredStopsEveryCommand(t *testing.T) {
	t.Parallel()
	const want = "ZHKHGATE_GIS_KEY is not set: ZHKHGATE_GIS_URL is set and needs the PEM signing key (GOST R 34.10-2012 256)"
	for _, args := range [][]string{
		{"run"}, {"serve"}, {"worker"}, {"demo"}, {"load-demo"}, {"migrate", "status"}, {"pg", "url"},
		{"admin", "create-user", "--login", "olga"}, {"gis", "sync", "--org", "1", "--what", "orgs"},
		{"registry", "import", "x.txt"}, {"registry", "profiles"}, {"sim", "gis"}, {"sim", "esia"},
	} {
		env, out := testEnv(map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/db", "ZHKHGATE_GIS_URL": "http://127.0.0.1:8443",
			"ZHKHGATE_GIS_CERT": "cert.pem", "ZHKHGATE_ADMIN_PASSWORD": "long enough secret"})
		err := run(context.Background(), env, args)
		if !apperr.Is(err, apperr.Invalid) || apperr.UserMessage(err) != want {
			t.Errorf("%v: %v, want %q", args, err, want)
		}
		if strings.Contains(out.String(), "level=") {
			t.Errorf("%v logged before stopping:\n%s", args, out.String())
		}
	}
}

// TestBrokenProfileFileStopsWorkers: a registry profile file that does not
// load stops the process; it used to be logged while the workers ran on
// with the built-in profiles.
func TestBrokenProfileFileStopsWorkers(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	env, _ := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error", "ZHKHGATE_DATA_DIR": t.TempDir(),
		"ZHKHGATE_REGISTRY_PROFILES": filepath.Join(t.TempDir(), "missing.json")})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, env, []string{"worker"})
	if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.UserMessage(err), "ZHKHGATE_REGISTRY_PROFILES") || ctx.Err() != nil {
		t.Errorf("worker with a missing profile file: %v", err)
	}
}

// TestWorkersSayWhatTheyWork: the start line names every queue with its
// workers and the worker ID, and the default inbox (DATA_DIR/inbox) is
// watched without ZHKHGATE_REGISTRY_INBOX.
func TestWorkersSayWhatTheyWork(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	var logs syncBuffer
	for _, tc := range []struct {
		vars      map[string]string
		queues    string
		id        string
		idPattern string
	}{
		{map[string]string{}, `queues="bank=2,default=4,gis=8,notify=4"`, "", `worker_id=\S+ worker_id_from="random`},
		{map[string]string{"ZHKHGATE_QUEUES": "gis=3", "ZHKHGATE_WORKER_ID": "w-7"}, `queues="bank=2,default=4,gis=3,notify=4"`, "w-7", `worker_id=w-7 worker_id_from=ZHKHGATE_WORKER_ID`},
	} {
		vars := map[string]string{"DATABASE_URL": testdb.NewURL(t), "ZHKHGATE_DATA_DIR": data}
		maps.Copy(vars, tc.vars)
		env := &Env{Stdout: &logs, Stderr: &logs, Getenv: func(k string) string { return vars[k] }}
		ctx, cancel := context.WithCancel(context.Background())
		a, err := openApp(ctx, env, false)
		if err != nil {
			t.Fatal(err)
		}
		client, err := a.startWorkers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.stopWorkers(client)
		cancel()
		a.close()
		line := ""
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, `msg="workers started"`) {
				line = l
			}
		}
		if !strings.Contains(line, tc.queues) || !regexp.MustCompile(tc.idPattern).MatchString(line) {
			t.Errorf("start line %q, want %s and %s", line, tc.queues, tc.idPattern)
		}
		if !strings.Contains(logs.String(), `msg="watching the registry inbox" dir=`+filepath.Join(data, "inbox")) {
			t.Errorf("the default inbox is not watched:\n%s", logs.String())
		}
		if _, err := os.Stat(filepath.Join(data, "inbox")); err != nil {
			t.Errorf("inbox: %v", err)
		}
	}
}

// TestPGFlagsAfterTheAction: `pg url --dir X` names X's socket, flags after
// the action are parsed (an unknown one is refused), and the host is never
// empty.
func TestPGFlagsAfterTheAction(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pg")
	for _, args := range [][]string{{"pg", "url", "--dir", dir}, {"pg", "--dir", dir, "url"}} {
		env, out := testEnv(map[string]string{"ZHKHGATE_DATA_DIR": t.TempDir()})
		if err := run(context.Background(), env, args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		// Root is dir, or its fallback when root runs the tests.
		root := (&pg.Cluster{Dir: dir, Logger: slog.New(slog.DiscardHandler)}).Root()
		if root != dir {
			t.Cleanup(func() { _ = os.RemoveAll(root) })
		}
		if !strings.Contains(out.String(), "?host="+neturl.QueryEscape(root)+"&") || root == "" {
			t.Errorf("%v: %q does not name the cluster's socket directory %s", args, out.String(), root)
		}
	}
	for _, args := range [][]string{{"pg", "start", "--bogus"}, {"pg", "url", "extra"}, {"pg", "frobnicate"}, {"pg"}} {
		env, _ := testEnv(map[string]string{"ZHKHGATE_DATA_DIR": t.TempDir()})
		if err := run(context.Background(), env, args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestDemoSaysWhatItLoaded: the accounts beyond --accounts are explained, a
// second run says the earlier demo is kept and how to start over, and a
// different demo is refused with the same advice.
func TestDemoSaysWhatItLoaded(t *testing.T) {
	t.Parallel()
	env, out := testEnv(map[string]string{"DATABASE_URL": testdb.NewURL(t), "ZHKHGATE_LOG_LEVEL": "error"})
	ctx := context.Background()
	if err := run(ctx, env, []string{"load-demo", "--accounts", "20", "--months", "1"}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\(20 accounts as asked with --accounts, and \d+ more: the accounts the shipped sample bank registries pay`).MatchString(out.String()) {
		t.Errorf("first load does not explain its accounts:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, env, []string{"load-demo", "--accounts", "20", "--months", "1", "--until", "2025-01"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(seed 1, 20 accounts, 1 months) is kept as it is", "make clean-pg", "--until 2025-01 was not applied"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("second load does not say %q:\n%s", want, out.String())
		}
	}
	err := run(ctx, env, []string{"load-demo", "--accounts", "30", "--months", "1"})
	if !apperr.Is(err, apperr.Conflict) || !strings.Contains(apperr.UserMessage(err), "make clean-pg") {
		t.Errorf("a different demo: %v", err)
	}
}

// TestGISFromConfig builds the GIS exchange from the configuration; a key
// that does not load, pinned certificates that do not load and a cap of a
// subject the registry does not know are errors naming the variable.
func TestGISFromConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	key, cert := gistest.WriteCredentials(t, t.TempDir())
	good := config.GIS{URL: "http://127.0.0.1:1", KeyFile: key, CertFile: cert, ServerCerts: cert,
		Poll: []time.Duration{time.Second, 5 * time.Second}, ResendAfter: time.Minute, Caps: map[string]int{"payments": 150}}
	g, err := gisFromConfig(ctx, good, tool, nil, slog.New(slog.DiscardHandler))
	if err != nil || len(g.Config().Poll) != 2 || g.Config().Caps[gisexchange.Payments] != 150 || g.Config().ResendAfter != time.Minute {
		t.Fatalf("GIS %+v, %v", g, err)
	}
	for _, tc := range []struct {
		change func(*config.GIS)
		want   string
	}{
		{func(c *config.GIS) { c.KeyFile = "missing.pem" }, "ZHKHGATE_GIS_KEY"},
		{func(c *config.GIS) { c.ServerCerts = "missing.pem" }, "ZHKHGATE_GIS_SERVER_CERTS"},
		{func(c *config.GIS) { c.ServerCerts = key }, "ZHKHGATE_GIS_SERVER_CERTS"}, // a key, no certificate
		{func(c *config.GIS) { c.Caps = map[string]int{"letters": 5} }, "ZHKHGATE_GIS_CAPS"},
		{func(c *config.GIS) { c.Caps = map[string]int{"houses": 5} }, "ZHKHGATE_GIS_CAPS"}, // an export carries no items
	} {
		cfg := good
		tc.change(&cfg)
		if _, err := gisFromConfig(ctx, cfg, tool, nil, slog.New(slog.DiscardHandler)); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %s", cfg, err, tc.want)
		}
	}
}

// TestOnlyConfigReadsTheEnvironment: no command reads a variable itself;
// they get a config.Config (main.go hands os.Getenv to config.Load).
func TestOnlyConfigReadsTheEnvironment(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "config.go" || f == "main.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Getenv" || sel.Sel.Name == "LookupEnv" || sel.Sel.Name == "Environ") {
				t.Errorf("%s reads the environment itself", fset.Position(sel.Pos()))
			}
			return true
		})
	}
}

// TestQueueDefaultsAgree: the configuration's queues are the jobs' queues.
func TestQueueDefaultsAgree(t *testing.T) {
	t.Parallel()
	if got, want := config.DefaultQueues(), jobs.DefaultConcurrency(); !maps.Equal(got, want) {
		t.Errorf("config.DefaultQueues %v, jobs.DefaultConcurrency %v", got, want)
	}
}
