package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// ReadingWindow is the days of the month, both inclusive, on which an organization takes
// residents' readings (organizations.reading_window_from/to; 15–25 unless set).
type ReadingWindow struct {
	From, To int
}

// Contains reports whether day (1–31) is inside the window.
func (w ReadingWindow) Contains(day int) bool { return day >= w.From && day <= w.To }

// MeterCard is a meter of an account with what the readings form and the meter information page
// show: its dates, its last trusted reading, the reading printed on the last receipt and the
// average monthly consumption of the last six months.
type MeterCard struct {
	MeterID            int64
	Number             string
	Resource           string
	Place              string
	InstalledOn        *time.Time
	VerifiedOn         *time.Time
	NextVerificationOn *time.Time
	RetiredOn          *time.Time
	// LastValue and LastTakenOn are the newest trusted reading (flag ''), as in AccountMeters.
	LastValue   *model.Decimal
	LastTakenOn *time.Time
	// ReceiptValue is the newest trusted reading taken before the month after the account's last
	// payment document: what that receipt printed (the newest reading when no receipt exists).
	ReceiptValue *model.Decimal
	// Average is the mean monthly consumption between the last reading and the reading closest to
	// six months before it (or the oldest one, if the meter is younger); nil when the readings span
	// less than 28 days.
	Average *model.Decimal
	// Window is the reading window of the account's organization.
	Window ReadingWindow
}

