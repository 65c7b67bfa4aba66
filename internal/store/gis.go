package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// MessageState is the state of a GIS message (gis_messages.state).
type MessageState string

// The message states; the migrations' CHECK constraint lists the same.
const (
	// MessagePrepared: items chosen, nothing sent (or a transient failure
	// put it back to be sent as a new message).
	MessagePrepared MessageState = "prepared"
	// MessageSending: the envelope is stored and the send under way; a
	// crash here re-sends the same envelope.
	MessageSending MessageState = "sending"
	// MessageSent: GIS's Ack is stored; polling.
	MessageSent MessageState = "sent"
	// MessageDone: the results are applied.
	MessageDone MessageState = "done"
	// MessageStopped: a permanent error waits for an operator.
	MessageStopped MessageState = "stopped"
)

// MessageStates lists every message state.
var MessageStates = []MessageState{MessagePrepared, MessageSending, MessageSent, MessageDone, MessageStopped}

// ItemState is the state of one item of a GIS message (gis_items.state).
type ItemState string

// The item states; the migrations' CHECK constraint lists the same.
const (
	// ItemPending: in flight; at most one pending item per object.
	ItemPending ItemState = "pending"
	// ItemOK: GIS confirmed it.
	ItemOK ItemState = "ok"
	// ItemFailed: it failed for a reason a later sync may overcome (a
	// mapping error since fixed, a stopped message, no result); the next
	// sync plans its object again.
	ItemFailed ItemState = "failed"
	// ItemHeld: GIS refused it by a business rule (INT…); no sync plans its
	// object again until an operator releases it (ReleaseGISHeld).
	ItemHeld ItemState = "held"
)

// ItemStates lists every item state.
var ItemStates = []ItemState{ItemPending, ItemOK, ItemFailed, ItemHeld}

// GISMessage is one message to GIS ZhKH and the state of its exchange.
type GISMessage struct {
	ID          int64
	OrgID       int64
	Kind        string // accounts, meters, readings, documents, …, orgs, houses, accounts-export … (jobs.GISWhats)
	Service     string
	Operation   string
	Period      *time.Time
	State       MessageState
	MessageGUID *string
	AckGUID     *string
	Query       []byte // JSON, for exports
	Attempts    int
	Polls       int
	Request     string
	Response    string
	ErrorCode   string
	Error       string
	Items       int
	ItemsOK     int
	ItemsFailed int
	// ItemsUnknown counts, for exports, GIS objects the store does not
	// hold; Report names the first unmatched objects of both sides.
	ItemsUnknown int
	Report       string
	CreatedAt    time.Time
	SentAt       *time.Time
	DoneAt       *time.Time
}

// GISItem is one item of a message, keyed by its TransportGUID.
type GISItem struct {
	TransportGUID string
	MessageID     int64
	ObjectKind    string // account, meter, document, withdrawal, payment, cancellation
	ObjectID      int64
	Payload       []byte // JSON of the item as sent
	State         ItemState
	GISGUID       string
	UniqueNumber  string
	ErrorCode     string
	Error         string
	// WaitKind names the prerequisite a held item waits for in GIS
	// ("account", "premises"; "" none) and WaitID its id.
	WaitKind  string
	WaitID    int64
	UpdatedAt time.Time
}

// GISOrgPPAGUID returns the orgPPAGUID of an organization; an organization
// without one cannot exchange with GIS.
func GISOrgPPAGUID(ctx context.Context, db DBTX, orgID int64) (string, error) {
	var g *string
	err := db.QueryRow(ctx, `SELECT gis_org_ppa_guid::text FROM organizations WHERE id = $1`, orgID).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.E(apperr.NotFound, "gis org", fmt.Sprintf("organization %d does not exist", orgID))
	}
	if err != nil {
		return "", fmt.Errorf("gis org %d: %w", orgID, err)
	}
	if g == nil {
		return "", apperr.E(apperr.Invalid, "gis org", fmt.Sprintf("organization %d has no GIS orgPPAGUID (organizations.gis_org_ppa_guid)", orgID))
	}
	return *g, nil
}

