package cabinet

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web/formcheck"
)

// A request's upload: at most store.MaxRequestAttachments photos of store.MaxAttachmentSize
// each; the body is cut at maxRequestBody before anything parses it.
const (
	maxRequestBody  = store.MaxRequestAttachments*store.MaxAttachmentSize + 1<<20
	requestFormMem  = 8 << 20
	requestsPerDay  = 5
	requestDayLimit = 24 * time.Hour
)

// requestRoutes registers the residents' requests and notifications.
func (c *Cabinet) requestRoutes() {
	c.mux.HandleFunc("GET /requests", c.resident(c.requestsPage))
	c.mux.HandleFunc("POST /requests", c.uploadRequest)
	c.mux.HandleFunc("GET /requests/{id}", c.resident(c.requestPage))
	c.mux.HandleFunc("GET /requests/{id}/attachments/{aid}", c.resident(c.requestAttachment))
	c.mux.HandleFunc("GET /notifications", c.resident(c.notificationsPage))
	c.mux.HandleFunc("POST /notifications/read", c.resident(c.readAllNotifications))
	c.mux.HandleFunc("POST /notifications/{id}/read", c.resident(c.readNotification))
	c.mux.HandleFunc("POST /accounts/{id}/notify", c.resident(c.saveNotifySettings))
}

// uploadRequest bounds the body of POST /requests and, for a logged-in resident only (parsing
// costs disk), parses it before the CSRF check reads its token, so a too-large upload is
// explained as such.
func (c *Cabinet) uploadRequest(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		if v := c.visitorOf(w, r); v.Resident != nil {
			if err := r.ParseMultipartForm(requestFormMem); err != nil {
				c.fail(w, r, v, uploadError(err))
				return
			}
		}
	}
	c.resident(c.createRequest)(w, r)
}

func (c *Cabinet) requestLimit() store.Limit {
	return store.Limit{Max: cmpOr(c.cfg.Limits.RequestsPerDay, requestsPerDay), Window: requestDayLimit}
}

func cmpOr(a, b int) int {
	if a > 0 {
		return a
	}
	return b
}

// kindChoice is a category on the form.
type kindChoice struct {
	Value store.RequestKind
	Title string
}

func kindChoices() []kindChoice {
	out := make([]kindChoice, 0, len(store.RequestKinds))
	for _, k := range store.RequestKinds {
		out = append(out, kindChoice{k, store.KindTitle(k)})
	}
	return out
}

func (c *Cabinet) requestsData(r *http.Request, v *visitor) (map[string]any, error) {
	ctx := r.Context()
	list, err := store.ResidentRequests(ctx, c.deps.Pool, v.Resident.ID, c.now())
	if err != nil {
		return nil, err
	}
	accounts, err := store.ResidentAccounts(ctx, c.deps.Pool, v.Resident.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Requests": list, "Accounts": accounts, "Kinds": kindChoices(),
		"MaxFiles": store.MaxRequestAttachments, "MaxMB": store.MaxAttachmentSize >> 20, "PerDay": c.requestLimit().Max}, nil
}

func (c *Cabinet) requestsPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	data, err := c.requestsData(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "requests", v, page{Title: "Заявки", Data: data})
}

// createRequest is POST /requests (multipart): category, account, subject, text, photos.
func (c *Cabinet) createRequest(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	fail := func(err error) {
		data, derr := c.requestsData(r, v)
		if derr != nil {
			c.fail(w, r, v, derr)
			return
		}
		if r.MultipartForm != nil {
			data["Form"] = map[string]string{"Account": r.FormValue("account"), "Kind": r.FormValue("kind"),
				"Subject": r.FormValue("subject"), "Body": r.FormValue("request_body")}
		}
		c.failForm(w, r, v, "requests", "Заявки", err, data)
	}
	if r.MultipartForm == nil {
		fail(apperr.Invalidf("create request", "Форма отправлена не так: обновите страницу и попробуйте ещё раз."))
		return
	}
	defer r.MultipartForm.RemoveAll()
	if err := formcheck.CheckMultipart(r); err != nil {
		fail(err)
		return
	}
	n := store.NewRequest{ResidentID: v.Resident.ID, Kind: store.RequestKind(r.FormValue("kind")),
		Subject: strings.TrimSpace(r.FormValue("subject")), Body: strings.TrimSpace(strings.ReplaceAll(r.FormValue("request_body"), "\r\n", "\n"))}
	n.AccountID, _ = strconv.ParseInt(r.FormValue("account"), 10, 64)
	switch {
	case !n.Kind.Valid():
		fail(apperr.Invalidf("create request", "Выберите категорию заявки."))
		return
	case n.Subject == "" || len([]rune(n.Subject)) > store.MaxRequestSubject:
		fail(apperr.Invalidf("create request", "Тема: от 1 до %d символов.", store.MaxRequestSubject))
		return
	case len([]rune(n.Body)) > store.MaxRequestBody:
		fail(apperr.Invalidf("create request", "Текст заявки: не больше %d символов.", store.MaxRequestBody))
		return
	}
	files := r.MultipartForm.File["photos"]
	if len(files) > store.MaxRequestAttachments {
		fail(apperr.Invalidf("create request", "Можно приложить не больше %d фотографий.", store.MaxRequestAttachments))
		return
	}
	for _, fh := range files {
		if fh.Size == 0 && fh.Filename == "" {
			continue // an empty file input
		}
		a, err := readPhoto(fh.Filename, fh.Size, func() (io.ReadCloser, error) { return fh.Open() })
		if err != nil {
			fail(err)
			return
		}
		n.Attachments = append(n.Attachments, a)
	}
	// The account must be the resident's before the day's limit is spent on it.
	if _, err := store.ResidentAccount(ctx, c.deps.Pool, v.Resident.ID, n.AccountID); err != nil {
		fail(err)
		return
	}
	if _, err := c.reserve(ctx, "create request", "request:resident:"+strconv.FormatInt(v.Resident.ID, 10), c.requestLimit(),
		"Сегодня вы уже отправили "+strconv.Itoa(c.requestLimit().Max)+" заявок. Новую можно будет отправить завтра; при аварии звоните в аварийно-диспетчерскую службу."); err != nil {
		fail(err)
		return
	}
	tx, err := c.deps.Pool.Begin(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback(ctx)
	id, err := store.CreateRequest(ctx, tx, n, c.now())
	if err != nil {
		fail(err)
		return
	}
	if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: "resident", ActorID: v.Resident.ID, Action: "resident.request_created",
		ObjectKind: "request", ObjectID: strconv.FormatInt(id, 10),
		Details: map[string]any{"account_id": n.AccountID, "kind": string(n.Kind), "attachments": len(n.Attachments)}}); err != nil {
		fail(err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, "/requests/"+strconv.FormatInt(id, 10)+"?ok=request", http.StatusSeeOther)
}