// MeterCards lists the meters of an account (the meters AccountMeters lists) with their dates,
// last and receipt readings, six-month average and the organization's reading window. Callers
// reach it only with an account id they have proven (ResidentAccount) or checked by address and
// receipt reading.
func MeterCards(ctx context.Context, db DBTX, accountID int64) ([]MeterCard, error) {
	rows, err := db.Query(ctx, `
		SELECT m.id, m.number, m.resource, m.place, m.installed_on, m.verified_on, m.next_verification_on, m.retired_on,
		       last.value::text, last.taken_on, rc.value::text,
		       CASE WHEN last.taken_on - base.taken_on >= 28
		            THEN round((last.value - base.value) / ((last.taken_on - base.taken_on) / 30.4375), 3)::text END,
		       o.reading_window_from, o.reading_window_to
		FROM accounts a
		JOIN organizations o ON o.id = a.org_id
		JOIN meters m ON m.premises_id = a.premises_id AND (m.account_id = a.id OR m.account_id IS NULL)
		LEFT JOIN LATERAL (SELECT value, taken_on FROM readings WHERE meter_id = m.id AND flag = ''
			ORDER BY taken_on DESC, `+sourceRank+`, id DESC LIMIT 1) last ON true
		LEFT JOIN LATERAL (SELECT value, taken_on FROM readings WHERE meter_id = m.id AND flag = ''
			AND taken_on <= last.taken_on - interval '6 months'
			ORDER BY taken_on DESC, `+sourceRank+`, id DESC LIMIT 1) old ON true
		LEFT JOIN LATERAL (SELECT value, taken_on FROM readings WHERE meter_id = m.id AND flag = ''
			AND old.taken_on IS NULL ORDER BY taken_on, `+sourceRank+`, id LIMIT 1) first ON true
		LEFT JOIN LATERAL (SELECT coalesce(old.value, first.value) AS value, coalesce(old.taken_on, first.taken_on) AS taken_on) base ON true
		LEFT JOIN LATERAL (SELECT value FROM readings WHERE meter_id = m.id AND flag = ''
			AND taken_on < coalesce((SELECT max(period) FROM payment_documents WHERE account_id = a.id) + interval '1 month', 'infinity')
			ORDER BY taken_on DESC, `+sourceRank+`, id DESC LIMIT 1) rc ON true
		WHERE a.id = $1
		ORDER BY m.resource, m.number`, accountID)
	if err != nil {
		return nil, fmt.Errorf("meters of account %d: %w", accountID, err)
	}
	defer rows.Close()
	var out []MeterCard
	for rows.Next() {
		var m MeterCard
		var last, receipt, avg *string
		var from, to int16
		if err := rows.Scan(&m.MeterID, &m.Number, &m.Resource, &m.Place, &m.InstalledOn, &m.VerifiedOn, &m.NextVerificationOn,
			&m.RetiredOn, &last, &m.LastTakenOn, &receipt, &avg, &from, &to); err != nil {
			return nil, fmt.Errorf("meters of account %d: %w", accountID, err)
		}
		m.Window = ReadingWindow{From: int(from), To: int(to)}
		for _, f := range []struct {
			s   *string
			dst **model.Decimal
		}{{last, &m.LastValue}, {receipt, &m.ReceiptValue}, {avg, &m.Average}} {
			if f.s == nil {
				continue
			}
			d, err := decimalFromText(*f.s)
			if err != nil {
				return nil, fmt.Errorf("meter %d: %w", m.MeterID, err)
			}
			*f.dst = &d
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SaveMeterReading stores a resident's reading of meterID taken on takenOn; a second one of the
// same day replaces the first. The meter must be one of the account's (NotFound otherwise). The
// caller checks the reading first (the cabinet's reading checks).
func SaveMeterReading(ctx context.Context, db DBTX, accountID, meterID int64, takenOn time.Time, value model.Decimal) error {
	tag, err := db.Exec(ctx, `
		INSERT INTO readings (meter_id, taken_on, value, source)
		SELECT m.id, $3, $4, 'resident'
		FROM meters m JOIN accounts a ON a.id = $1
		WHERE m.id = $2 AND m.premises_id = a.premises_id AND (m.account_id = a.id OR m.account_id IS NULL)
		ON CONFLICT (meter_id, taken_on, source) DO UPDATE SET value = EXCLUDED.value, flag = '', created_at = now()`,
		accountID, meterID, takenOn, numeric(value))
	if err != nil {
		return fmt.Errorf("save reading of meter %d: %w", meterID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "save reading", "счётчик не найден")
	}
	return nil
}

// SetReadingWindow sets the days of the month an organization takes readings (1 ≤ from ≤ to ≤ 31).
func SetReadingWindow(ctx context.Context, db DBTX, orgID int64, w ReadingWindow) error {
	if w.From < 1 || w.To > 31 || w.From > w.To {
		return apperr.Invalidf("set reading window", "reading window %d–%d: want 1 ≤ from ≤ to ≤ 31", w.From, w.To)
	}
	tag, err := db.Exec(ctx, `UPDATE organizations SET reading_window_from = $2, reading_window_to = $3 WHERE id = $1`, orgID, w.From, w.To)
	if err != nil {
		return fmt.Errorf("set reading window of organization %d: %w", orgID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "set reading window", fmt.Sprintf("organization %d not found", orgID))
	}
	return nil
}

// HistoryRow is one reading of a meter's history.
type HistoryRow struct {
	TakenOn time.Time
	Value   model.Decimal
	// Consumption is the value less the previous trusted reading's; nil for the first reading and
	// for flagged ones, which do not count.
	Consumption *model.Decimal
	Source      string
	// Flag is '' for a trusted reading, 'contradicts' or 'future' for one kept but not counted.
	Flag string
}

// HistorySort is a column of the history a resident may sort by.
type HistorySort string

// The history's sort columns.
const (
	SortDate        HistorySort = "date"
	SortValue       HistorySort = "value"
	SortConsumption HistorySort = "consumption"
)

// historyOrder maps a sort and direction to SQL; only these strings ever reach the query.
var historyOrder = map[HistorySort]string{
	SortDate:        "seq %[1]s",
	SortValue:       "value %[1]s, seq %[1]s",
	SortConsumption: "consumption %[1]s NULLS LAST, seq %[1]s",
}

// ResidentMeterHistory returns every reading of a meter of an account the resident proved, with
// consumption, sorted by sort (date when unknown), descending unless asc. For an account the
// resident did not prove, or a meter not of that account, it is NotFound: no data either way.
func ResidentMeterHistory(ctx context.Context, db DBTX, residentID, accountID, meterID int64, sort HistorySort, asc bool) (MeterCard, []HistoryRow, error) {
	var card MeterCard
	err := db.QueryRow(ctx, `
		SELECT m.id, m.number, m.resource, m.place
		FROM resident_accounts ra JOIN accounts a ON a.id = ra.account_id
		JOIN meters m ON m.premises_id = a.premises_id AND (m.account_id = a.id OR m.account_id IS NULL)
		WHERE ra.resident_id = $1 AND ra.verified_at IS NOT NULL AND a.id = $2 AND m.id = $3`,
		residentID, accountID, meterID).Scan(&card.MeterID, &card.Number, &card.Resource, &card.Place)
	if errors.Is(err, pgx.ErrNoRows) {
		return card, nil, apperr.E(apperr.NotFound, "meter history", "счётчик не найден среди ваших")
	}
	if err != nil {
		return card, nil, fmt.Errorf("history of meter %d: %w", meterID, err)
	}
	order, ok := historyOrder[sort]
	if !ok {
		order = historyOrder[SortDate]
	}
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	rows, err := db.Query(ctx, `
		WITH r AS (
			-- seq: the order of the history; of one day's readings the most trusted comes last.
			SELECT id, taken_on, value, source, flag, row_number() OVER (ORDER BY taken_on, `+sourceRank+` DESC, id) AS seq
			FROM readings WHERE meter_id = $1
		), t AS (
			SELECT id, value - lag(value) OVER (ORDER BY seq) AS consumption FROM r WHERE flag = ''
		)
		SELECT r.taken_on, r.value::text, t.consumption::text, r.source, r.flag
		FROM r LEFT JOIN t USING (id)
		ORDER BY `+fmt.Sprintf(order, dir), meterID)
	if err != nil {
		return card, nil, fmt.Errorf("history of meter %d: %w", meterID, err)
	}
	defer rows.Close()
	var out []HistoryRow
	for rows.Next() {
		var h HistoryRow
		var v string
		var c *string
		if err := rows.Scan(&h.TakenOn, &v, &c, &h.Source, &h.Flag); err != nil {
			return card, nil, fmt.Errorf("history of meter %d: %w", meterID, err)
		}
		if h.Value, err = decimalFromText(v); err != nil {
			return card, nil, fmt.Errorf("history of meter %d: %w", meterID, err)
		}
		if c != nil {
			d, err := decimalFromText(*c)
			if err != nil {
				return card, nil, fmt.Errorf("history of meter %d: %w", meterID, err)
			}
			h.Consumption = &d
		}
		out = append(out, h)
	}
	return card, out, rows.Err()
}

// HouseAddress returns a house's address (NotFound for an unknown id).
func HouseAddress(ctx context.Context, db DBTX, id int64) (string, error) {
	var a string
	err := db.QueryRow(ctx, `SELECT address FROM houses WHERE id = $1`, id).Scan(&a)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.E(apperr.NotFound, "find house", "дом не найден")
	}
	if err != nil {
		return "", fmt.Errorf("find house %d: %w", id, err)
	}
	return a, nil
}

// HouseSearchLimit is how many houses a search by address returns at most.
const HouseSearchLimit = 10

// SearchHouses finds houses by what a resident types: every word of q must occur in the address
// (case and ё/е ignored; a number must be a whole number in the address, so "1" does not find
// "д. 12"), best matches first, at most HouseSearchLimit. The trigram index on houses.search_key
// serves it; fewer than two letters or digits find nothing.
func SearchHouses(ctx context.Context, db DBTX, q string) ([]HouseChoice, error) {
	words := searchWords(q)
	if len(words) == 0 || len([]rune(strings.Join(words, ""))) < 2 {
		return nil, nil
	}
	var where []string
	args := []any{strings.Join(words, " ")}
	for _, w := range words {
		args = append(args, w)
		if isDigits(w) {
			// A house or building number: whole, not a prefix of a longer number.
			where = append(where, fmt.Sprintf(`search_key ~ ('(^|[^0-9])' || $%d || '([^0-9]|$)')`, len(args)))
			continue
		}
		where = append(where, fmt.Sprintf(`search_key LIKE '%%' || $%d || '%%'`, len(args)))
	}
	rows, err := db.Query(ctx, `
		SELECT id, address FROM houses WHERE `+strings.Join(where, " AND ")+`
		ORDER BY word_similarity($1, search_key) DESC, address, id LIMIT `+fmt.Sprint(HouseSearchLimit), args...)
	if err != nil {
		return nil, fmt.Errorf("search houses %q: %w", q, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[HouseChoice])
}

// searchWords splits a typed address into lower-case words of letters or digits (ё as е);
// punctuation and the usual abbreviations (ул., д., г.) are dropped.
func searchWords(q string) []string {
	q = strings.ReplaceAll(strings.ToLower(q), "ё", "е")
	f := strings.FieldsFunc(q, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'а' && r <= 'я' || r == '/')
	})
	var out []string
	for _, w := range f {
		switch w {
		case "ул", "д", "г", "дом", "улица", "пр", "кв", "обл", "корп", "к", "стр", "пер", "пр-т":
			continue
		}
		if len(out) == 8 {
			break
		}
		out = append(out, w)
	}
	return out
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// GISReadingsToSend lists, per meter of orgID that GIS holds (a root GUID) and that is in service,
// the newest trusted reading residents sent, unless it was sent already (an item in flight, held
// or confirmed). Older readings a newer one superseded are history GIS does not need.
func GISReadingsToSend(ctx context.Context, db DBTX, orgID int64, limit int) ([]model.GISReadingRow, error) {
	rows, err := db.Query(ctx, `
		SELECT r.id, m.gis_meter_root_guid::text, m.resource, r.value::text, r.taken_on
		FROM meters m JOIN accounts a ON a.id = m.account_id
		JOIN LATERAL (SELECT id, value, taken_on FROM readings WHERE meter_id = m.id AND source = 'resident' AND flag = ''
			ORDER BY taken_on DESC, id DESC LIMIT 1) r ON true
		WHERE a.org_id = $1 AND m.gis_meter_root_guid IS NOT NULL AND m.retired_on IS NULL
			AND NOT EXISTS (SELECT 1 FROM gis_items i WHERE i.object_kind = 'reading' AND i.object_id = r.id
				AND i.state IN ('pending', 'held', 'ok'))
		ORDER BY m.id LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("gis readings to send: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[model.GISReadingRow])
}
