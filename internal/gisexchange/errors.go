package gisexchange

import (
	"slices"
	"strings"
)

// ErrorClass says what kind of failure a GIS ZhKH error code is, and so
// who acts on it: the exchange by itself (transport, re-send) or an
// operator (data, business rule).
type ErrorClass string

// The error classes of the catalog.
const (
	// ClassTransport: the message did not get through (network, gateway,
	// GIS file store); the same envelope is sent again after a backoff.
	ClassTransport ErrorClass = "transport"
	// ClassResend: GIS lost or refused the message as a whole for a reason
	// outside its content (processing failure, unknown MessageGUID, the
	// signature or the organization's rights); it is signed and sent again as
	// a new message, once the cause (a certificate, a right) is fixed.
	ClassResend ErrorClass = "resend"
	// ClassData: the content is malformed or cannot be mapped; our data or
	// mapping must be fixed before the object is sent again.
	ClassData ErrorClass = "data"
	// ClassBusiness: GIS refused the object by a business rule (it exists
	// already, refers to something GIS does not hold); the item is held until
	// an operator releases it, or until its prerequisite reaches GIS.
	ClassBusiness ErrorClass = "business"
)

// ErrorClasses lists the classes in the order the console shows them.
var ErrorClasses = []ErrorClass{ClassTransport, ClassResend, ClassData, ClassBusiness}

// Title is the class's Russian name for operators.
func (c ErrorClass) Title() string {
	switch c {
	case ClassTransport:
		return "Связь"
	case ClassResend:
		return "Переподписать и отправить заново"
	case ClassData:
		return "Данные"
	case ClassBusiness:
		return "Бизнес-правило ГИС ЖКХ"
	}
	return "Прочее"
}

// ErrorInfo is one entry of the catalog: what a code means and what to do,
// in plain Russian for the settlement center's operators.
type ErrorInfo struct {
	Code  string
	Class ErrorClass
	// Cause says why GIS (or the exchange) answered so.
	Cause string
	// Remedy says what the operator does, or that nothing is needed.
	Remedy string
	// Known is false for a code the catalog does not list (the entry is
	// the fallback of its prefix).
	Known bool
}

// Prerequisites are the objects another object depends on in GIS: an item
// GIS refuses because its prerequisite is missing is held until the
// prerequisite's identifier arrives, then released by itself.
const (
	// PrereqAccount: a meter or a payment document refers to an account.
	PrereqAccount = "account"
	// PrereqPremises: an account or a meter is placed in a premises of a
	// house GIS must hold.
	PrereqPremises = "premises"
)

