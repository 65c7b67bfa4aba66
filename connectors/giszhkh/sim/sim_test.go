package sim_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

const (
	org   = "6d2f5e3a-1b2c-4d5e-8f90-123456789abc"
	house = "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"
)

var water = giszhkh.NsiRef{Code: "1", GUID: "f1a2b3c4-d5e6-4f7a-8b9c-0d1e2f3a4b5c"}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testLogger shows the simulator's warnings and errors in the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type env struct {
	sim     *sim.Server
	client  *giszhkh.Client
	builder *giszhkh.Builder
	clock   *clock
	tool    *gost.OpenSSL
}

func newEnv(t *testing.T, delay time.Duration) *env {
	t.Helper()
	return newEnvWith(t, delay, nil)
}

// newEnvWith is newEnv with the simulator's configuration adjusted by set.
func newEnvWith(t *testing.T, delay time.Duration, set func(*sim.Config)) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 10, 28, 12, 0, 0, 0, time.UTC)}
	cfg := sim.Config{Orgs: []string{org}, Delay: delay, Now: c.Now, Seed: 1, Logger: testLogger(t)}
	if set != nil {
		set(&cfg)
	}
	ge := gistest.Start(t, gistest.Options{Sim: cfg})
	return &env{sim: ge.Sim, client: ge.Client, builder: ge.Builder, clock: c, tool: ge.Tool}
}

// exchange sends req and polls until state 3.
func (e *env) exchange(t *testing.T, req *giszhkh.Request, org string) *giszhkh.State {
	t.Helper()
	ctx := context.Background()
	ack, _, err := e.client.Send(ctx, req)
	if err != nil {
		t.Fatalf("send %s: %v", req.Operation.Name, err)
	}
	for range 10 {
		gs, err := e.builder.GetState(req.Operation.Service, org, ack.MessageGUID)
		if err != nil {
			t.Fatal(err)
		}
		st, _, err := e.client.GetState(ctx, gs)
		if err != nil {
			t.Fatalf("getState: %v", err)
		}
		if st.RequestState == giszhkh.StateDone {
			return st
		}
		e.clock.Add(time.Second)
	}
	t.Fatal("message never processed")
	return nil
}

func noErrors(t *testing.T, st *giszhkh.State, n int) {
	t.Helper()
	if st.Error != nil {
		t.Fatalf("whole message failed: %+v", st.Error)
	}
	if len(st.Results) != n {
		t.Fatalf("got %d results, want %d", len(st.Results), n)
	}
	for _, r := range st.Results {
		if len(r.Errors) > 0 {
			t.Fatalf("item %s failed: %+v", r.TransportGUID, r.Errors)
		}
	}
}