// CreateGISMessage inserts a prepared message and its items (TransportGUIDs
// are stored before anything is sent) and returns the message id. An object
// that already has an item in flight makes it fail with Conflict.
func CreateGISMessage(ctx context.Context, tx pgx.Tx, m GISMessage, items []GISItem) (int64, error) {
	query := m.Query
	if len(query) == 0 {
		query = []byte("{}")
	}
	failed := 0
	for _, it := range items {
		if it.State == ItemFailed {
			failed++
		}
	}
	state := cmp.Or(m.State, MessagePrepared)
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO gis_messages (org_id, kind, service, operation, period, query, items, items_failed, state, error_code, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		m.OrgID, m.Kind, m.Service, m.Operation, m.Period, query, len(items), failed, state, m.ErrorCode, m.Error).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create gis message: %w", err)
	}
	if len(items) == 0 {
		return id, nil
	}
	guids := make([]string, len(items))
	kinds := make([]string, len(items))
	objs := make([]int64, len(items))
	payloads := make([]string, len(items))
	states := make([]string, len(items))
	errs := make([]string, len(items))
	for i, it := range items {
		guids[i], kinds[i], objs[i], payloads[i] = it.TransportGUID, it.ObjectKind, it.ObjectID, string(it.Payload)
		if payloads[i] == "" {
			payloads[i] = "{}"
		}
		states[i], errs[i] = string(cmp.Or(it.State, ItemPending)), it.Error
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO gis_items (transport_guid, message_id, object_kind, object_id, payload, state, error_code, error)
		SELECT g::uuid, $1, k, o, p::jsonb, s, CASE WHEN s = $8 THEN 'MAPPING' ELSE '' END, e
		FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS t(g, k, o, p, s, e)`,
		id, guids, kinds, objs, payloads, states, errs, ItemFailed)
	if isUniqueViolation(err) {
		return 0, apperr.Wrap(apperr.Conflict, "create gis message", fmt.Errorf("an object already has an item in flight: %w", err))
	}
	if err != nil {
		return 0, fmt.Errorf("create gis items: %w", err)
	}
	return id, nil
}

const gisMessageCols = `id, org_id, kind, service, operation, period, state, message_guid::text, ack_guid::text, query,
	attempts, polls, request, response, error_code, error, items, items_ok, items_failed, items_unknown, report, created_at, sent_at, done_at`

func scanGISMessage(row pgx.Row) (GISMessage, error) {
	var m GISMessage
	err := row.Scan(&m.ID, &m.OrgID, &m.Kind, &m.Service, &m.Operation, &m.Period, &m.State, &m.MessageGUID, &m.AckGUID,
		&m.Query, &m.Attempts, &m.Polls, &m.Request, &m.Response, &m.ErrorCode, &m.Error, &m.Items, &m.ItemsOK,
		&m.ItemsFailed, &m.ItemsUnknown, &m.Report, &m.CreatedAt, &m.SentAt, &m.DoneAt)
	return m, err
}

// LockGISMessage reads a message for update (the caller's transaction holds
// the row until it commits), with its items in TransportGUID order of insertion.
func LockGISMessage(ctx context.Context, tx pgx.Tx, id int64) (GISMessage, []GISItem, error) {
	m, err := scanGISMessage(tx.QueryRow(ctx, `SELECT `+gisMessageCols+` FROM gis_messages WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, nil, apperr.E(apperr.NotFound, "gis message", fmt.Sprintf("message %d does not exist", id))
	}
	if err != nil {
		return m, nil, fmt.Errorf("lock gis message %d: %w", id, err)
	}
	items, err := GISItems(ctx, tx, id)
	return m, items, err
}

