package testdb

import (
	"context"
	"testing"
)

func TestNewGivesIsolatedMigratedDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := New(t), New(t)
	if _, err := a.Exec(ctx, `INSERT INTO staff_users (login, password_hash) VALUES ('only-in-a', 'x')`); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM staff_users`).Scan(&n); err != nil {
		t.Fatalf("count: %v", err)
	}
	if n != 0 {
		t.Errorf("database b sees %d rows written to a", n)
	}
	// River's schema is migrated too.
	if err := a.QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatalf("river_job: %v", err)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"postgres://u@/zhkhgate?host=%2Fx&port=5432": "postgres://u@/postgres?host=%2Fx&port=5432",
		"postgres://u:p@localhost:5432/db":           "postgres://u:p@localhost:5432/postgres",
		"postgres://u@localhost":                     "postgres://u@localhost/postgres",
	}
	for in, want := range cases {
		if got := withDatabase(in, "postgres"); got != want {
			t.Errorf("withDatabase(%q) = %q, want %q", in, got, want)
		}
	}
}
