package intake

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInbox(t *testing.T) {
	e := newRegistryEnv(t)
	dir := t.TempDir()
	for _, d := range []string{"done", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, data []byte, age time.Duration) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o640); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	sber := sample(t, "synthetic", "sber-zhku-registry.cp1251.txt")
	write("EPS100000000001_493.y08", sber, time.Minute)
	write("copy-of-the-same.txt", sber, time.Minute)
	write("still-writing.txt", sber[:100], 0) // not settled yet: left alone
	write("statement.txt", cp1251(t, "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nРасчСчет=40702810600000012345\r\nКонецФайла\r\n"), time.Minute)
	write("broken-statement.txt", cp1251(t, "1CClientBankExchange\r\nВерсияФормата=1.03\r\n"), time.Minute)
	write(".hidden", sber, time.Minute)

	in := newIntake(t, e.pool, e.client, Config{InboxDir: dir, InboxSettle: 10 * time.Second})
	items, err := in.ScanInbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]InboxItem{}
	for _, it := range items {
		got[it.File] = it
	}
	if len(items) != 4 {
		t.Fatalf("scan took %d files: %+v", len(items), items)
	}
	reg, dup := got["EPS100000000001_493.y08"], got["copy-of-the-same.txt"]
	if reg.Err != nil || reg.ID == 0 || reg.Statement || dup.Err != nil || !dup.Duplicate || dup.ID != reg.ID {
		t.Errorf("registry %+v, duplicate %+v", reg, dup)
	}
	if st := got["statement.txt"]; st.Err != nil || !st.Statement {
		t.Errorf("statement: %+v", st)
	}
	if bad := got["broken-statement.txt"]; bad.Err == nil || !strings.Contains(bad.Err.Error(), "truncated") {
		t.Errorf("broken statement: %+v", bad)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	var names []string
	for _, p := range left {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != ".hidden done failed still-writing.txt" {
		t.Errorf("left in the inbox: %v", names)
	}
	reason, err := os.ReadFile(filepath.Join(dir, "failed", "broken-statement.txt.error.txt"))
	if err != nil || !strings.Contains(string(reason), "no КонецФайла") {
		t.Errorf("failed reason = %q, %v", reason, err)
	}
	done, _ := filepath.Glob(filepath.Join(dir, "done", "registry-*"))
	if len(done) != 2 {
		t.Errorf("done = %v", done)
	}
	// The registry taken in from the inbox is processed like any other.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := in.Wait(ctx, reg.ID, 0)
	if err != nil || r.Intake != "inbox" || r.RowsPosted != 3 {
		t.Errorf("inbox registry: %+v, %v", r, err)
	}
}