// TestMonthCycle runs accounts → meters → readings in → documents →
// payments against the simulator through the real client.
func TestMonthCycle(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	b := e.builder

	accs := []giszhkh.Account{
		{TransportGUID: b.NewGUID(), AccountNumber: "1001", FIASHouseGUID: house, Surname: "Иванов", FirstName: "Иван"},
		{TransportGUID: b.NewGUID(), AccountNumber: "1002", FIASHouseGUID: house, Surname: "Петров", FirstName: "Пётр"},
	}
	req, err := b.ImportAccounts(ctx, org, accs)
	if err != nil {
		t.Fatal(err)
	}
	st := e.exchange(t, req, org)
	noErrors(t, st, 2)
	byTransport := map[string]giszhkh.ItemResult{}
	for _, r := range st.Results {
		byTransport[r.TransportGUID] = r
		if utf8.RuneCountInString(r.UnifiedAccountNumber) != 10 || utf8.RuneCountInString(r.ServiceID) != 13 {
			t.Errorf("ЕЛС %q / ЖКУ %q: want 10 and 13 characters", r.UnifiedAccountNumber, r.ServiceID)
		}
	}
	acc1 := byTransport[accs[0].TransportGUID].GUID

	// The same account again, as a new message: a business error, no second account.
	again, _ := b.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: b.NewGUID(), AccountNumber: "1001", FIASHouseGUID: house, Surname: "И", FirstName: "И"}})
	st = e.exchange(t, again, org)
	if len(st.Results) != 1 || len(st.Results[0].Errors) != 1 || st.Results[0].Errors[0].Code != "INT004132" {
		t.Errorf("duplicate account: results %+v, want INT004132", st.Results)
	}

	// Exported accounts carry the ЕЛС and ЖКУ id.
	exp, _ := b.ExportAccounts(ctx, org, giszhkh.AccountQuery{FIASHouseGUID: house})
	st = e.exchange(t, exp, org)
	if len(st.Accounts) != 2 {
		t.Errorf("exportAccountData: %d accounts, want 2", len(st.Accounts))
	}

	mreq, _ := b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "X-1", CommissioningDate: e.clock.Now(),
		PremisesGUID: acc1, AccountGUID: acc1, Resource: water, Unit: "113", InitialValue: "10"}})
	st = e.exchange(t, mreq, org)
	noErrors(t, st, 1)
	root := st.Results[0].RootGUID
	if root == "" {
		t.Fatal("meter import returned no root GUID")
	}

	hreq, _ := b.ExportMeterHistory(ctx, org, giszhkh.HistoryQuery{FIASHouseGUIDs: []string{house}, Resources: []giszhkh.NsiRef{water}})
	st = e.exchange(t, hreq, org)
	// The history is coherent with what GIS was sent: the installation value,
	// then a resident's reading above it, dated no later than today.
	if len(st.Readings) != 2 || !st.Readings[0].Base || st.Readings[0].Value != "10" || st.Readings[1].Base ||
		st.Readings[1].RootGUID != root || st.Readings[1].Date > e.clock.Now().Format("2006-01-02")+"T99" {
		t.Fatalf("history: %+v, want the base value 10 and one resident reading of %s", st.Readings, root)
	}
	if v, err := strconv.ParseFloat(st.Readings[1].Value, 64); err != nil || v < 10 {
		t.Errorf("resident reading %q is below the meter's initial value 10", st.Readings[1].Value)
	}
	// Asked again the same day, GIS has nothing new: no second invented reading.
	hreq2, _ := b.ExportMeterHistory(ctx, org, giszhkh.HistoryQuery{FIASHouseGUIDs: []string{house}, Resources: []giszhkh.NsiRef{water}})
	if st = e.exchange(t, hreq2, org); len(st.Readings) != 2 {
		t.Errorf("second export the same day: %d readings, want the same 2", len(st.Readings))
	}

	doc := giszhkh.PaymentDocuments{Year: 2026, Month: 10, ProviderPPAGUID: org,
		Bank: giszhkh.BankDetails{TransportGUID: b.NewGUID(), BIK: "044525225", Account: "40702810938000012345"},
		Documents: []giszhkh.PaymentDocument{{TransportGUID: b.NewGUID(), AccountGUID: acc1, Number: "10-1001", PayableKopecks: 150000,
			Charges: []giszhkh.Charge{{Kind: giszhkh.ChargeMunicipal, Service: water, Rate: "50", AccruedKopecks: 150000, PayableKopecks: 150000, ProviderPPAGUID: org}}}}}
	dreq, _ := b.ImportPaymentDocuments(ctx, org, doc)
	st = e.exchange(t, dreq, org)
	noErrors(t, st, 1)
	pdID := st.Results[0].UniqueNumber
	if utf8.RuneCountInString(pdID) != 18 {
		t.Errorf("PaymentDocumentID %q: want 18 characters", pdID)
	}
	doc.Documents[0].TransportGUID = b.NewGUID()
	dup, _ := b.ImportPaymentDocuments(ctx, org, doc)
	st = e.exchange(t, dup, org)
	if len(st.Results) != 1 || len(st.Results[0].Errors) == 0 || !strings.Contains(st.Results[0].Errors[0].Description, "уже существует") {
		t.Errorf("duplicate document number: %+v", st.Results)
	}

	nreq, _ := b.ImportSupplierNotifications(ctx, org, []giszhkh.SupplierNotification{{TransportGUID: b.NewGUID(), OrderDate: e.clock.Now(), PaymentDocumentID: pdID, AmountKopecks: 150000}})
	st = e.exchange(t, nreq, org)
	noErrors(t, st, 1)
	orderID := st.Results[0].UniqueNumber
	creq, _ := b.ImportCancellations(ctx, org, []giszhkh.Cancellation{{TransportGUID: b.NewGUID(), OrderID: orderID, Date: e.clock.Now()}})
	st = e.exchange(t, creq, org)
	noErrors(t, st, 1)

	wreq, _ := b.WithdrawPaymentDocuments(ctx, org, []giszhkh.Withdrawal{{TransportGUID: b.NewGUID(), PaymentDocumentID: pdID}})
	st = e.exchange(t, wreq, org)
	noErrors(t, st, 1)
	wreq2, _ := b.WithdrawPaymentDocuments(ctx, org, []giszhkh.Withdrawal{{TransportGUID: b.NewGUID(), PaymentDocumentID: pdID}})
	st = e.exchange(t, wreq2, org)
	if len(st.Results[0].Errors) == 0 || !strings.Contains(st.Results[0].Errors[0].Description, "уже отозван") {
		t.Errorf("second withdrawal: %+v", st.Results)
	}

	c := e.sim.Counts()
	if c.Accounts != 2 || c.Meters != 1 || c.Documents != 1 || c.WithdrawnDocuments != 1 || c.Orders != 1 || c.CancelledOrders != 1 {
		t.Errorf("simulator counts %+v", c)
	}
}

