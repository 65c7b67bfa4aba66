package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestChargesCommands(t *testing.T) {
	url := testdb.NewURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК Пример', '5902987651', 'management') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Ленина, 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT h.id, n FROM h, unnest(ARRAY['1', '2']) n RETURNING id, house_id, number),
		a AS (INSERT INTO accounts (org_id, premises_id, number, opened_on)
		      SELECT h.org_id, p.id, '000010000' || p.number, '2020-01-01' FROM p JOIN h ON h.id = p.house_id)
		INSERT INTO services (org_id, code, name, unit, kind)
		SELECT o.id, s, s, 'unit', 'utility' FROM o, unnest(ARRAY['cold_water', 'heating']) s`)
	conn.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error"})
	cli := func(args ...string) (string, int) {
		out.Reset()
		err := run(ctx, env, append([]string{"charges"}, args...))
		var e exitCode
		switch {
		case err == nil:
			return out.String(), 0
		case errors.As(err, &e):
			return out.String(), int(e)
		}
		return out.String() + err.Error(), 1
	}
	const head = "account;service;tariff;volume;charged;total\n"
	v1 := write("v1.csv", head+"0000100001;cold_water;10;2;20.00;20.00\n0000100002;cold_water;10;3;30.00;30.00\n")
	v2 := write("v2.csv", head+"0000100001;cold_water;10;2;20.00;20.00\n0000100002;cold_water;10;4;40.00;40.00\n0000100009;heating;1;1;1.00;1.00\n")
	bad := write("bad.csv", head+"0000100001;cold_water;10;2;20.00;20.00\n#total;lines=1;charged=20.00;total=21.00\n")

	// Without an organization the file is rejected (exit 3), with the reason.
	got, code := cli("import", "--period", "2026-10", v1)
	if code != 3 || !strings.Contains(got, "the organization is unknown") {
		t.Fatalf("no org: exit %d\n%s", code, got)
	}
	got, code = cli("import", "--org", "7700000000", v2)
	if code != 1 || !strings.Contains(got, "no organization with INN 7700000000") {
		t.Fatalf("unknown --org: exit %d\n%s", code, got)
	}
	// The same bytes with the organization: read again.
	got, code = cli("import", "--org", "5902987651", "--period", "2026-11", v1)
	if code != 0 || !strings.Contains(got, "rejected before, read again") || !strings.Contains(got, "2026-11 version 1: lines 2, applied 2, quarantined 0") {
		t.Fatalf("v1: exit %d\n%s", code, got)
	}
	got, code = cli("import", "--org", "5902987651", "--period", "2026-11", v2)
	if code != 3 || !strings.Contains(got, "--new-version") {
		t.Fatalf("v2 without --new-version: exit %d\n%s", code, got)
	}
	got, code = cli("import", "--org", "5902987651", "--period", "2026-11", "--new-version", v2)
	if code != 2 || !strings.Contains(got, "2026-11 version 2: lines 3, applied 2, quarantined 1") ||
		!strings.Contains(got, "against version 1: 0 added, 0 removed, 1 changed, 1 unchanged; total +10.00") ||
		!strings.Contains(got, "line 4: unknown account: unknown account 0000100009") {
		t.Fatalf("v2: exit %d\n%s", code, got)
	}
	got, code = cli("import", "--org", "5902987651", "--period", "2026-12", bad)
	if code != 3 || !strings.Contains(got, "totals line declares total 21.00, the lines add up to 20.00") {
		t.Fatalf("bad: exit %d\n%s", code, got)
	}
	got, code = cli("import", "--json", "--org", "5902987651", "--period", "2026-11", v1)
	if code != 0 || !strings.Contains(got, `"duplicate_file": true`) {
		t.Fatalf("same file again: exit %d\n%s", code, got)
	}
	got, code = cli("diff", "--org", "1", "--period", "2026-11")
	if code != 0 || !strings.Contains(got, "version 1 → 2: 0 added, 0 removed, 1 changed") || !strings.Contains(got, "changed  0000100002") {
		t.Fatalf("diff: exit %d\n%s", code, got)
	}
	got, code = cli("diff", "--org", "1", "--period", "2026-11", "--from", "1", "--to", "5")
	if code != 1 || !strings.Contains(got, "no version 5") {
		t.Fatalf("diff of a missing version: exit %d\n%s", code, got)
	}
}