// GetGISMessage reads a message and its items.
func GetGISMessage(ctx context.Context, db DBTX, id int64) (GISMessage, []GISItem, error) {
	m, err := scanGISMessage(db.QueryRow(ctx, `SELECT `+gisMessageCols+` FROM gis_messages WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, nil, apperr.E(apperr.NotFound, "gis message", fmt.Sprintf("message %d does not exist", id))
	}
	if err != nil {
		return m, nil, fmt.Errorf("get gis message %d: %w", id, err)
	}
	items, err := GISItems(ctx, db, id)
	return m, items, err
}

// GISItems lists the items of a message.
func GISItems(ctx context.Context, db DBTX, messageID int64) ([]GISItem, error) {
	rows, err := db.Query(ctx, `SELECT `+gisItemCols+` FROM gis_items WHERE message_id = $1 ORDER BY object_id, transport_guid`, messageID)
	if err != nil {
		return nil, fmt.Errorf("gis items of %d: %w", messageID, err)
	}
	return pgx.CollectRows(rows, scanGISItem)
}

const gisItemCols = `transport_guid::text, message_id, object_kind, object_id, payload::text, state, gis_guid, unique_number,
	error_code, error, coalesce(wait_kind, ''), coalesce(wait_id, 0), updated_at`

func scanGISItem(r pgx.CollectableRow) (GISItem, error) {
	var it GISItem
	var payload string
	err := r.Scan(&it.TransportGUID, &it.MessageID, &it.ObjectKind, &it.ObjectID, &payload, &it.State, &it.GISGUID, &it.UniqueNumber,
		&it.ErrorCode, &it.Error, &it.WaitKind, &it.WaitID, &it.UpdatedAt)
	it.Payload = []byte(payload)
	return it, err
}

// MarkGISSending records the envelope and our MessageGUID of a new attempt
// before it is sent.
func MarkGISSending(ctx context.Context, db DBTX, id int64, messageGUID, request string) error {
	_, err := db.Exec(ctx, `
		UPDATE gis_messages SET state = 'sending', message_guid = $2, request = $3, attempts = attempts + 1,
			error_code = '', error = '' WHERE id = $1`, id, messageGUID, request)
	if err != nil {
		return fmt.Errorf("mark gis message %d sending: %w", id, err)
	}
	return nil
}

// MarkGISSent records GIS's Ack.
func MarkGISSent(ctx context.Context, db DBTX, id int64, ackGUID, response string) error {
	_, err := db.Exec(ctx, `
		UPDATE gis_messages SET state = 'sent', ack_guid = $2, response = $3, sent_at = now(), polls = 0 WHERE id = $1`,
		id, ackGUID, response)
	if err != nil {
		return fmt.Errorf("mark gis message %d sent: %w", id, err)
	}
	return nil
}

// MarkGISRetry puts a message back to prepared after a transient failure
// (the next attempt builds a new message), keeping the error for operators.
func MarkGISRetry(ctx context.Context, db DBTX, id int64, code, msg string) error {
	_, err := db.Exec(ctx, `
		UPDATE gis_messages SET state = 'prepared', message_guid = NULL, ack_guid = NULL, error_code = $2, error = $3
		WHERE id = $1`, id, code, msg)
	if err != nil {
		return fmt.Errorf("mark gis message %d for retry: %w", id, err)
	}
	return nil
}

// MarkGISStopped stops a message after a permanent error; its pending items
// fail with the same error so their objects can be sent again later.
func MarkGISStopped(ctx context.Context, db DBTX, id int64, code, msg string) error {
	_, err := db.Exec(ctx, `
		WITH f AS (
			UPDATE gis_items SET state = 'failed', error_code = $2, error = $3, updated_at = now()
			WHERE message_id = $1 AND state = 'pending' RETURNING 1)
		UPDATE gis_messages SET state = 'stopped', error_code = $2, error = $3, done_at = now(),
			items_failed = items_failed + (SELECT count(*) FROM f) WHERE id = $1`, id, code, msg)
	if err != nil {
		return fmt.Errorf("stop gis message %d: %w", id, err)
	}
	return nil
}

// ReleaseGISHeld releases the held items of a message (an operator fixed
// their cause): they become failed, so the next sync of the subject plans
// their objects again. It returns how many were released.
func ReleaseGISHeld(ctx context.Context, db DBTX, messageID int64) (int, error) {
	tag, err := db.Exec(ctx, `UPDATE gis_items SET state = $2, updated_at = now() WHERE message_id = $1 AND state = $3`,
		messageID, ItemFailed, ItemHeld)
	if err != nil {
		return 0, fmt.Errorf("release held items of gis message %d: %w", messageID, err)
	}
	return int(tag.RowsAffected()), nil
}

// CountGISPoll counts one getState of a message and returns the count.
func CountGISPoll(ctx context.Context, db DBTX, id int64, response string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `UPDATE gis_messages SET polls = polls + 1, response = $2 WHERE id = $1 RETURNING polls`, id, response).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count poll of gis message %d: %w", id, err)
	}
	return n, nil
}

// ApplyGISResults records per-item results of a processed message and writes
// the identifiers GIS assigned into the canonical tables, then closes the
// message. Items GIS did not mention fail with "no result". Idempotent: items
// already settled are left alone.
func ApplyGISResults(ctx context.Context, tx pgx.Tx, id int64, response string, results []model.GISItemResult) error {
	n := len(results)
	guids, ok := make([]string, n), make([]bool, n)
	gisGUID, uniq, root, els, zhku, code, msg := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, r := range results {
		guids[i], ok[i], gisGUID[i], uniq[i], root[i], els[i], zhku[i], code[i], msg[i] =
			r.TransportGUID, r.OK, r.GUID, r.UniqueNumber, r.RootGUID, r.UnifiedAccountNumber, r.ServiceID, r.ErrorCode, r.Error
	}
	_, err := tx.Exec(ctx, `
		CREATE TEMP TABLE IF NOT EXISTS gis_result_tmp (
			transport_guid uuid, ok boolean, gis_guid text, unique_number text, root_guid text, els text, zhku text,
			error_code text, error text) ON COMMIT DROP;
		`)
	if err != nil {
		return fmt.Errorf("apply gis results: %w", err)
	}
	if _, err := tx.Exec(ctx, `TRUNCATE gis_result_tmp`); err != nil {
		return fmt.Errorf("apply gis results: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO gis_result_tmp
		SELECT t.g::uuid, t.ok, t.gg, t.u, t.r, t.e, t.z, t.c, t.m
		FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
			AS t(g, ok, gg, u, r, e, z, c, m)
		JOIN gis_items i ON i.transport_guid = t.g::uuid AND i.message_id = $10 AND i.state = 'pending'`,
		guids, ok, gisGUID, uniq, root, els, zhku, code, msg, id)
	if err != nil {
		return fmt.Errorf("apply gis results of %d: %w", id, err)
	}
	stmts := []string{
		// Canonical identifiers first, while the items are still pending.
		`UPDATE accounts a SET gis_account_guid = r.gis_guid::uuid, gis_unique_number = nullif(r.unique_number, ''),
			els = coalesce(nullif(r.els, ''), a.els), zhku_id = coalesce(nullif(r.zhku, ''), a.zhku_id)
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'account' AND i.object_id = a.id AND r.ok AND r.gis_guid <> ''`,
		`UPDATE meters m SET gis_meter_version_guid = r.gis_guid::uuid,
			gis_meter_root_guid = coalesce(nullif(r.root_guid, '')::uuid, m.gis_meter_root_guid)
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'meter' AND i.object_id = m.id AND r.ok AND r.gis_guid <> ''`,
		`UPDATE payment_documents d SET state = 'posted', gis_payment_document_id = r.unique_number,
			gis_payment_document_guid = nullif(r.gis_guid, '')::uuid
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'document' AND i.object_id = d.id AND r.ok`,
		`UPDATE payment_documents d SET state = 'rejected'
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'document' AND i.object_id = d.id AND NOT r.ok`,
		`UPDATE payment_documents d SET state = 'withdrawn'
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'withdrawal' AND i.object_id = d.id AND r.ok`,
		`UPDATE payments p SET gis_order_id = r.unique_number
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'payment' AND i.object_id = p.id AND r.ok`,
		`UPDATE payments p SET gis_cancelled_at = now()
		 FROM gis_result_tmp r JOIN gis_items i USING (transport_guid)
		 WHERE i.object_kind = 'cancellation' AND i.object_id = p.id AND r.ok`,
		`UPDATE gis_items i SET state = CASE WHEN r.ok THEN 'ok' WHEN r.error_code LIKE 'INT%' THEN 'held' ELSE 'failed' END,
			gis_guid = r.gis_guid,
			unique_number = r.unique_number, error_code = r.error_code, error = r.error, updated_at = now()
		 FROM gis_result_tmp r WHERE i.transport_guid = r.transport_guid`,
		`UPDATE gis_items SET state = 'failed', error_code = 'NORESULT', error = 'GIS returned no result for this item',
			updated_at = now()
		 WHERE message_id = $1 AND state = 'pending'`,
	}
	for i, s := range stmts {
		var err error
		if i == len(stmts)-1 {
			_, err = tx.Exec(ctx, s, id)
		} else {
			_, err = tx.Exec(ctx, s)
		}
		if err != nil {
			return fmt.Errorf("apply gis results of %d (step %d): %w", id, i, err)
		}
	}
	_, err = tx.Exec(ctx, `
		UPDATE gis_messages m SET state = 'done', done_at = now(), response = $2,
			items_ok = (SELECT count(*) FROM gis_items WHERE message_id = m.id AND state = 'ok'),
			items_failed = (SELECT count(*) FROM gis_items WHERE message_id = m.id AND state IN ('failed', 'held'))
		WHERE id = $1`, id, response)
	if err != nil {
		return fmt.Errorf("close gis message %d: %w", id, err)
	}
	return nil
}

// FinishGISExport closes an export message (no items).
func FinishGISExport(ctx context.Context, db DBTX, id int64, response string, received int) error {
	_, err := db.Exec(ctx, `UPDATE gis_messages SET state = 'done', done_at = now(), response = $2, items = $3, items_ok = $3
		WHERE id = $1`, id, response, received)
	if err != nil {
		return fmt.Errorf("finish gis export %d: %w", id, err)
	}
	return nil
}

// SaveGISReadings stores readings from GIS for meters of orgID known by
// their GIS root GUID (source 'gis'); a reading already stored is skipped.
// A device's base (installation) value is kept, as source 'initial', only
// for a meter that has no reading at all: it is where its history starts.
// GIS's word does not overrule the meter's history: a reading dated after
// today is not taken (counted in future), and one that contradicts the
// trusted history (lower than an earlier reading or higher than a later
// one) is kept flagged 'contradicts', so it never shows as the last.
func SaveGISReadings(ctx context.Context, tx pgx.Tx, orgID int64, rs []model.GISReading) (saved, flagged, future int, err error) {
	if len(rs) == 0 {
		return 0, 0, 0, nil
	}
	n := len(rs)
	roots, days, vals, t2, t3, base := make([]string, n), make([]time.Time, n), make([]string, n), make([]string, n), make([]string, n), make([]bool, n)
	for i, r := range rs {
		roots[i], days[i], vals[i], t2[i], t3[i], base[i] = r.RootGUID, r.TakenOn, r.Value, r.ValueT2, r.ValueT3, r.Base
	}
	err = tx.QueryRow(ctx, `
		WITH t AS (
			SELECT m.id AS meter_id, t.d, t.v::numeric AS v, nullif(t.v2, '')::numeric AS v2, nullif(t.v3, '')::numeric AS v3, t.b
			FROM unnest($2::text[], $3::date[], $4::text[], $5::text[], $6::text[], $7::bool[]) AS t(r, d, v, v2, v3, b)
			JOIN meters m ON m.gis_meter_root_guid = t.r::uuid
			JOIN accounts a ON a.id = m.account_id AND a.org_id = $1
		), ins AS (
			INSERT INTO readings (meter_id, taken_on, value, value_t2, value_t3, source, flag)
			SELECT t.meter_id, t.d, t.v, t.v2, t.v3, CASE WHEN t.b THEN 'initial' ELSE 'gis' END,
				CASE WHEN EXISTS (SELECT 1 FROM readings x WHERE x.meter_id = t.meter_id AND x.flag = ''
					AND ((x.taken_on < t.d AND x.value > t.v) OR (x.taken_on > t.d AND x.value < t.v))) THEN 'contradicts' ELSE '' END
			FROM t
			WHERE t.d <= current_date AND (NOT t.b OR NOT EXISTS (SELECT 1 FROM readings x WHERE x.meter_id = t.meter_id))
			ON CONFLICT (meter_id, taken_on, source) DO NOTHING
			RETURNING flag
		)
		SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM ins WHERE flag <> ''), (SELECT count(*) FROM t WHERE d > current_date)`,
		orgID, roots, days, vals, t2, t3, base).Scan(&saved, &flagged, &future)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("save gis readings: %w", err)
	}
	return saved, flagged, future, nil
}

