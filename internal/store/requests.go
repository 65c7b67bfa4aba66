package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// RequestKind is a request's category.
type RequestKind string

// The categories residents choose from.
const (
	RequestEmergency   RequestKind = "emergency"    // аварийная
	RequestComplaint   RequestKind = "complaint"    // жалоба
	RequestAppeal      RequestKind = "appeal"       // обращение
	RequestPaidService RequestKind = "paid_service" // платные услуги
)

// RequestKinds are the categories in the order the forms show them.
var RequestKinds = []RequestKind{RequestEmergency, RequestComplaint, RequestAppeal, RequestPaidService}

// Valid tells whether k is one of the cabinet's categories.
func (k RequestKind) Valid() bool {
	for _, c := range RequestKinds {
		if c == k {
			return true
		}
	}
	return false
}

// Deadline is how long staff have to close a request of this kind: a day for an emergency,
// five days for paid services, ten for the rest.
func (k RequestKind) Deadline() time.Duration {
	switch k {
	case RequestEmergency:
		return 24 * time.Hour
	case RequestPaidService:
		return 5 * 24 * time.Hour
	}
	return 10 * 24 * time.Hour
}

// RequestState is where a request stands.
type RequestState string

// Request states: принята, в работе, выполнена, отклонена.
const (
	RequestNew        RequestState = "new"
	RequestInProgress RequestState = "in_progress"
	RequestDone       RequestState = "done"
	RequestRejected   RequestState = "rejected"
)

// RequestStates are the states in timeline order.
var RequestStates = []RequestState{RequestNew, RequestInProgress, RequestDone, RequestRejected}

// Valid tells whether s is a request state.
func (s RequestState) Valid() bool {
	for _, c := range RequestStates {
		if c == s {
			return true
		}
	}
	return false
}

// Closed tells whether s ends the request.
func (s RequestState) Closed() bool { return s == RequestDone || s == RequestRejected }

// Limits of a request's text and attachments (the cabinet checks them first; the store and
// the schema hold them too).
const (
	MaxRequestSubject     = 200
	MaxRequestBody        = 4000
	MaxRequestAnswer      = 4000
	MaxAttachmentSize     = 5 << 20
	MaxRequestAttachments = 5
)

// NewAttachment is a photo to store with a request; ContentType is the sniffed one.
type NewAttachment struct {
	FileName    string
	ContentType string
	Data        []byte
}

// NewRequest is what a resident submits.
type NewRequest struct {
	ResidentID  int64
	AccountID   int64
	Kind        RequestKind
	Subject     string
	Body        string
	Attachments []NewAttachment
}

