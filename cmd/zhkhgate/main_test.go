package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
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