// GISMessageFilter selects messages for the console.
type GISMessageFilter struct {
	OrgID  int64  // 0 = all
	Kind   string // "" = all
	Period *time.Time
	State  MessageState // "" = all
	Limit  int
}

// ListGISMessages lists messages, newest first. A period filter keeps
// messages without a period (accounts, meters), which belong to every month.
func ListGISMessages(ctx context.Context, db DBTX, f GISMessageFilter) ([]GISMessage, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := db.Query(ctx, `SELECT `+gisMessageCols+` FROM gis_messages
		WHERE ($1 = 0 OR org_id = $1) AND ($2 = '' OR kind = $2) AND ($3::date IS NULL OR period = $3 OR period IS NULL)
			AND ($4 = '' OR state = $4)
		ORDER BY id DESC LIMIT $5`, f.OrgID, f.Kind, f.Period, f.State, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list gis messages: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (GISMessage, error) { return scanGISMessage(r) })
}

// GISUnconfirmed is an object not yet confirmed by GIS for a period.
type GISUnconfirmed struct {
	ObjectKind string
	ObjectID   int64
	Label      string // account number, document number …
	State      string // "not sent", "pending", "failed", "held"
	ErrorCode  string
	Error      string
}

// ListGISUnconfirmed lists, for an organization and period, every account,
// payment document and payment that GIS has not confirmed: never sent, in
// flight, or failed (with the error).
func ListGISUnconfirmed(ctx context.Context, db DBTX, orgID int64, period time.Time, limit int) ([]GISUnconfirmed, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.Query(ctx, `
		WITH last AS (
			SELECT DISTINCT ON (object_kind, object_id) object_kind, object_id, state, error_code, error
			FROM gis_items ORDER BY object_kind, object_id, updated_at DESC)
		SELECT 'account', a.id, a.number, coalesce(l.state, 'not sent'), coalesce(l.error_code, ''), coalesce(l.error, '')
		FROM accounts a LEFT JOIN last l ON l.object_kind = 'account' AND l.object_id = a.id
		WHERE a.org_id = $1 AND a.gis_account_guid IS NULL AND a.closed_on IS NULL
		UNION ALL
		SELECT 'document', d.id, d.number, coalesce(l.state, 'not sent'), coalesce(l.error_code, ''), coalesce(l.error, '')
		FROM payment_documents d JOIN accounts a ON a.id = d.account_id
		LEFT JOIN last l ON l.object_kind = 'document' AND l.object_id = d.id
		WHERE a.org_id = $1 AND d.period = $2 AND d.gis_payment_document_id IS NULL AND d.state <> 'draft'
		UNION ALL
		SELECT 'payment', p.id, p.operation_id, coalesce(l.state, 'not sent'), coalesce(l.error_code, ''), coalesce(l.error, '')
		FROM payments p JOIN accounts a ON a.id = p.account_id
		LEFT JOIN last l ON l.object_kind = 'payment' AND l.object_id = p.id
		WHERE a.org_id = $1 AND p.operation_date >= $2 AND p.operation_date < ($2::date + interval '1 month')
			AND p.gis_order_id IS NULL
		ORDER BY 1, 2 LIMIT $3`, orgID, period, limit)
	if err != nil {
		return nil, fmt.Errorf("list unconfirmed gis items: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (GISUnconfirmed, error) {
		var u GISUnconfirmed
		err := r.Scan(&u.ObjectKind, &u.ObjectID, &u.Label, &u.State, &u.ErrorCode, &u.Error)
		return u, err
	})
}