// CreateRequest stores a resident's request for one of their proven accounts, with its first
// timeline event, its attachments and the resident's notification, and returns its id. An
// account not among the resident's is NotFound. Run it in a transaction.
func CreateRequest(ctx context.Context, db DBTX, n NewRequest, now time.Time) (int64, error) {
	switch {
	case !n.Kind.Valid():
		return 0, apperr.Invalidf("create request", "неизвестная категория заявки %q", string(n.Kind))
	case strings.TrimSpace(n.Subject) == "" || len([]rune(n.Subject)) > MaxRequestSubject:
		return 0, apperr.Invalidf("create request", "тема заявки: от 1 до %d символов", MaxRequestSubject)
	case len([]rune(n.Body)) > MaxRequestBody:
		return 0, apperr.Invalidf("create request", "текст заявки: не больше %d символов", MaxRequestBody)
	case len(n.Attachments) > MaxRequestAttachments:
		return 0, apperr.Invalidf("create request", "не больше %d фотографий", MaxRequestAttachments)
	}
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO requests (resident_id, account_id, kind, subject, body, state, created_at, updated_at, due_at)
		SELECT ra.resident_id, ra.account_id, $3, $4, $5, 'new', $6, $6, $6::timestamptz + make_interval(secs => $7)
		FROM resident_accounts ra
		WHERE ra.resident_id = $1 AND ra.account_id = $2 AND ra.verified_at IS NOT NULL
		RETURNING id`, n.ResidentID, n.AccountID, n.Kind, n.Subject, n.Body, now, n.Kind.Deadline().Seconds()).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.E(apperr.NotFound, "create request", "лицевой счёт не найден среди ваших")
	}
	if err != nil {
		return 0, fmt.Errorf("create request: %w", err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO request_events (request_id, at, actor_kind, actor_id, state) VALUES ($1, $2, 'resident', $3, 'new')`,
		id, now, n.ResidentID); err != nil {
		return 0, fmt.Errorf("create request %d: %w", id, err)
	}
	for _, a := range n.Attachments {
		if len(a.Data) == 0 || len(a.Data) > MaxAttachmentSize {
			return 0, apperr.Invalidf("create request", "файл %q: размер от 1 байта до %d МБ", a.FileName, MaxAttachmentSize>>20)
		}
		sum := sha256.Sum256(a.Data)
		if _, err := db.Exec(ctx, `
			INSERT INTO request_attachments (request_id, file_name, content_type, size, sha256, data, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, cleanText(a.FileName), a.ContentType, len(a.Data), sum[:], a.Data, now); err != nil {
			return 0, fmt.Errorf("create request %d: attachment %q: %w", id, a.FileName, err)
		}
	}
	if err := notifyRequest(ctx, db, id, "new:"+fmt.Sprint(id), "Заявка № %s принята",
		"Заявка № %s «%s» принята. Мы сообщим, когда её статус изменится."); err != nil {
		return 0, err
	}
	return id, nil
}

// notifyRequest writes the request's resident a notification; subject and body are formats of
// the request's number (and, in body, its subject), key keeps reruns from doubling it.
func notifyRequest(ctx context.Context, db DBTX, requestID int64, key, subject, body string) error {
	_, err := insertNotifications(ctx, db, fmt.Sprintf("notify request %d", requestID), `
		SELECT r.resident_id, r.account_id, 'request', format($2::text, r.id), format($3::text, r.id, r.subject),
		       'request:' || $4::text, r.id
		FROM requests r WHERE r.id = $1 AND r.resident_id IS NOT NULL`, requestID, subject, body, key)
	return err
}

// Request is a request as lists show it.
type Request struct {
	ID            int64
	ResidentID    *int64
	AccountID     int64
	AccountNumber string
	Address       string
	Flat          string
	OrgID         int64
	OrgName       string
	Kind          RequestKind
	Subject       string
	Body          string
	State         RequestState
	AssignedTo    *int64
	AssignedLogin string
	ResidentName  string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	DueAt         time.Time
	ClosedAt      *time.Time
	Attachments   int
	Overdue       bool
}

const requestSQL = `
	SELECT r.id, r.resident_id, r.account_id, a.number, h.address, p.number, a.org_id,
	       coalesce(nullif(o.short_name, ''), o.name), r.kind, r.subject, r.body, r.state, r.assigned_to,
	       coalesce(s.login, ''), coalesce(trim(concat_ws(' ', res.last_name, res.first_name, res.middle_name)), ''),
	       r.created_at, r.updated_at, r.due_at, r.closed_at,
	       (SELECT count(*) FROM request_attachments x WHERE x.request_id = r.id)::int,
	       r.state IN ('new', 'in_progress') AND r.due_at < $1::timestamptz
	FROM requests r
	JOIN accounts a ON a.id = r.account_id
	JOIN premises p ON p.id = a.premises_id
	JOIN houses h ON h.id = p.house_id
	JOIN organizations o ON o.id = a.org_id
	LEFT JOIN staff_users s ON s.id = r.assigned_to
	LEFT JOIN residents res ON res.id = r.resident_id`

func collectRequests(rows pgx.Rows, op string) ([]Request, error) {
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Request])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

var errNoRequest = apperr.E(apperr.NotFound, "find request", "заявка не найдена")

// ResidentRequests lists the resident's requests, newest first.
func ResidentRequests(ctx context.Context, db DBTX, residentID int64, now time.Time) ([]Request, error) {
	rows, err := db.Query(ctx, requestSQL+` WHERE r.resident_id = $2 ORDER BY r.created_at DESC, r.id DESC LIMIT 200`, now, residentID)
	if err != nil {
		return nil, fmt.Errorf("list requests of resident %d: %w", residentID, err)
	}
	return collectRequests(rows, "list requests")
}

// ResidentRequest returns one of the resident's requests; another's is NotFound, like one
// that does not exist.
func ResidentRequest(ctx context.Context, db DBTX, residentID, id int64, now time.Time) (Request, error) {
	rows, err := db.Query(ctx, requestSQL+` WHERE r.id = $2 AND r.resident_id = $3`, now, id, residentID)
	if err != nil {
		return Request{}, fmt.Errorf("find request %d: %w", id, err)
	}
	return oneRequest(rows)
}

func oneRequest(rows pgx.Rows) (Request, error) {
	rs, err := collectRequests(rows, "find request")
	if err != nil {
		return Request{}, err
	}
	if len(rs) == 0 {
		return Request{}, errNoRequest
	}
	return rs[0], nil
}

// StaffRequest returns any request (staff see them all).
func StaffRequest(ctx context.Context, db DBTX, id int64, now time.Time) (Request, error) {
	rows, err := db.Query(ctx, requestSQL+` WHERE r.id = $2`, now, id)
	if err != nil {
		return Request{}, fmt.Errorf("find request %d: %w", id, err)
	}
	return oneRequest(rows)
}

// RequestFilter narrows the console's list; zero fields match everything.
type RequestFilter struct {
	State   RequestState
	Kind    RequestKind
	OrgID   int64
	Overdue bool
	Limit   int
}

// StaffRequests lists requests for the console: open ones by deadline first, then the rest.
func StaffRequests(ctx context.Context, db DBTX, f RequestFilter, now time.Time) ([]Request, error) {
	if f.Limit <= 0 {
		f.Limit = 200
	}
	rows, err := db.Query(ctx, requestSQL+`
		WHERE ($2 = '' OR r.state = $2) AND ($3 = '' OR r.kind = $3) AND ($4 = 0 OR a.org_id = $4)
		  AND (NOT $5 OR (r.state IN ('new', 'in_progress') AND r.due_at < $1::timestamptz))
		ORDER BY r.state IN ('done', 'rejected'), r.due_at, r.id LIMIT $6`,
		now, string(f.State), string(f.Kind), f.OrgID, f.Overdue, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return collectRequests(rows, "list requests")
}

// RequestEvent is one step of a request's timeline.
type RequestEvent struct {
	At            time.Time
	ActorKind     string
	ActorName     string
	State         *RequestState
	Answer        string
	AssignedLogin string
}

// RequestTimeline lists the request's events in order; callers have checked who may see it.
func RequestTimeline(ctx context.Context, db DBTX, requestID int64) ([]RequestEvent, error) {
	rows, err := db.Query(ctx, `
		SELECT e.at, e.actor_kind, coalesce(nullif(s.display_name, ''), s.login, ''), e.state, e.answer, coalesce(asg.login, '')
		FROM request_events e
		LEFT JOIN staff_users s ON e.actor_kind = 'staff' AND s.id = e.actor_id
		LEFT JOIN staff_users asg ON asg.id = e.assigned_to
		WHERE e.request_id = $1 ORDER BY e.at, e.id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("request %d timeline: %w", requestID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[RequestEvent])
	if err != nil {
		return nil, fmt.Errorf("request %d timeline: %w", requestID, err)
	}
	return out, nil
}

// Attachment is a stored photo; Data is filled only by the functions that serve it.
type Attachment struct {
	ID          int64
	RequestID   int64
	FileName    string
	ContentType string
	Size        int
	Data        []byte
}

// RequestAttachments lists a request's attachments without their data.
func RequestAttachments(ctx context.Context, db DBTX, requestID int64) ([]Attachment, error) {
	rows, err := db.Query(ctx, `
		SELECT id, request_id, file_name, content_type, size, NULL::bytea FROM request_attachments
		WHERE request_id = $1 ORDER BY id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("attachments of request %d: %w", requestID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Attachment])
	if err != nil {
		return nil, fmt.Errorf("attachments of request %d: %w", requestID, err)
	}
	return out, nil
}

// ResidentAttachment returns an attachment with its data if it belongs to a request of the
// resident; otherwise NotFound.
func ResidentAttachment(ctx context.Context, db DBTX, residentID, requestID, id int64) (Attachment, error) {
	return oneAttachment(ctx, db, `
		SELECT x.id, x.request_id, x.file_name, x.content_type, x.size, x.data
		FROM request_attachments x JOIN requests r ON r.id = x.request_id
		WHERE x.id = $1 AND x.request_id = $2 AND r.resident_id = $3`, id, requestID, residentID)
}

// StaffAttachment returns an attachment of a request with its data.
func StaffAttachment(ctx context.Context, db DBTX, requestID, id int64) (Attachment, error) {
	return oneAttachment(ctx, db, `
		SELECT id, request_id, file_name, content_type, size, data FROM request_attachments
		WHERE id = $1 AND request_id = $2`, id, requestID)
}

func oneAttachment(ctx context.Context, db DBTX, sql string, args ...any) (Attachment, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return Attachment{}, fmt.Errorf("find attachment: %w", err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Attachment])
	if errors.Is(err, pgx.ErrNoRows) {
		return a, apperr.E(apperr.NotFound, "find attachment", "файл не найден")
	}
	if err != nil {
		return a, fmt.Errorf("find attachment: %w", err)
	}
	return a, nil
}

// StaffChoice is a staff user a request can be assigned to.
type StaffChoice struct {
	ID    int64
	Login string
	Name  string
}

// ActiveStaff lists staff users who are not disabled, by login.
func ActiveStaff(ctx context.Context, db DBTX) ([]StaffChoice, error) {
	rows, err := db.Query(ctx, `SELECT id, login, display_name FROM staff_users WHERE disabled_at IS NULL ORDER BY login`)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StaffChoice])
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	return out, nil
}

// AssignRequest gives a request to a staff user (recorded on its timeline). Assigning to a
// disabled or unknown user is Invalid.
func AssignRequest(ctx context.Context, db DBTX, requestID, byStaff, assignee int64, now time.Time) error {
	tag, err := db.Exec(ctx, `
		UPDATE requests r SET assigned_to = s.id, updated_at = $3
		FROM staff_users s WHERE r.id = $1 AND s.id = $2 AND s.disabled_at IS NULL`, requestID, assignee, now)
	if err != nil {
		return fmt.Errorf("assign request %d: %w", requestID, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := StaffRequest(ctx, db, requestID, now); err != nil {
			return err
		}
		return apperr.Invalidf("assign request", "сотрудник не найден или отключён")
	}
	if _, err := db.Exec(ctx, `INSERT INTO request_events (request_id, at, actor_kind, actor_id, assigned_to) VALUES ($1, $2, 'staff', $3, $4)`,
		requestID, now, byStaff, assignee); err != nil {
		return fmt.Errorf("assign request %d: %w", requestID, err)
	}
	return nil
}

// UpdateRequest is a staff user's step on a request: a new state, an answer, or both.
type UpdateRequest struct {
	RequestID int64
	StaffID   int64
	// State is the new state; empty keeps it.
	State  RequestState
	Answer string
}

// UpdateRequestState applies u, records it on the timeline and notifies the resident. A
// closed request (done or rejected) cannot change its state (Conflict) but can still be
// answered; a step that changes nothing is Invalid. Run it in a transaction.
func UpdateRequestState(ctx context.Context, db DBTX, u UpdateRequest, now time.Time) error {
	u.Answer = strings.TrimSpace(u.Answer)
	if u.State != "" && !u.State.Valid() {
		return apperr.Invalidf("update request", "неизвестный статус %q", string(u.State))
	}
	if len([]rune(u.Answer)) > MaxRequestAnswer {
		return apperr.Invalidf("update request", "ответ: не больше %d символов", MaxRequestAnswer)
	}
	var cur RequestState
	if err := db.QueryRow(ctx, `SELECT state FROM requests WHERE id = $1 FOR UPDATE`, u.RequestID).Scan(&cur); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoRequest
		}
		return fmt.Errorf("update request %d: %w", u.RequestID, err)
	}
	if u.State == cur {
		u.State = ""
	}
	if u.State != "" && cur.Closed() {
		return apperr.E(apperr.Conflict, "update request", "заявка уже закрыта; её статус не меняется")
	}
	if u.State == RequestNew {
		return apperr.Invalidf("update request", "вернуть заявку в статус «принята» нельзя")
	}
	if u.State == "" && u.Answer == "" {
		return apperr.Invalidf("update request", "выберите новый статус или напишите ответ")
	}
	var state *RequestState
	if u.State != "" {
		state = &u.State
		if _, err := db.Exec(ctx, `
			UPDATE requests SET state = $2, updated_at = $3, closed_at = CASE WHEN $2 IN ('done', 'rejected') THEN $3::timestamptz END
			WHERE id = $1`, u.RequestID, u.State, now); err != nil {
			return fmt.Errorf("update request %d: %w", u.RequestID, err)
		}
	} else if _, err := db.Exec(ctx, `UPDATE requests SET updated_at = $2 WHERE id = $1`, u.RequestID, now); err != nil {
		return fmt.Errorf("update request %d: %w", u.RequestID, err)
	}
	var eventID int64
	if err := db.QueryRow(ctx, `
		INSERT INTO request_events (request_id, at, actor_kind, actor_id, state, answer) VALUES ($1, $2, 'staff', $3, $4, $5)
		RETURNING id`, u.RequestID, now, u.StaffID, state, u.Answer).Scan(&eventID); err != nil {
		return fmt.Errorf("update request %d: %w", u.RequestID, err)
	}
	subject, body := "По заявке № %s есть ответ", "По заявке № %s «%s» ответили: "+escapeFormat(u.Answer)
	if state != nil {
		subject = "Заявка № %s: " + escapeFormat(StateTitle(*state))
		body = "Статус заявки № %s «%s»: " + escapeFormat(StateTitle(*state)) + "."
		if u.Answer != "" {
			body += " Ответ: " + escapeFormat(u.Answer)
		}
	}
	return notifyRequest(ctx, db, u.RequestID, fmt.Sprint(u.RequestID, ":", eventID), subject, body)
}

// escapeFormat keeps text literal inside a PostgreSQL format() string.
func escapeFormat(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// StateTitle is a state in Russian, as residents and operators read it.
func StateTitle(s RequestState) string {
	switch s {
	case RequestNew:
		return "принята"
	case RequestInProgress:
		return "в работе"
	case RequestDone:
		return "выполнена"
	case RequestRejected:
		return "отклонена"
	}
	return string(s)
}

// KindTitle is a category in Russian.
func KindTitle(k RequestKind) string {
	switch k {
	case RequestEmergency:
		return "аварийная"
	case RequestComplaint:
		return "жалоба"
	case RequestAppeal:
		return "обращение"
	case RequestPaidService:
		return "платные услуги"
	case "repair":
		return "ремонт"
	case "recalculation":
		return "перерасчёт"
	case "question":
		return "вопрос"
	case "other":
		return "другое"
	}
	return string(k)
}