func TestStatesAndResend(t *testing.T) {
	e := newEnv(t, 10*time.Second)
	ctx := context.Background()
	req, _ := e.builder.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: e.builder.NewGUID(), AccountNumber: "1", FIASHouseGUID: house, Surname: "А", FirstName: "Б"}})
	ack, _, err := e.client.Send(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// Re-sending the same message returns the same Ack and creates nothing.
	ack2, _, err := e.client.Send(ctx, req)
	if err != nil || ack2.MessageGUID != ack.MessageGUID {
		t.Fatalf("re-send: ack %v (%v), want %s", ack2, err, ack.MessageGUID)
	}
	gs, _ := e.builder.GetState(giszhkh.ServiceHouseManagement, org, ack.MessageGUID)
	var states []int
	for _, step := range []time.Duration{0, 6 * time.Second, 5 * time.Second} {
		e.clock.Add(step)
		st, _, err := e.client.GetState(ctx, gs)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.RequestState)
		if st.RequestState != giszhkh.StateDone && len(st.Results) > 0 {
			t.Error("results before state 3")
		}
	}
	if states[0] != 1 || states[1] != 2 || states[2] != 3 {
		t.Errorf("states %v, want [1 2 3]", states)
	}
	if c := e.sim.Counts(); c.Accounts != 1 {
		t.Errorf("accounts %d after a re-send, want 1", c.Accounts)
	}
	if s := e.sim.Stats(); s.Duplicates != 1 {
		t.Errorf("duplicates %d, want 1", s.Duplicates)
	}
}

func TestErrorPolicy(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	mk := func(tg string) *giszhkh.Request {
		r, err := e.builder.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: tg, AccountNumber: "7", FIASHouseGUID: house, Surname: "А", FirstName: "Б"}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	stranger, _ := e.tool.GenerateTestCredentials(ctx, t.TempDir(), "stranger")
	strangerSigner, _ := e.tool.LoadSigner(ctx, stranger.KeyFile, stranger.CertFile)
	strangerBuilder, _ := giszhkh.NewBuilder(ctx, strangerSigner, e.tool, giszhkh.BuilderOptions{})
	foreign, _ := strangerBuilder.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: e.builder.NewGUID(), AccountNumber: "8", FIASHouseGUID: house, Surname: "А", FirstName: "Б"}})
	otherOrg, _ := e.builder.ImportAccounts(ctx, "11111111-1111-4111-8111-111111111111", []giszhkh.Account{{TransportGUID: e.builder.NewGUID(), AccountNumber: "9", FIASHouseGUID: house, Surname: "А", FirstName: "Б"}})

	tests := []struct {
		name   string
		faults sim.Faults
		req    *giszhkh.Request
		code   string
		disp   giszhkh.Disposition
	}{
		{"EXP001000", sim.Faults{EXPRate: 1}, mk(e.builder.NewGUID()), "EXP001000", giszhkh.Resend},
		{"HTTP 502", sim.Faults{HTTP502Rate: 1}, mk(e.builder.NewGUID()), "", giszhkh.Resend},
		{"outage", sim.Faults{OutageFrom: e.clock.Now().Add(-time.Minute), OutageTo: e.clock.Now().Add(time.Minute)}, mk(e.builder.NewGUID()), "", giszhkh.Resend},
		{"schema", sim.Faults{}, mk("not-a-guid"), "FMT001300", giszhkh.Stop},
		{"untrusted signature", sim.Faults{}, foreign, "AUT011005", giszhkh.Stop},
		{"unknown organisation", sim.Faults{}, otherOrg, "AUT011002", giszhkh.Stop},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.sim.SetFaults(tc.faults)
			defer e.sim.SetFaults(sim.Faults{})
			_, _, err := e.client.Send(ctx, tc.req)
			if err == nil {
				t.Fatal("Send succeeded")
			}
			var f *giszhkh.Fault
			if tc.code != "" && (!errors.As(err, &f) || f.Code != tc.code) {
				t.Errorf("error %v, want fault %s", err, tc.code)
			}
			if tc.code == "FMT001300" && !strings.Contains(err.Error(), "TransportGUID") {
				t.Errorf("schema fault %v does not name TransportGUID", err)
			}
			if d := giszhkh.Classify(err); d != tc.disp {
				t.Errorf("Classify = %v, want %v", d, tc.disp)
			}
		})
	}
	gs, _ := e.builder.GetState(giszhkh.ServiceHouseManagement, org, "99999999-9999-4999-8999-999999999999")
	_, _, err := e.client.GetState(ctx, gs)
	if giszhkh.Classify(err) != giszhkh.Lost {
		t.Errorf("unknown message: %v, want Lost", err)
	}
	if c := e.sim.Counts(); c.Accounts != 0 {
		t.Errorf("rejected messages created %d accounts", c.Accounts)
	}
}