// uploadError explains a body that did not parse: too large, or broken.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &apperr.Error{Kind: apperr.Invalid, Op: "create request", Err: err,
			Message: "Файлы слишком велики: не больше " + strconv.Itoa(store.MaxAttachmentSize>>20) + " МБ каждый и " +
				strconv.Itoa(store.MaxRequestAttachments) + " файлов."}
	}
	return &apperr.Error{Kind: apperr.Invalid, Op: "create request", Err: err, Message: "Форма искажена. Обновите страницу и попробуйте ещё раз."}
}

// readPhoto reads one uploaded file and checks its size and, by content, its type.
func readPhoto(name string, size int64, open func() (io.ReadCloser, error)) (store.NewAttachment, error) {
	label := strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if label == "" || label == "." || label == "/" {
		label = "фото"
	}
	if size > store.MaxAttachmentSize {
		return store.NewAttachment{}, apperr.Invalidf("create request", "Файл «%s» больше %d МБ.", label, store.MaxAttachmentSize>>20)
	}
	f, err := open()
	if err != nil {
		return store.NewAttachment{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, store.MaxAttachmentSize+1))
	if err != nil {
		return store.NewAttachment{}, err
	}
	switch {
	case len(data) == 0:
		return store.NewAttachment{}, apperr.Invalidf("create request", "Файл «%s» пустой.", label)
	case len(data) > store.MaxAttachmentSize:
		return store.NewAttachment{}, apperr.Invalidf("create request", "Файл «%s» больше %d МБ.", label, store.MaxAttachmentSize>>20)
	}
	ct := sniffImage(data)
	if ct == "" {
		return store.NewAttachment{}, apperr.Invalidf("create request", "Файл «%s» — не фотография: принимаются JPEG, PNG и HEIC.", label)
	}
	return store.NewAttachment{FileName: label, ContentType: ct, Data: data}, nil
}

func pathInt(r *http.Request, name string) int64 {
	id, _ := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id
}

func (c *Cabinet) requestPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	req, err := store.ResidentRequest(ctx, c.deps.Pool, v.Resident.ID, pathInt(r, "id"), c.now())
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	timeline, err := store.RequestTimeline(ctx, c.deps.Pool, req.ID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	atts, err := store.RequestAttachments(ctx, c.deps.Pool, req.ID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "request", v, page{Title: "Заявка № " + strconv.FormatInt(req.ID, 10),
		Data: map[string]any{"Request": req, "Timeline": timeline, "Attachments": atts}})
}

// requestAttachment serves a photo of the resident's own request.
func (c *Cabinet) requestAttachment(w http.ResponseWriter, r *http.Request, v *visitor) {
	a, err := store.ResidentAttachment(r.Context(), c.deps.Pool, v.Resident.ID, pathInt(r, "id"), pathInt(r, "aid"))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	ServeAttachment(w, a)
}

// ServeAttachment writes a stored photo: its sniffed type, an inline disposition with the file
// name (RFC 6266), and a CSP that forbids everything, so even a file that fooled the sniffer
// never runs as a page. The console serves staff the same way.
func ServeAttachment(w http.ResponseWriter, a store.Attachment) {
	h := w.Header()
	ct := a.ContentType
	disposition := "inline"
	if ct != "image/jpeg" && ct != "image/png" {
		disposition = "attachment" // HEIC: browsers do not show it; download it
		if ct != "image/heic" {
			ct = "application/octet-stream"
		}
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": a.FileName}))
	if h.Get("Content-Disposition") == "" {
		h.Set("Content-Disposition", disposition+"; filename*=UTF-8''"+url.PathEscape(a.FileName))
	}
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(a.Data)
}