// GISNsiElement is one reference-book element exported from GIS.
type GISNsiElement struct {
	Code, GUID, Name string
	Actual           bool
}

// SaveGISNsi stores the elements of reference book registry, common
// (orgID nil) or an organization's own, replacing what was there.
func SaveGISNsi(ctx context.Context, tx pgx.Tx, orgID *int64, registry int, els []GISNsiElement) (int, error) {
	codes, guids, names, actual := make([]string, len(els)), make([]string, len(els)), make([]string, len(els)), make([]bool, len(els))
	for i, e := range els {
		codes[i], guids[i], names[i], actual[i] = e.Code, e.GUID, e.Name, e.Actual
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO gis_nsi (org_id, registry, code, guid, name, is_actual)
		SELECT $1, $2, t.c, t.g::uuid, t.n, t.a FROM unnest($3::text[], $4::text[], $5::text[], $6::bool[]) AS t(c, g, n, a)
		ON CONFLICT (coalesce(org_id, 0), registry, code)
		DO UPDATE SET guid = excluded.guid, name = excluded.name, is_actual = excluded.is_actual, updated_at = now()`,
		orgID, registry, codes, guids, names, actual)
	if err != nil {
		return 0, fmt.Errorf("save gis nsi %d: %w", registry, err)
	}
	return int(tag.RowsAffected()), nil
}

// GISNsiGUIDs loads the actual reference-book elements visible to orgID.
func GISNsiGUIDs(ctx context.Context, db DBTX, orgID int64) (model.GISNsiIndex, error) {
	idx := model.GISNsiIndex{GUIDs: map[string]string{}, Codes: map[string]string{}}
	rows, err := db.Query(ctx, `
		SELECT registry, code, guid::text, lower(name) FROM gis_nsi
		WHERE (org_id IS NULL OR org_id = $1) AND is_actual ORDER BY org_id NULLS FIRST, code`, orgID)
	if err != nil {
		return idx, fmt.Errorf("gis nsi guids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var reg int
		var code, guid, name string
		if err := rows.Scan(&reg, &code, &guid, &name); err != nil {
			return idx, fmt.Errorf("gis nsi guids: %w", err)
		}
		idx.GUIDs[fmt.Sprintf("%d/%s", reg, code)] = guid
		if name != "" {
			idx.Codes[fmt.Sprintf("%d/%s", reg, name)] = code
		}
	}
	return idx, rows.Err()
}

// RequestGISWithdrawal marks a posted payment document for withdrawal
// (отзыв) from GIS; the next withdrawals sync sends it.
func RequestGISWithdrawal(ctx context.Context, db DBTX, documentID int64) error {
	tag, err := db.Exec(ctx, `UPDATE payment_documents SET gis_withdraw_requested_at = coalesce(gis_withdraw_requested_at, now())
		WHERE id = $1 AND state = 'posted' AND gis_payment_document_id IS NOT NULL`, documentID)
	if err != nil {
		return fmt.Errorf("request withdrawal of document %d: %w", documentID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.Conflict, "gis withdrawal", fmt.Sprintf("payment document %d is not posted in GIS", documentID))
	}
	return nil
}

// RequestGISCancellation marks a payment reported to GIS for cancellation
// of its notification; the next cancellations sync sends it.
func RequestGISCancellation(ctx context.Context, db DBTX, paymentID int64) error {
	tag, err := db.Exec(ctx, `UPDATE payments SET gis_cancel_requested_at = coalesce(gis_cancel_requested_at, now())
		WHERE id = $1 AND gis_order_id IS NOT NULL AND gis_cancelled_at IS NULL`, paymentID)
	if err != nil {
		return fmt.Errorf("request cancellation of payment %d: %w", paymentID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.Conflict, "gis cancellation", fmt.Sprintf("payment %d has no active notification in GIS", paymentID))
	}
	return nil
}