// errorCatalog lists every code the connector can meet: those of the
// research note on GIS ZhKH (§5), those the simulator answers, and the
// exchange's own (HTTP…, TRANSPORT, MAPPING, NORESULT).
var errorCatalog = []ErrorInfo{
	// Transport.
	{Code: "TRANSPORT", Class: ClassTransport, Cause: "Нет связи с ГИС ЖКХ: соединение оборвано или истекло время ожидания.",
		Remedy: "Ничего делать не нужно: сообщение будет отправлено повторно автоматически. Если ошибка держится часами — проверьте шлюз ГОСТ TLS и сеть."},
	{Code: "HTTP429", Class: ClassTransport, Cause: "ГИС ЖКХ просит снизить частоту запросов.",
		Remedy: "Ничего делать не нужно: отправка повторится после паузы."},
	{Code: "HTTP500", Class: ClassTransport, Cause: "Внутренняя ошибка сервера ГИС ЖКХ или шлюза.",
		Remedy: "Повторите отправку позже кнопкой «Повторить». Если ошибка повторяется — проверьте шлюз ГОСТ TLS и журнал обмена."},
	{Code: "HTTP502", Class: ClassTransport, Cause: "Шлюз ГИС ЖКХ временно недоступен (502).",
		Remedy: "Ничего делать не нужно: отправка повторится автоматически примерно через 2 минуты."},
	{Code: "HTTP503", Class: ClassTransport, Cause: "Сервис ГИС ЖКХ временно недоступен (503), например на регламентных работах.",
		Remedy: "Ничего делать не нужно: отправка повторится автоматически."},
	{Code: "HTTP504", Class: ClassTransport, Cause: "Истекло время ожидания шлюза ГИС ЖКХ (504).",
		Remedy: "Ничего делать не нужно: отправка повторится автоматически."},
	{Code: "HTTP401", Class: ClassResend, Cause: "ГИС ЖКХ не приняла учётные данные (401): неверный логин или пароль тестового стенда либо сертификат шлюза.",
		Remedy: "Проверьте ZHKHGATE_GIS_USER/ZHKHGATE_GIS_PASSWORD и сертификат шлюза ГОСТ TLS, затем нажмите «Повторить»."},
	{Code: "HTTP403", Class: ClassResend, Cause: "Доступ к сервису ГИС ЖКХ запрещён (403).",
		Remedy: "Проверьте сертификат шлюза и права организации в ГИС ЖКХ, затем нажмите «Повторить»."},
	{Code: "HTTP404", Class: ClassData, Cause: "Адрес сервиса ГИС ЖКХ не найден (404): неверный ZHKHGATE_GIS_URL или путь сервиса.",
		Remedy: "Исправьте адрес ГИС ЖКХ в настройках и нажмите «Повторить»."},
	{Code: "FIL001001", Class: ClassTransport, Cause: "Ошибка файлового хранилища ГИС ЖКХ.",
		Remedy: "Повторите отправку позже кнопкой «Повторить»; при повторении обратитесь в поддержку ГИС ЖКХ."},
	{Code: "FIL001002", Class: ClassTransport, Cause: "Ошибка файлового хранилища ГИС ЖКХ при загрузке файла.",
		Remedy: "Повторите отправку позже кнопкой «Повторить»; при повторении обратитесь в поддержку ГИС ЖКХ."},
	{Code: "FIL001004", Class: ClassTransport, Cause: "Файл не найден в хранилище ГИС ЖКХ.",
		Remedy: "Отправьте сообщение заново кнопкой «Повторить» — файл будет загружен снова."},
	{Code: "FIL001005", Class: ClassTransport, Cause: "Файл превышает допустимый размер части (5 МБ) или повреждён.",
		Remedy: "Повторите отправку; если ошибка повторяется — сообщите администратору, нужно уменьшить размер частей."},
	{Code: "EXP002001", Class: ClassTransport, Cause: "ГИС ЖКХ не смогла обработать запрос в этот раз.",
		Remedy: "Ничего делать не нужно: запрос будет повторён автоматически."},
	{Code: "EXP002002", Class: ClassTransport, Cause: "ГИС ЖКХ не смогла обработать запрос в этот раз.",
		Remedy: "Ничего делать не нужно: запрос будет повторён автоматически."},
	{Code: "EXP002003", Class: ClassTransport, Cause: "ГИС ЖКХ не смогла обработать запрос в этот раз.",
		Remedy: "Ничего делать не нужно: запрос будет повторён автоматически."},

	// Re-sign and re-send.
	{Code: "EXP001000", Class: ClassResend, Cause: "«Произошла ошибка при передаче данных»: ГИС ЖКХ не приняла сообщение при передаче.",
		Remedy: "Ничего делать не нужно: сообщение будет заново подписано и отправлено как новое после паузы."},
	{Code: "INT002013", Class: ClassResend, Cause: "ГИС ЖКХ не нашла запрос по его MessageGUID («Запрос не найден»).",
		Remedy: "Ничего делать не нужно: сообщение будет заново подписано и отправлено."},
	{Code: "INT002018", Class: ClassResend, Cause: "ГИС ЖКХ просит повторить запрос позже.",
		Remedy: "Ничего делать не нужно: запрос будет повторён; если сообщение остановлено — нажмите «Повторить»."},
	{Code: "NORESULT", Class: ClassResend, Cause: "ГИС ЖКХ обработала сообщение, но не вернула результат по этому объекту.",
		Remedy: "Объект будет отправлен снова при следующей синхронизации; ничего делать не нужно."},
	{Code: "AUT011000", Class: ClassResend, Cause: "Ошибка доступа в ГИС ЖКХ: отправитель не авторизован.",
		Remedy: "Проверьте, что сертификат подписи зарегистрирован в ГИС ЖКХ для этой организации, затем нажмите «Повторить»."},
	{Code: "AUT011002", Class: ClassResend, Cause: "«Организация не найдена»: ГИС ЖКХ не знает организацию по её orgPPAGUID.",
		Remedy: "Выполните синхронизацию «orgs», чтобы получить верный orgPPAGUID, и нажмите «Повторить»."},
	{Code: "AUT011003", Class: ClassResend, Cause: "«Доступ запрещён для поставщика данных»: у организации нет полномочий на эту операцию.",
		Remedy: "Предоставьте организации нужные полномочия в личном кабинете ГИС ЖКХ (права информационной системы), затем нажмите «Повторить»."},
	{Code: "AUT011004", Class: ClassResend, Cause: "Доступ запрещён: информационная система не имеет прав на операцию.",
		Remedy: "Проверьте права информационной системы в ГИС ЖКХ, затем нажмите «Повторить»."},
	{Code: "AUT011005", Class: ClassResend, Cause: "Подпись сообщения не прошла проверку или сертификат не принадлежит организации.",
		Remedy: "Проверьте ключ и сертификат (ZHKHGATE_GIS_KEY, ZHKHGATE_GIS_CERT), срок действия сертификата, затем нажмите «Повторить» — сообщение будет подписано заново."},
	{Code: "AUT011009", Class: ClassResend, Cause: "Доступ запрещён: сертификат отозван, просрочен или не зарегистрирован.",
		Remedy: "Замените сертификат подписи и нажмите «Повторить»."},

	// Data.
	{Code: "MAPPING", Class: ClassData, Cause: "Объект не удалось преобразовать в запрос ГИС ЖКХ: в наших данных не хватает сведений или они неверны.",
		Remedy: "Откройте объект, исправьте данные (текст ошибки называет поле) и запустите синхронизацию снова."},
	{Code: "FMT001300", Class: ClassData, Cause: "«Некорректный XML»: запрос не соответствует схеме ГИС ЖКХ.",
		Remedy: "Это ошибка формата запроса, а не ваших действий: сообщите администратору (код и номер сообщения); после исправления нажмите «Повторить»."},
	{Code: "FMT001301", Class: ClassData, Cause: "Запрос не соответствует схеме ГИС ЖКХ (ошибка формата).",
		Remedy: "Сообщите администратору код и номер сообщения; после исправления нажмите «Повторить»."},
	{Code: "FMT001307", Class: ClassData, Cause: "Неверная версия формата в запросе.",
		Remedy: "Сообщите администратору: нужна версия формата, которую принимает ГИС ЖКХ."},
	{Code: "FMT001310", Class: ClassData, Cause: "Запрос не соответствует схеме ГИС ЖКХ (ошибка формата).",
		Remedy: "Сообщите администратору код и номер сообщения; после исправления нажмите «Повторить»."},
	{Code: "INT002039", Class: ClassData, Cause: "Превышено число открепленных подписей у вложения.",
		Remedy: "Уменьшите число подписей у файла и отправьте снова."},
	{Code: "INT004025", Class: ClassData, Cause: "В импорте дома данные подъездов должны передаваться в блоке создания.",
		Remedy: "Сообщите администратору: запрос по дому нужно сформировать заново."},
	{Code: "INT004026", Class: ClassData, Cause: "В импорте дома данные помещений должны передаваться в блоке создания.",
		Remedy: "Сообщите администратору: запрос по дому нужно сформировать заново."},
	{Code: "INT004027", Class: ClassData, Cause: "В импорте дома данные комнат должны передаваться в блоке создания.",
		Remedy: "Сообщите администратору: запрос по дому нужно сформировать заново."},
	{Code: "INT004028", Class: ClassData, Cause: "В импорте дома данные блоков должны передаваться в блоке создания.",
		Remedy: "Сообщите администратору: запрос по дому нужно сформировать заново."},
	{Code: "INT004093", Class: ClassData, Cause: "В импорте дома данные объекта должны передаваться в блоке создания.",
		Remedy: "Сообщите администратору: запрос по дому нужно сформировать заново."},
	{Code: "INT004057", Class: ClassData, Cause: "В одном доме два помещения с одинаковым номером.",
		Remedy: "Исправьте номера помещений дома в учётной системе и отправьте снова."},
	{Code: "INT004059", Class: ClassData, Cause: "В одном помещении две комнаты с одинаковым номером.",
		Remedy: "Исправьте номера комнат в учётной системе и отправьте снова."},
	{Code: "INT004065", Class: ClassData, Cause: "В одном доме два блока с одинаковым номером.",
		Remedy: "Исправьте номера блоков в учётной системе и отправьте снова."},

	// Business rules.
	{Code: "INT002012", Class: ClassBusiness, Cause: "«Нет объектов для экспорта»: ГИС ЖКХ ничего не нашла по запросу. Это не ошибка.",
		Remedy: "Ничего делать не нужно."},
	{Code: "INT002000", Class: ClassBusiness, Cause: "«Значение в поле отсутствует в реестре»: объект ссылается на то, чего нет в ГИС ЖКХ (лицевой счёт, прибор учёта, платёжный документ).",
		Remedy: "Если не хватает лицевого счёта — объект ждёт его и уйдёт сам, когда счёт будет размещён в ГИС ЖКХ. Иначе выполните сверку (accounts-export, meters-export, documents-export) и отпустите объект."},
	{Code: "INT002034", Class: ClassBusiness, Cause: "Объект размещён в доме или помещении, которого нет в реестре ГИС ЖКХ (или оно неактуально).",
		Remedy: "Дом должен быть в ГИС ЖКХ: управляющая организация размещает его в ГИС ЖКХ, затем выполните синхронизацию «houses». Объект ждёт помещение и уйдёт сам, когда его идентификатор придёт из ГИС ЖКХ."},
	{Code: "INT004132", Class: ClassBusiness, Cause: "Объект уже размещён в ГИС ЖКХ (например, лицевой счёт или ПУ с тем же номером, ПД уже отозван).",
		Remedy: "Выполните сверку (accounts-export, meters-export или documents-export): она запишет идентификаторы ГИС ЖКХ в наши данные. Затем отпустите объект, если он ещё нужен."},
	{Code: "INT008255", Class: ClassBusiness, Cause: "Лицевой счёт не прошёл контроль ГИС ЖКХ при импорте.",
		Remedy: "Проверьте сведения счёта (помещение, площадь, плательщик, даты) по тексту ошибки, исправьте и отпустите объект."},
	{Code: "SRV008203", Class: ClassBusiness, Cause: "Платёжный документ не прошёл контроль ГИС ЖКХ при импорте.",
		Remedy: "Проверьте начисления и реквизиты документа по тексту ошибки, исправьте и отпустите объект."},
}