func TestNsiExport(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	req, err := e.builder.ExportNsiItem(ctx, 2, "NSI", 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	st := e.exchange(t, req, org)
	if len(st.NsiElements) != 6 || st.NsiElements[0].GUID != sim.NsiGUID(2, "1") || st.NsiElements[0].Name != "Холодная вода" || !st.NsiElements[0].Actual {
		t.Errorf("НСИ 2: %+v", st.NsiElements)
	}
	req, _ = e.builder.ExportDataProviderNsiItem(ctx, org, 51)
	st = e.exchange(t, req, org)
	if len(st.NsiElements) != 6 || st.NsiElements[5].Code != "17" {
		t.Errorf("НСИ 51: %+v", st.NsiElements)
	}
	req, _ = e.builder.ExportNsiItem(ctx, 9999, "NSI", 0, time.Time{})
	if st = e.exchange(t, req, org); !st.Empty() {
		t.Errorf("unknown book: %+v, want INT002012", st.Error)
	}
}

func TestBasicAuth(t *testing.T) {
	ctx := context.Background()
	ge := gistest.Start(t, gistest.Options{Sim: sim.Config{User: "sit", Password: "secret"}})
	b, srv := ge.Builder, ge.Server
	req, _ := b.ExportDataProvider(ctx, true)
	anon, _ := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: srv.URL})
	_, _, err := anon.Send(ctx, req)
	var he *giszhkh.HTTPError
	if !errors.As(err, &he) || he.Status != 401 || giszhkh.Classify(err) != giszhkh.Stop {
		t.Errorf("without credentials: %v, want HTTP 401 and Stop", err)
	}
	authed, _ := giszhkh.NewClient(giszhkh.ClientConfig{BaseURL: srv.URL, User: "sit", Password: "secret"})
	if _, _, err := authed.Send(ctx, req); err != nil {
		t.Errorf("with credentials: %v", err)
	}
}

