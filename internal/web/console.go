package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
)

// consoleFuncs are the template functions of the console's Russian pages.
func consoleFuncs() template.FuncMap {
	return template.FuncMap{
		"ru":     ruLabel,
		"giserr": gisErrorHTML,
		"object": objectHTML,
		"date":   func(t any) string { return fmtDate(t, "02.01.2006") },
		"month":  func(t any) string { return fmtDate(t, "01.2006") },
	}
}

// ruLabels names, in Russian, the states, kinds and sources the console
// shows; the code keeps its English identifiers.
var ruLabels = map[string]string{
	// GIS messages and items.
	"prepared": "подготовлено", "sending": "отправляется", "sent": "отправлено", "done": "обработано", "stopped": "остановлено",
	"pending": "в обработке", "ok": "подтверждено", "failed": "ошибка", "held": "задержано", "not sent": "не отправлено",
	// GIS subjects.
	"orgs": "организации", "nsi": "справочники НСИ", "houses": "дома", "accounts-export": "сверка счетов",
	"accounts": "лицевые счета", "meters-export": "сверка ПУ", "meters": "приборы учёта", "readings": "показания",
	"documents-export": "сверка ПД", "documents": "платёжные документы", "withdrawals": "отзыв ПД", "payments": "платежи",
	"cancellations": "аннулирование извещений",
	// Objects.
	"account": "лицевой счёт", "meter": "прибор учёта", "document": "ПД", "withdrawal": "отзыв ПД", "payment": "платёж",
	"cancellation": "аннулирование", "premises": "помещение", "registry": "реестр", "registry_issue": "строка реестра",
	"staff_user": "сотрудник", "resident": "житель", "statement": "выписка", "esia": "ЕСИА",
	// Registries.
	"received": "получен", "accepted": "принят", "accepted_with_quarantine": "принят с карантином", "rejected": "отклонён",
	"reconciled": "сверен", "open": "открыта", "applied": "проведена", "discarded": "отклонено", "info": "сведения",
	"quarantine": "карантин", "duplicate": "дубль", "warning": "предупреждение", "no_money": "нет денег", "waiting": "ожидает",
	"cli": "командная строка", "upload": "загрузка", "inbox": "папка входящих", "mismatch": "расхождение",
	// Documents.
	"draft": "черновик", "ready": "готов", "posted": "размещён", "withdrawn": "отозван",
	// Readings.
	"bank": "банк", "gis": "ГИС ЖКХ", "initial": "начальное", "staff": "сотрудник", "contradicts": "противоречит истории",
	"future": "дата в будущем", "cold_water": "ХВС", "hot_water": "ГВС", "electricity": "электроэнергия", "heat": "отопление",
	"gas": "газ", "wastewater": "водоотведение",
	// Jobs and exchanges.
	"available": "ожидает", "running": "выполняется", "retryable": "повтор", "scheduled": "запланировано",
	"completed": "выполнено", "cancelled": "отменено", "error": "ошибка", "system": "система",
	// Roles.
	"admin": "администратор", "operator": "оператор",
}

// ruLabel is the Russian name of an English identifier, or the identifier.
func ruLabel(s string) string {
	if r, ok := ruLabels[s]; ok {
		return r
	}
	return s
}

var gisErrTmpl = template.Must(template.New("giserr").Parse(
	`<div class="giserr {{.Class}}"><span class="code" title="{{.Code}}">{{.Code}}</span> <b>{{.Title}}.</b> <span class="cause">{{.Cause}}</span>` +
		`{{with .Text}}<span class="muted small clamp" title="{{.}}">ГИС ЖКХ: {{.}}</span>{{end}}` +
		`<span class="remedy">Что делать: {{.Remedy}}</span></div>`))

// gisErrorHTML shows an error code with its class, cause and remedy from the
// catalog, and GIS's own text below; never the raw code alone.
func gisErrorHTML(code, text string) template.HTML {
	if code == "" && text == "" {
		return ""
	}
	e := gisexchange.ExplainError(code)
	if code == "" {
		e = gisexchange.ErrorInfo{Cause: "Ошибка без кода.", Remedy: "Прочитайте текст ошибки; при неясности сообщите администратору."}
	}
	var b strings.Builder
	err := gisErrTmpl.Execute(&b, map[string]any{"Code": e.Code, "Class": e.Class, "Title": e.Class.Title(), "Cause": e.Cause,
		"Remedy": e.Remedy, "Text": text})
	if err != nil {
		return template.HTML(template.HTMLEscapeString(code + " " + text))
	}
	return template.HTML(b.String())
}

// objectHTML names an exchanged object, linking accounts to their page.
func objectHTML(kind string, id int64) template.HTML {
	label := template.HTMLEscapeString(ruLabel(kind))
	if kind == "account" {
		return template.HTML(fmt.Sprintf(`%s <a href="/admin/accounts/%d">%d</a>`, label, id, id))
	}
	return template.HTML(label + " " + strconv.FormatInt(id, 10))
}

// fmtDate formats a time or a non-nil *time.Time; nil is empty.
func fmtDate(t any, layout string) string {
	switch v := t.(type) {
	case time.Time:
		return v.Format(layout)
	case *time.Time:
		if v != nil {
			return v.Format(layout)
		}
	}
	return ""
}
