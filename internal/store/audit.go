package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// AuditEntry is one recorded action of a staff user, a resident or the system.
type AuditEntry struct {
	ID         int64
	At         time.Time
	ActorKind  string // "staff", "resident" or "system"
	ActorID    int64  // zero for the system
	Action     string // e.g. "staff.login", "registry.row.discard"
	ObjectKind string
	ObjectID   string
	Details    map[string]any
}

// Audit appends an entry to the audit log, in the caller's transaction so
// the action and its record commit together.
//
// Its text may come from a request (a login typed, an error ESIA sent back): NUL bytes and
// invalid UTF-8, which PostgreSQL refuses, are replaced with U+FFFD so the record is never lost.
func Audit(ctx context.Context, db DBTX, e AuditEntry) error {
	e.Action, e.ObjectKind, e.ObjectID = cleanText(e.Action), cleanText(e.ObjectKind), cleanText(e.ObjectID)
	details, err := json.Marshal(cleanValue(e.Details))
	if err != nil {
		return fmt.Errorf("audit %s: encode details: %w", e.Action, err)
	}
	if e.Details == nil {
		details = []byte("{}")
	}
	var actor *int64
	if e.ActorID != 0 {
		actor = &e.ActorID
	}
	if _, err := db.Exec(ctx, `
		INSERT INTO audit_log (actor_kind, actor_id, action, object_kind, object_id, details)
		VALUES ($1, $2, $3, $4, $5, $6)`, e.ActorKind, actor, e.Action, e.ObjectKind, e.ObjectID, details); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter narrows RecentAudit; empty fields match everything.
type AuditFilter struct {
	ActionPrefix string
	ObjectKind   string
	ObjectID     string
	Limit        int // defaults to 100
}

// RecentAudit returns the newest audit entries matching f.
func RecentAudit(ctx context.Context, db DBTX, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := db.Query(ctx, `
		SELECT id, at, actor_kind, coalesce(actor_id, 0), action, object_kind, object_id, details
		FROM audit_log
		WHERE ($1 = '' OR action LIKE $1 || '%') AND ($2 = '' OR object_kind = $2) AND ($3 = '' OR object_id = $3)
		ORDER BY id DESC LIMIT $4`, f.ActionPrefix, f.ObjectKind, f.ObjectID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var details []byte
		if err := rows.Scan(&e.ID, &e.At, &e.ActorKind, &e.ActorID, &e.Action, &e.ObjectKind, &e.ObjectID, &details); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		_ = json.Unmarshal(details, &e.Details)
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountAudit counts entries of action on one object since a time; the staff
// login uses it to lock a login after repeated failures.
func CountAudit(ctx context.Context, db DBTX, action, objectKind, objectID string, since time.Time) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `
		SELECT count(*) FROM audit_log WHERE action = $1 AND object_kind = $2 AND object_id = $3 AND at >= $4`,
		action, objectKind, objectID, since).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit %s: %w", action, err)
	}
	return n, nil
}

// cleanText makes s storable as PostgreSQL text.
func cleanText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cleanValue cleans the strings inside audit details (maps, slices, strings).
func cleanValue(v any) any {
	switch x := v.(type) {
	case string:
		return cleanText(x)
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[cleanText(k)] = cleanValue(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = cleanValue(val)
		}
		return out
	}
	return v
}
