package bank

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// WriteStatement writes st as a 1CClientBankExchange 1.03 statement in
// cp1251 with CRLF, the way client-bank systems export it. It is used to
// make demo statements; values that cp1251 cannot hold are an error.
func WriteStatement(w io.Writer, st *Statement) error {
	enc := transform.NewWriter(w, charmap.Windows1251.NewEncoder())
	bw := bufio.NewWriter(enc)
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("02.01.2006")
	}
	money := func(k int64) string { return fmt.Sprintf("%d.%02d", k/100, k%100) }
	line := func(k, v string) { fmt.Fprintf(bw, "%s=%s\r\n", k, v) }
	bw.WriteString(statementMagic + "\r\n")
	line("ВерсияФормата", "1.03")
	line("Кодировка", "Windows")
	line("Отправитель", st.Sender)
	line("Получатель", st.Receiver)
	line("ДатаСоздания", date(st.Created))
	line("ДатаНачала", date(st.From))
	line("ДатаКонца", date(st.To))
	for _, a := range st.Accounts {
		line("РасчСчет", a)
	}
	for _, b := range st.Balances {
		bw.WriteString("СекцияРасчСчет\r\n")
		line("ДатаНачала", date(b.From))
		line("ДатаКонца", date(b.To))
		line("РасчСчет", b.Account)
		line("НачальныйОстаток", money(b.Opening))
		line("ВсегоПоступило", money(b.Incoming))
		line("ВсегоСписано", money(b.Outgoing))
		line("КонечныйОстаток", money(b.Closing))
		bw.WriteString("КонецРасчСчет\r\n")
	}
	for _, d := range st.Documents {
		line("СекцияДокумент", d.Kind)
		line("Номер", d.Number)
		line("Дата", date(d.Date))
		line("Сумма", money(d.Amount))
		line("ПлательщикСчет", d.PayerAccount)
		line("ПлательщикИНН", d.PayerINN)
		line("Плательщик1", d.PayerName)
		line("ПлательщикБИК", d.PayerBIC)
		line("ПолучательСчет", d.PayeeAccount)
		line("ПолучательИНН", d.PayeeINN)
		line("Получатель1", d.PayeeName)
		line("ПолучательБИК", d.PayeeBIC)
		line("ДатаПоступило", date(d.Received))
		line("НазначениеПлатежа", d.Purpose)
		bw.WriteString("КонецДокумента\r\n")
	}
	bw.WriteString("КонецФайла\r\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write statement: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write statement: %w", err)
	}
	return nil
}
