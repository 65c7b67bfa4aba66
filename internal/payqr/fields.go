package payqr

// Payment is one payment order of the QR code. JSON names are the standard's
// keys, so a JSON object and a payload name each requisite the same way.
// Money is in kopecks; zero means the requisite is absent (a payer's app then
// asks for the amount).
type Payment struct {
	// The five mandatory requisites, always first and in this order.
	Name        string `json:"Name"`        // payee's name, ≤160
	PersonalAcc string `json:"PersonalAcc"` // payee's account, 20 digits
	BankName    string `json:"BankName"`    // payee's bank, ≤45
	BIC         string `json:"BIC"`         // bank's BIC, 9 digits
	CorrespAcc  string `json:"CorrespAcc"`  // bank's correspondent account, 20 digits

	// Additional requisites (the standard's table gives their lengths).
	PayeeINN     string `json:"PayeeINN,omitempty"`     // 10 or 12 digits
	KPP          string `json:"KPP,omitempty"`          // 9 characters
	Sum          int64  `json:"Sum,omitempty"`          // kopecks, ≤18 digits
	Purpose      string `json:"Purpose,omitempty"`      // ≤210
	PayerINN     string `json:"PayerINN,omitempty"`     // 10 or 12 digits
	DrawerStatus string `json:"DrawerStatus,omitempty"` // ≤2
	CBC          string `json:"CBC,omitempty"`          // КБК, ≤20
	OKTMO        string `json:"OKTMO,omitempty"`        // ≤11
	PaytReason   string `json:"PaytReason,omitempty"`   // ≤2
	TaxPeriod    string `json:"TaxPeriod,omitempty"`    // ≤10
	DocNo        string `json:"DocNo,omitempty"`        // ≤15
	DocDate      string `json:"DocDate,omitempty"`      // ≤10
	TaxPaytKind  string `json:"TaxPaytKind,omitempty"`  // ≤2

	// Other requisites; those of housing bills first.
	PersAcc         string `json:"PersAcc,omitempty"`    // the payer's personal account (ЛС)
	PaymPeriod      string `json:"PaymPeriod,omitempty"` // billing month, MMYYYY
	LastName        string `json:"LastName,omitempty"`
	FirstName       string `json:"FirstName,omitempty"`
	MiddleName      string `json:"MiddleName,omitempty"`
	PayerAddress    string `json:"PayerAddress,omitempty"`
	Flat            string `json:"Flat,omitempty"`
	Phone           string `json:"Phone,omitempty"`
	Category        string `json:"Category,omitempty"`    // kind of payment
	ServiceName     string `json:"ServiceName,omitempty"` // service code or meter name
	CounterID       string `json:"CounterId,omitempty"`   // one meter per code
	CounterVal      string `json:"CounterVal,omitempty"`
	QuittID         string `json:"QuittId,omitempty"` // number of the bill
	QuittDate       string `json:"QuittDate,omitempty"`
	PaymTerm        string `json:"PaymTerm,omitempty"`
	AddAmount       int64  `json:"AddAmount,omitempty"` // kopecks: insurance, extra service or penalties
	PersonalAccount string `json:"PersonalAccount,omitempty"`
	DocIdx          string `json:"DocIdx,omitempty"`
	PensAcc         string `json:"PensAcc,omitempty"`
	Contract        string `json:"Contract,omitempty"`
	PayerIDType     string `json:"PayerIdType,omitempty"`
	PayerIDNum      string `json:"PayerIdNum,omitempty"`
	ChildFio        string `json:"ChildFio,omitempty"`
	BirthDate       string `json:"BirthDate,omitempty"`
	InstNum         string `json:"InstNum,omitempty"`
	ClassNum        string `json:"ClassNum,omitempty"`
	SpecFio         string `json:"SpecFio,omitempty"`
	RuleID          string `json:"RuleId,omitempty"`
	ExecID          string `json:"ExecId,omitempty"`
	RegType         string `json:"RegType,omitempty"`
	UIN             string `json:"UIN,omitempty"`
	TechCode        string `json:"TechCode,omitempty"` // 01…15; 02 is housing and utilities
}

// TechCodeHousing is the technical code of housing and utility payments.
const TechCodeHousing = "02"

// kind says how a requisite's value is checked.
type kind uint8

const (
	kindText   kind = iota // free text up to max characters
	kindDigits             // digits, of one of lens lengths (or up to max)
	kindAmount             // kopecks, up to 18 digits
	kindPeriod             // MMYYYY
	kindKPP                // 9 characters: digits, positions 5–6 may be A–Z
	kindTech               // two digits 01…15
)

// field describes one requisite: its key, its check, and where it lives in Payment.
type field struct {
	key       string
	kind      kind
	max       int   // most characters (text) or digits; 0 = only the payload limit
	lens      []int // allowed exact lengths of digit strings
	mandatory bool
	str       func(*Payment) *string
	num       func(*Payment) *int64
}