// byPrefix are the fallbacks of codes the catalog does not list, so no
// code is ever shown without a cause and a remedy.
var byPrefix = map[string]ErrorInfo{
	"INT": {Class: ClassBusiness, Cause: "ГИС ЖКХ отклонила объект по правилу контроля.",
		Remedy: "Прочитайте текст ошибки ГИС ЖКХ, исправьте данные объекта и отпустите его."},
	"SRV": {Class: ClassBusiness, Cause: "ГИС ЖКХ отклонила объект по правилу контроля сервиса.",
		Remedy: "Прочитайте текст ошибки ГИС ЖКХ, исправьте данные объекта и отпустите его."},
	"FMT": {Class: ClassData, Cause: "Запрос не соответствует формату ГИС ЖКХ.",
		Remedy: "Сообщите администратору код и номер сообщения; после исправления нажмите «Повторить»."},
	"AUT": {Class: ClassResend, Cause: "Ошибка доступа в ГИС ЖКХ (сертификат, права организации).",
		Remedy: "Проверьте сертификат и права организации в ГИС ЖКХ, затем нажмите «Повторить»."},
	"EXP": {Class: ClassTransport, Cause: "ГИС ЖКХ не смогла обработать запрос в этот раз.",
		Remedy: "Ничего делать не нужно: запрос будет повторён автоматически."},
	"FIL": {Class: ClassTransport, Cause: "Ошибка файлового хранилища ГИС ЖКХ.",
		Remedy: "Повторите отправку позже кнопкой «Повторить»."},
	"HTTP": {Class: ClassTransport, Cause: "ГИС ЖКХ или шлюз ответили ошибкой HTTP.",
		Remedy: "Повторите отправку позже кнопкой «Повторить»; при повторении проверьте шлюз ГОСТ TLS."},
}

