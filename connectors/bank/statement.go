package bank

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Statement is a bank statement in the 1CClientBankExchange format
// (versions 1.02 and 1.03), the de-facto export of Russian client-bank
// systems. Reconciliation uses its incoming payment orders.
type Statement struct {
	File     string   `json:"file"`
	Version  string   `json:"version"`
	Encoding Encoding `json:"encoding"`
	// Declared is the Кодировка header (Windows or DOS).
	Declared  string           `json:"declared_encoding,omitempty"`
	Sender    string           `json:"sender,omitempty"`
	Receiver  string           `json:"receiver,omitempty"`
	Created   time.Time        `json:"created,omitzero"`
	From      time.Time        `json:"from,omitzero"`
	To        time.Time        `json:"to,omitzero"`
	Accounts  []string         `json:"accounts,omitempty"`
	Balances  []AccountBalance `json:"balances,omitempty"`
	Documents []Document       `json:"documents"`
	Warnings  []FileProblem    `json:"warnings,omitempty"`
}

// AccountBalance is one СекцияРасчСчет block.
type AccountBalance struct {
	Line     int       `json:"line"`
	Account  string    `json:"account"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	Opening  int64     `json:"opening"`
	Incoming int64     `json:"incoming"`
	Outgoing int64     `json:"outgoing"`
	Closing  int64     `json:"closing"`
}

// Document is one СекцияДокумент: a payment order and the like.
type Document struct {
	Line         int       `json:"line"`
	Kind         string    `json:"kind"`
	Number       string    `json:"number"`
	Date         time.Time `json:"date"`
	Amount       int64     `json:"amount"` // kopecks
	PayerAccount string    `json:"payer_account,omitempty"`
	PayerINN     string    `json:"payer_inn,omitempty"`
	PayerName    string    `json:"payer_name,omitempty"`
	PayerBIC     string    `json:"payer_bic,omitempty"`
	PayeeAccount string    `json:"payee_account,omitempty"`
	PayeeINN     string    `json:"payee_inn,omitempty"`
	PayeeName    string    `json:"payee_name,omitempty"`
	PayeeBIC     string    `json:"payee_bic,omitempty"`
	Received     time.Time `json:"received,omitzero"` // ДатаПоступило
	Debited      time.Time `json:"debited,omitzero"`  // ДатаСписано
	Purpose      string    `json:"purpose,omitempty"`
	// Fields holds every key of the section as read, for display.
	Fields map[string]string `json:"-"`
}

// Incoming reports whether the document credits one of the accounts.
func (d *Document) Incoming(accounts []string) bool {
	for _, a := range accounts {
		if d.PayeeAccount == a {
			return true
		}
	}
	return false
}

const (
	statementMagic   = "1CClientBankExchange"
	maxStatementDocs = 200_000
	statementLineMax = 64 << 10
)

var statementDate = mustLayout("DD.MM.YYYY")

// ParseStatement reads a 1CClientBankExchange statement. Any structural or
// value error rejects it as a whole (a *RejectedError listing every
// problem with its line); a statement is small, so it is read in full.
func ParseStatement(src io.Reader, name string) (*Statement, error) {
	br := bufio.NewReaderSize(src, statementLineMax+1)
	st := &Statement{File: name, Documents: []Document{}}
	var problems []FileProblem
	bad := func(line int, field, f string, a ...any) {
		if len(problems) < 100 {
			problems = append(problems, FileProblem{Line: line, Field: field, Reason: fmt.Sprintf(f, a...)})
		}
	}
	sample, _ := br.Peek(sampleSize)
	if len(sample) == 0 {
		return nil, &RejectedError{File: name, Problems: []FileProblem{{Reason: "the file is empty"}}}
	}
	if i := bytes.IndexByte(sample, 0); i >= 0 {
		return nil, &RejectedError{File: name, Problems: []FileProblem{{Reason: fmt.Sprintf("binary content: NUL byte at offset %d", i)}}}
	}
	det := DetectEncoding(sample, CP1251)
	st.Encoding = det.Encoding
	if det.BOM {
		_, _ = br.Discard(len(utf8BOM))
	}
	dec := newDecoder(det.Encoding)

	const (
		inHeader = iota
		inAccount
		inDocument
		atEnd
	)
	state := inHeader
	var (
		doc  *Document
		bal  *AccountBalance
		line int
	)
	date := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := statementDate.Parse(v)
		if err != nil {
			bad(line, field, "%q: %v", v, err)
		}
		return t
	}
	money := func(field, v string) int64 {
		neg := strings.HasPrefix(v, "-")
		k, err := ParseAmount(strings.TrimPrefix(v, "-"), AmountSyntax{})
		if err != nil {
			bad(line, field, "%q: %v", v, err)
		}
		if neg {
			k = -k // balances may be negative (overdraft)
		}
		return k
	}
	closeDoc := func() {
		if doc.Number == "" {
			bad(doc.Line, "Номер", "document has no number")
		}
		if doc.Date.IsZero() {
			bad(doc.Line, "Дата", "document has no date")
		}
		if _, ok := doc.Fields["Сумма"]; !ok {
			bad(doc.Line, "Сумма", "document has no amount")
		}
		st.Documents = append(st.Documents, *doc)
		doc = nil
	}
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line++
			bad(line, "", "line longer than %d bytes", statementLineMax)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if len(raw) == 0 && errors.Is(err, io.EOF) {
			break
		}
		line++
		raw = bytes.TrimRight(raw, "\r\n")
		text, why := dec.decode(raw)
		if why != "" {
			bad(line, "", "%s", why)
			if errors.Is(err, io.EOF) {
				break
			}
			continue
		}
		text = strings.TrimSpace(text)
		eof := errors.Is(err, io.EOF)
		if line == 1 {
			if text != statementMagic {
				return nil, &RejectedError{File: name, Problems: []FileProblem{{Line: 1, Reason: fmt.Sprintf("not a 1CClientBankExchange file: first line is %q", clip(text, 40))}}}
			}
			if eof {
				break
			}
			continue
		}
		if text == "" {
			if eof {
				break
			}
			continue
		}
		key, val, hasEq := strings.Cut(text, "=")
		key = strings.TrimSpace(key)
		if state == atEnd {
			bad(line, "", "content after КонецФайла")
			break
		}
		switch {
		case key == "КонецФайла":
			if doc != nil {
				bad(doc.Line, "", "document has no КонецДокумента")
				closeDoc()
			}
			if bal != nil {
				bad(bal.Line, "", "СекцияРасчСчет has no КонецРасчСчет")
			}
			state = atEnd
		case key == "СекцияДокумент":
			if doc != nil {
				bad(doc.Line, "", "document has no КонецДокумента")
				closeDoc()
			}
			if len(st.Documents) >= maxStatementDocs {
				bad(line, "", "more than %d documents", maxStatementDocs)
				return nil, &RejectedError{File: name, Problems: problems}
			}
			doc = &Document{Line: line, Kind: strings.TrimSpace(val), Fields: map[string]string{}}
			state = inDocument
		case key == "КонецДокумента":
			if doc == nil {
				bad(line, "", "КонецДокумента without СекцияДокумент")
			} else {
				closeDoc()
			}
			state = inHeader
		case key == "СекцияРасчСчет":
			bal = &AccountBalance{Line: line}
			state = inAccount
		case key == "КонецРасчСчет":
			if bal == nil {
				bad(line, "", "КонецРасчСчет without СекцияРасчСчет")
			} else {
				if bal.Opening+bal.Incoming-bal.Outgoing != bal.Closing {
					st.Warnings = append(st.Warnings, FileProblem{Line: bal.Line, Field: "КонечныйОстаток",
						Reason: fmt.Sprintf("opening %s + incoming %s − outgoing %s ≠ closing %s", FormatAmount(bal.Opening),
							FormatAmount(bal.Incoming), FormatAmount(bal.Outgoing), FormatAmount(bal.Closing))})
				}
				st.Balances = append(st.Balances, *bal)
				// An account may be named only in its section (the header
				// lists another): it is the statement's all the same.
				if bal.Account != "" && !slices.Contains(st.Accounts, bal.Account) {
					st.Accounts = append(st.Accounts, bal.Account)
				}
				bal = nil
			}
			state = inHeader
		case !hasEq:
			bad(line, "", "expected Key=Value, got %q", clip(text, 40))
		case state == inDocument:
			val = strings.TrimSpace(val)
			doc.Fields[key] = val
			switch key {
			case "Номер":
				doc.Number = val
			case "Дата":
				doc.Date = date(key, val)
			case "Сумма":
				if strings.HasPrefix(val, "-") {
					bad(line, key, "%q: negative document amount", val)
				} else {
					doc.Amount = money(key, val)
				}
			case "ПлательщикСчет":
				doc.PayerAccount = val
			case "ПлательщикРасчСчет":
				if doc.PayerAccount == "" {
					doc.PayerAccount = val
				}
			case "ПлательщикИНН":
				doc.PayerINN = val
			case "Плательщик1":
				doc.PayerName = val
			case "Плательщик":
				if doc.PayerName == "" {
					doc.PayerName = val
				}
			case "ПлательщикБИК":
				doc.PayerBIC = val
			case "ПолучательСчет":
				doc.PayeeAccount = val
			case "ПолучательРасчСчет":
				if doc.PayeeAccount == "" {
					doc.PayeeAccount = val
				}
			case "ПолучательИНН":
				doc.PayeeINN = val
			case "Получатель1":
				doc.PayeeName = val
			case "Получатель":
				if doc.PayeeName == "" {
					doc.PayeeName = val
				}
			case "ПолучательБИК":
				doc.PayeeBIC = val
			case "ДатаПоступило":
				doc.Received = date(key, val)
			case "ДатаСписано":
				doc.Debited = date(key, val)
			case "НазначениеПлатежа":
				doc.Purpose = val
			}
		case state == inAccount:
			val = strings.TrimSpace(val)
			switch key {
			case "РасчСчет":
				bal.Account = val
			case "ДатаНачала":
				bal.From = date(key, val)
			case "ДатаКонца":
				bal.To = date(key, val)
			case "НачальныйОстаток":
				bal.Opening = money(key, val)
			case "ВсегоПоступило":
				bal.Incoming = money(key, val)
			case "ВсегоСписано":
				bal.Outgoing = money(key, val)
			case "КонечныйОстаток":
				bal.Closing = money(key, val)
			}
		default: // file header
			val = strings.TrimSpace(val)
			switch key {
			case "ВерсияФормата":
				st.Version = val
			case "Кодировка":
				st.Declared = val
			case "Отправитель":
				st.Sender = val
			case "Получатель":
				st.Receiver = val
			case "ДатаСоздания":
				st.Created = date(key, val)
			case "ДатаНачала":
				st.From = date(key, val)
			case "ДатаКонца":
				st.To = date(key, val)
			case "РасчСчет":
				st.Accounts = append(st.Accounts, val)
			}
		}
		if eof {
			break
		}
	}
	if line == 0 {
		bad(0, "", "the file is empty")
	}
	if state != atEnd && line > 0 {
		bad(line, "", "no КонецФайла: the statement is truncated")
	}
	switch st.Version {
	case "1.02", "1.03":
	case "":
		bad(0, "ВерсияФормата", "missing")
	default:
		st.Warnings = append(st.Warnings, FileProblem{Field: "ВерсияФормата", Reason: fmt.Sprintf("version %q is not 1.02 or 1.03; read as 1.03", st.Version)})
	}
	if st.Declared != "" {
		want, err := ParseEncoding(st.Declared)
		if err != nil {
			st.Warnings = append(st.Warnings, FileProblem{Field: "Кодировка", Reason: fmt.Sprintf("unknown value %q", st.Declared)})
		} else if want != st.Encoding && !det.ASCII {
			st.Warnings = append(st.Warnings, FileProblem{Field: "Кодировка", Reason: fmt.Sprintf("declares %s, the bytes are %s; read as %s", st.Declared, st.Encoding, st.Encoding)})
		}
	}
	if len(st.Accounts) == 0 && len(st.Documents) > 0 {
		st.Warnings = append(st.Warnings, FileProblem{Field: "РасчСчет", Reason: "the statement names no account of its own (no РасчСчет in the header or a СекцияРасчСчет): no document counts as incoming"})
	}
	if len(problems) > 0 {
		return nil, &RejectedError{File: name, Problems: problems}
	}
	return st, nil
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