// fields is the table of requisites in the order the writer emits them: the
// mandatory block, then the recipient's tax details and the amount, then the
// housing-bill requisites, then the rest. It is read-only.
var fields = []field{
	{key: "Name", max: 160, mandatory: true, str: func(p *Payment) *string { return &p.Name }},
	{key: "PersonalAcc", kind: kindDigits, lens: []int{20}, mandatory: true, str: func(p *Payment) *string { return &p.PersonalAcc }},
	{key: "BankName", max: 45, mandatory: true, str: func(p *Payment) *string { return &p.BankName }},
	{key: "BIC", kind: kindDigits, lens: []int{9}, mandatory: true, str: func(p *Payment) *string { return &p.BIC }},
	{key: "CorrespAcc", kind: kindDigits, lens: []int{20}, mandatory: true, str: func(p *Payment) *string { return &p.CorrespAcc }},
	{key: "PayeeINN", kind: kindDigits, lens: []int{10, 12}, str: func(p *Payment) *string { return &p.PayeeINN }},
	{key: "KPP", kind: kindKPP, str: func(p *Payment) *string { return &p.KPP }},
	{key: "Sum", kind: kindAmount, num: func(p *Payment) *int64 { return &p.Sum }},
	{key: "Purpose", max: 210, str: func(p *Payment) *string { return &p.Purpose }},
	{key: "PayerINN", kind: kindDigits, lens: []int{10, 12}, str: func(p *Payment) *string { return &p.PayerINN }},
	{key: "DrawerStatus", max: 2, str: func(p *Payment) *string { return &p.DrawerStatus }},
	{key: "CBC", max: 20, str: func(p *Payment) *string { return &p.CBC }},
	{key: "OKTMO", max: 11, str: func(p *Payment) *string { return &p.OKTMO }},
	{key: "PaytReason", max: 2, str: func(p *Payment) *string { return &p.PaytReason }},
	{key: "TaxPeriod", max: 10, str: func(p *Payment) *string { return &p.TaxPeriod }},
	{key: "DocNo", max: 15, str: func(p *Payment) *string { return &p.DocNo }},
	{key: "DocDate", max: 10, str: func(p *Payment) *string { return &p.DocDate }},
	{key: "TaxPaytKind", max: 2, str: func(p *Payment) *string { return &p.TaxPaytKind }},
	{key: "PersAcc", str: func(p *Payment) *string { return &p.PersAcc }},
	{key: "PaymPeriod", kind: kindPeriod, str: func(p *Payment) *string { return &p.PaymPeriod }},
	{key: "LastName", str: func(p *Payment) *string { return &p.LastName }},
	{key: "FirstName", str: func(p *Payment) *string { return &p.FirstName }},
	{key: "MiddleName", str: func(p *Payment) *string { return &p.MiddleName }},
	{key: "PayerAddress", str: func(p *Payment) *string { return &p.PayerAddress }},
	{key: "Flat", str: func(p *Payment) *string { return &p.Flat }},
	{key: "Phone", str: func(p *Payment) *string { return &p.Phone }},
	{key: "Category", str: func(p *Payment) *string { return &p.Category }},
	{key: "ServiceName", str: func(p *Payment) *string { return &p.ServiceName }},
	{key: "CounterId", str: func(p *Payment) *string { return &p.CounterID }},
	{key: "CounterVal", str: func(p *Payment) *string { return &p.CounterVal }},
	{key: "QuittId", str: func(p *Payment) *string { return &p.QuittID }},
	{key: "QuittDate", str: func(p *Payment) *string { return &p.QuittDate }},
	{key: "PaymTerm", str: func(p *Payment) *string { return &p.PaymTerm }},
	{key: "AddAmount", kind: kindAmount, num: func(p *Payment) *int64 { return &p.AddAmount }},
	{key: "PersonalAccount", str: func(p *Payment) *string { return &p.PersonalAccount }},
	{key: "DocIdx", str: func(p *Payment) *string { return &p.DocIdx }},
	{key: "PensAcc", str: func(p *Payment) *string { return &p.PensAcc }},
	{key: "Contract", str: func(p *Payment) *string { return &p.Contract }},
	{key: "PayerIdType", str: func(p *Payment) *string { return &p.PayerIDType }},
	{key: "PayerIdNum", str: func(p *Payment) *string { return &p.PayerIDNum }},
	{key: "ChildFio", str: func(p *Payment) *string { return &p.ChildFio }},
	{key: "BirthDate", str: func(p *Payment) *string { return &p.BirthDate }},
	{key: "InstNum", str: func(p *Payment) *string { return &p.InstNum }},
	{key: "ClassNum", str: func(p *Payment) *string { return &p.ClassNum }},
	{key: "SpecFio", str: func(p *Payment) *string { return &p.SpecFio }},
	{key: "RuleId", str: func(p *Payment) *string { return &p.RuleID }},
	{key: "ExecId", str: func(p *Payment) *string { return &p.ExecID }},
	{key: "RegType", str: func(p *Payment) *string { return &p.RegType }},
	{key: "UIN", str: func(p *Payment) *string { return &p.UIN }},
	{key: "TechCode", kind: kindTech, str: func(p *Payment) *string { return &p.TechCode }},
}

// misspelled maps key spellings seen in the wild (OCR errors of the
// standard's PDF: a lower-case l for I; a Cyrillic СВС) to the standard's key.
// Keys are lower-cased.
var misspelled = map[string]string{
	"counterld":   "CounterId",
	"quittld":     "QuittId",
	"docldx":      "DocIdx",
	"payerldtype": "PayerIdType",
	"payerldnum":  "PayerIdNum",
	"ruleld":      "RuleId",
	"execld":      "ExecId",
	"taxpaykind":  "TaxPaytKind",
	"свс":         "CBC",
}

// Keys returns the standard's keys in the order the writer emits them.
func Keys() []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}