// TestBusinessControls: what GIS refuses per item, the simulator refuses
// with an error naming the cause, and nothing is created.
func TestBusinessControls(t *testing.T) {
	e := newEnv(t, 0)
	ctx := context.Background()
	b := e.builder
	unknown := "99999999-9999-4999-8999-999999999999"
	req, _ := b.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: b.NewGUID(), AccountNumber: "1", FIASHouseGUID: house, Surname: "А", FirstName: "Б"}})
	acc := e.exchange(t, req, org).Results[0].GUID
	before := e.sim.Counts()

	mk := func(f func() (*giszhkh.Request, error)) *giszhkh.Request {
		r, err := f()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tests := []struct {
		name string
		req  *giszhkh.Request
		want string
	}{
		{"update of an unknown account", mk(func() (*giszhkh.Request, error) {
			return b.ImportAccounts(ctx, org, []giszhkh.Account{{TransportGUID: b.NewGUID(), AccountNumber: "2", AccountGUID: unknown, FIASHouseGUID: house, Surname: "А", FirstName: "Б"}})
		}), "не найден"},
		{"meter of an unknown account", mk(func() (*giszhkh.Request, error) {
			return b.ImportMeters(ctx, org, []giszhkh.Meter{{TransportGUID: b.NewGUID(), Number: "1", CommissioningDate: e.clock.Now(), PremisesGUID: unknown, AccountGUID: unknown, Resource: water, Unit: "113", InitialValue: "0"}})
		}), "не найден"},
		{"reading of an unknown meter", mk(func() (*giszhkh.Request, error) {
			return b.ImportReadings(ctx, org, []giszhkh.Reading{{TransportGUID: b.NewGUID(), RootGUID: unknown, Resource: water, Value: "1", Date: e.clock.Now()}})
		}), "не найден"},
		{"document of an unknown account", mk(func() (*giszhkh.Request, error) {
			return b.ImportPaymentDocuments(ctx, org, giszhkh.PaymentDocuments{Year: 2026, Month: 10, Bank: giszhkh.BankDetails{TransportGUID: b.NewGUID(), BIK: "044525225", Account: "40702810938000012345"},
				Documents: []giszhkh.PaymentDocument{{TransportGUID: b.NewGUID(), AccountGUID: unknown, Number: "1", PayableKopecks: 100,
					Charges: []giszhkh.Charge{{Kind: giszhkh.ChargeMunicipal, Service: water, Rate: "1", AccruedKopecks: 100, PayableKopecks: 100}}}}})
		}), "не найден"},
		{"notice for an unknown document", mk(func() (*giszhkh.Request, error) {
			return b.ImportSupplierNotifications(ctx, org, []giszhkh.SupplierNotification{{TransportGUID: b.NewGUID(), OrderDate: e.clock.Now(), PaymentDocumentID: "00АА000000-01-1026", AmountKopecks: 100}})
		}), "не найден"},
		{"cancellation of an unknown notice", mk(func() (*giszhkh.Request, error) {
			return b.ImportCancellations(ctx, org, []giszhkh.Cancellation{{TransportGUID: b.NewGUID(), OrderID: "0123456789abcdef0123456789abcdef", Date: e.clock.Now()}})
		}), "не найдено"},
		{"withdrawal of an unknown document", mk(func() (*giszhkh.Request, error) {
			return b.WithdrawPaymentDocuments(ctx, org, []giszhkh.Withdrawal{{TransportGUID: b.NewGUID(), PaymentDocumentID: "00АА000000-01-1026"}})
		}), "не найден"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := e.exchange(t, tc.req, org)
			if len(st.Results) != 1 || len(st.Results[0].Errors) != 1 || !strings.Contains(st.Results[0].Errors[0].Description, tc.want) {
				t.Errorf("results %+v, want one error containing %q", st.Results, tc.want)
			}
			if st.Results[0].TransportGUID != tc.req.TransportGUIDs[0] {
				t.Errorf("result for %s, sent %s", st.Results[0].TransportGUID, tc.req.TransportGUIDs[0])
			}
		})
	}
	// A meter twice: the second is refused.
	m := giszhkh.Meter{TransportGUID: b.NewGUID(), Number: "M-1", CommissioningDate: e.clock.Now(), PremisesGUID: acc, AccountGUID: acc, Resource: water, Unit: "113", InitialValue: "0"}
	r1, _ := b.ImportMeters(ctx, org, []giszhkh.Meter{m})
	noErrors(t, e.exchange(t, r1, org), 1)
	m.TransportGUID = b.NewGUID()
	r2, _ := b.ImportMeters(ctx, org, []giszhkh.Meter{m})
	if st := e.exchange(t, r2, org); len(st.Results[0].Errors) == 0 || st.Results[0].Errors[0].Code != "INT004132" {
		t.Errorf("second identical meter: %+v", st.Results)
	}
	after := e.sim.Counts()
	if after.Accounts != before.Accounts || after.Documents != before.Documents || after.Orders != before.Orders || after.Meters != before.Meters+1 {
		t.Errorf("counts changed from %+v to %+v", before, after)
	}
}
