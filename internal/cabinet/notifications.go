package cabinet

import (
	"net/http"
	"strconv"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// unread is the count of the resident's unread notifications, for the header's badge; a
// failure shows no badge (it is logged).
func (c *Cabinet) unread(r *http.Request, v *visitor) int {
	if v == nil || v.Resident == nil {
		return 0
	}
	n, err := store.UnreadNotifications(r.Context(), c.deps.Pool, v.Resident.ID)
	if err != nil {
		c.deps.Logger.ErrorContext(r.Context(), "cabinet: count unread notifications", "error", err)
	}
	return n
}

func (c *Cabinet) notificationsPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	list, err := store.ResidentNotifications(r.Context(), c.deps.Pool, v.Resident.ID, 100)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "notifications", v, page{Title: "Уведомления", Data: map[string]any{"Notifications": list}})
}

func (c *Cabinet) readNotification(w http.ResponseWriter, r *http.Request, v *visitor) {
	if err := store.MarkNotificationRead(r.Context(), c.deps.Pool, v.Resident.ID, pathInt(r, "id"), c.now()); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
}

func (c *Cabinet) readAllNotifications(w http.ResponseWriter, r *http.Request, v *visitor) {
	if err := store.MarkAllNotificationsRead(r.Context(), c.deps.Pool, v.Resident.ID, c.now()); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/notifications?ok=read", http.StatusSeeOther)
}

// notifyChoice is one kind in an account's e-mail settings.
type notifyChoice struct {
	Kind  store.NotificationKind
	Title string
	On    bool
}

var notifyTitles = map[store.NotificationKind]string{
	store.NotifyRequest:       "Ответы и статусы заявок",
	store.NotifyPayment:       "Зачисление платежей",
	store.NotifyDocument:      "Новые квитанции",
	store.NotifyDueSoon:       "Срок оплаты через 3 дня",
	store.NotifyReadingWindow: "Начало приёма показаний",
	store.NotifyVerification:  "Поверка счётчиков",
	store.NotifyBroadcast:     "Объявления управляющей организации",
}

// notifySettings are an account's e-mail settings as its page shows them.
func (c *Cabinet) notifySettings(r *http.Request, v *visitor, accountID int64) ([]notifyChoice, error) {
	set, err := store.NotificationSettings(r.Context(), c.deps.Pool, v.Resident.ID, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]notifyChoice, 0, len(store.EmailKinds))
	for _, k := range store.EmailKinds {
		out = append(out, notifyChoice{Kind: k, Title: notifyTitles[k], On: set[k]})
	}
	return out, nil
}

// saveNotifySettings is POST /accounts/{id}/notify: the kinds ticked go by e-mail.
func (c *Cabinet) saveNotifySettings(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := accountID(r)
	var kinds []store.NotificationKind
	for _, k := range r.PostForm["email"] {
		kinds = append(kinds, store.NotificationKind(k))
	}
	if err := store.SetNotificationSettings(r.Context(), c.deps.Pool, v.Resident.ID, id, kinds); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(r.Context(), v.Resident.ID, "resident.notify_settings", "account", strconv.FormatInt(id, 10), map[string]any{"email": r.PostForm["email"]})
	http.Redirect(w, r, "/accounts/"+strconv.FormatInt(id, 10)+"?ok=notify#notify", http.StatusSeeOther)
}

// moscow is the time zone residents read times in; UTC+3 when the zone database is missing.
var moscow = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Moscow"); err == nil {
		return l
	}
	return time.FixedZone("MSK", 3*60*60)
}()

// formatStamp is a moment as residents read it: 05.10.2026 14:30.
func formatStamp(t time.Time) string { return t.In(moscow).Format("02.01.2006 15:04") }
