package intake

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/store"
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

	c := &clock{t: time.Now()}
	in := newInboxIntake(t, e, dir, c)
	// The first scan sees the files; they are taken once they have not
	// changed for the settle time, except the one still being written.
	if items, err := in.ScanInbox(context.Background()); err != nil || len(items) != 0 {
		t.Fatalf("first scan took %+v, %v", items, err)
	}
	c.advance(20 * time.Second)
	write("still-writing.txt", sber[:200], 0)
	c.advance(20 * time.Second)
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
	reason, err := os.ReadFile(filepath.Join(dir, "failed", "broken-statement.txt.error.txt"))
	if err != nil || !strings.Contains(string(reason), "no КонецФайла") {
		t.Errorf("failed reason = %q, %v", reason, err)
	}
	// The registry taken in from the inbox is processed like any other,
	// and the next scan files it (and its copy) under done/.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := in.Wait(ctx, reg.ID, 0)
	if err != nil || r.Intake != "inbox" || r.RowsPosted != 3 {
		t.Errorf("inbox registry: %+v, %v", r, err)
	}
	if _, err := in.ScanInbox(ctx); err != nil {
		t.Fatal(err)
	}
	done, _ := filepath.Glob(filepath.Join(dir, "done", "registry-*"))
	if len(done) != 2 {
		t.Errorf("done = %v", done)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	var names []string
	for _, p := range left {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, " ") != ".hidden done failed still-writing.txt" {
		t.Errorf("left in the inbox: %v", names)
	}
}

// clock is a settable clock for the inbox.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newInboxIntake(t *testing.T, e *registryEnv, dir string, c *clock) *Intake {
	t.Helper()
	in, err := New(Config{InboxDir: dir, WaitPoll: 20 * time.Millisecond}, Deps{Pool: e.pool, Queue: e.client, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func inboxNames(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	for _, sub := range []string{"", "done", "failed"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				names = append(names, filepath.Join(sub, e.Name()))
			}
		}
	}
	return strings.Join(names, " ")
}

// TestInboxTakesOnlyCompleteFiles: a registry written in two halves 7 s
// apart is taken whole, once its size and time have stayed the same for
// the settle time (30 s by default) by the inbox's clock; a file still
// named .part is never taken; a file whose time is old but that the inbox
// has only just seen waits the settle time too.
func TestInboxTakesOnlyCompleteFiles(t *testing.T) {
	e := newRegistryEnv(t)
	dir := t.TempDir()
	for _, d := range []string{"done", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{t: time.Now()}
	in := newInboxIntake(t, e, dir, c)
	scan := func() []InboxItem {
		t.Helper()
		items, err := in.ScanInbox(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	sber := sample(t, "synthetic", "sber-zhku-registry.cp1251.txt")
	half := len(sber) / 2
	path := filepath.Join(dir, "EPS100000000001_493.y08")
	write := func(p string, data []byte, flag int, mtime time.Time) {
		t.Helper()
		f, err := os.OpenFile(p, flag|os.O_WRONLY|os.O_CREATE, 0o640)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	write(path, sber[:half], os.O_TRUNC, c.t)
	// A file a transport writes under .part and renames when complete; its
	// time is old (times preserved), and it is not taken while so named.
	part := filepath.Join(dir, "second.txt.part")
	second := cp1251(t, strings.Join([]string{cliLine1("30000000001"), "=1;4512,37;4467,25;45,12;551299;16-03-2025"}, "\r\n")+"\r\n")
	write(part, second, os.O_TRUNC, c.t.Add(-time.Hour))
	for _, step := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		c.advance(step)
		if items := scan(); len(items) != 0 {
			t.Fatalf("took %+v at +%v: the file is half-written", items, step)
		}
	}
	c.advance(time.Second) // 7 s after the first half, the second
	write(path, sber[half:], os.O_APPEND, c.t)
	if err := os.Rename(part, filepath.Join(dir, "second.txt")); err != nil {
		t.Fatal(err)
	}
	var taken []InboxItem
	for i := 0; i < 10 && len(taken) < 2; i++ {
		c.advance(5 * time.Second)
		taken = append(taken, scan()...)
	}
	if len(taken) != 2 || taken[0].Err != nil || taken[1].Err != nil {
		t.Fatalf("taken: %+v", taken)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, it := range taken {
		reg, err := in.Wait(ctx, it.ID, 0)
		if err != nil || reg.State == store.RegistryRejected {
			t.Errorf("%s: %+v, %v", it.File, reg, err)
		}
	}
	scan()
	if got := inboxNames(t, dir); !strings.Contains(got, "done/registry-1-EPS100000000001_493.y08") || !strings.Contains(got, "done/registry-2-second.txt") || strings.Contains(got, "failed") {
		t.Errorf("inbox: %s", got)
	}
}

// TestInboxRejectedRegistryGoesToFailed: a registry its processing rejects
// moves to failed/ with the reason in a .error.txt beside it.
func TestInboxRejectedRegistryGoesToFailed(t *testing.T) {
	e := newRegistryEnv(t)
	dir := t.TempDir()
	for _, d := range []string{"done", "failed"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	c := &clock{t: time.Now()}
	in := newInboxIntake(t, e, dir, c)
	// The totals line counts two payments, one arrived.
	truncated := cp1251(t, strings.Join([]string{cliLine1("40000000001"), "=2;5712,37;5655,25;57,12;551234;16-03-2025"}, "\r\n")+"\r\n")
	if err := os.WriteFile(filepath.Join(dir, "truncated.txt"), truncated, 0o640); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var id int64
	for id == 0 {
		items, err := in.ScanInbox(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			id = it.ID
		}
		c.advance(10 * time.Second)
	}
	if reg, err := in.Wait(ctx, id, 0); err != nil || reg.State != store.RegistryRejected {
		t.Fatalf("registry: %+v, %v", reg, err)
	}
	if _, err := in.ScanInbox(ctx); err != nil {
		t.Fatal(err)
	}
	if got := inboxNames(t, dir); got != "failed/truncated.txt failed/truncated.txt.error.txt" {
		t.Errorf("inbox: %s", got)
	}
	reason, err := os.ReadFile(filepath.Join(dir, "failed", "truncated.txt.error.txt"))
	if err != nil || !strings.Contains(string(reason), "declares 2 payment lines, the file has 1") {
		t.Errorf("reason = %q, %v", reason, err)
	}
}

// cliLine1 is a Sberbank 13-field line paying 1002003004 with operation op.
func cliLine1(op string) string {
	return "15-03-2025;09-41-17;8609;860900123;" + op + ";1002003004;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград;0225;4512,37;4467,25;45,12;1"
}