// ErrorCodes lists the codes of the catalog.
func ErrorCodes() []string {
	codes := make([]string, len(errorCatalog))
	for i, e := range errorCatalog {
		codes[i] = e.Code
	}
	return codes
}

// ExplainError returns the catalog's entry for code; a code it does not list
// gets the entry of its prefix (Known false), an empty code the zero entry.
func ExplainError(code string) ErrorInfo {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return ErrorInfo{}
	}
	if i := slices.IndexFunc(errorCatalog, func(e ErrorInfo) bool { return e.Code == code }); i >= 0 {
		e := errorCatalog[i]
		e.Known = true
		return e
	}
	for _, p := range []string{"HTTP", "INT", "SRV", "FMT", "AUT", "EXP", "FIL"} {
		if strings.HasPrefix(code, p) {
			e := byPrefix[p]
			e.Code = code
			return e
		}
	}
	return ErrorInfo{Code: code, Class: ClassResend, Cause: "Неизвестная ошибка обмена с ГИС ЖКХ.",
		Remedy: "Сообщите администратору код и номер сообщения; после устранения причины нажмите «Повторить»."}
}

// Prerequisite names what an item refused with code waits for in GIS
// (PrereqAccount, PrereqPremises), or "" when the refusal is not about a
// missing prerequisite: a meter or document GIS cannot tie to its account
// (INT002000), an account or meter in a premises GIS does not hold (INT002034).
func Prerequisite(code, objectKind string) string {
	switch {
	case code == "INT002000" && (objectKind == "meter" || objectKind == "document"):
		return PrereqAccount
	case code == "INT002034" && (objectKind == "account" || objectKind == "meter"):
		return PrereqPremises
	}
	return ""
}

// PrerequisiteCodes lists the codes Prerequisite may answer for, with the
// object kinds, as the store's hold step takes them.
func PrerequisiteCodes() (codes, kinds, waits []string) {
	for _, c := range []struct{ code, kind string }{
		{"INT002000", "meter"}, {"INT002000", "document"}, {"INT002034", "account"}, {"INT002034", "meter"},
	} {
		codes, kinds, waits = append(codes, c.code), append(kinds, c.kind), append(waits, Prerequisite(c.code, c.kind))
	}
	return codes, kinds, waits
}
