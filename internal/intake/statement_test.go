package intake

import (
	"context"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// dedupStatement is a day's statement of a settlement center's account:
// the bank's transfer for a registry and two residents' own payments.
const dedupStatement = "1CClientBankExchange\r\nВерсияФормата=1.03\r\nКодировка=Windows\r\nОтправитель=ПАО ТЕСТБАНК\r\n" +
	"ДатаНачала=16.03.2025\r\nДатаКонца=16.03.2025\r\nРасчСчет=40702810600000012345\r\n" +
	"СекцияДокумент=Платежное поручение\r\nНомер=551234\r\nДата=16.03.2025\r\nСумма=8363.00\r\nПлательщикСчет=30233810000000000001\r\n" +
	"Плательщик1=ПАО СБЕРБАНК\r\nПолучательСчет=40702810600000012345\r\nНазначениеПлатежа=Перечисление по реестру EPS\r\nКонецДокумента\r\n" +
	"СекцияДокумент=Платежное поручение\r\nНомер=77\r\nДата=16.03.2025\r\nСумма=100.00\r\nПлательщикСчет=40817810000000000001\r\n" +
	"Плательщик1=Иванов Иван Иванович\r\nПолучательСчет=40702810600000012345\r\nНазначениеПлатежа=ЛС 1002003004\r\nКонецДокумента\r\n" +
	"СекцияДокумент=Платежное поручение\r\nНомер=78\r\nДата=16.03.2025\r\nСумма=250.50\r\nПлательщикСчет=40817810000000000002\r\n" +
	"Плательщик1=Петрова Анна Сергеевна\r\nПолучательСчет=40702810600000012345\r\nНазначениеПлатежа=ЛС 1002003005\r\nКонецДокумента\r\nКонецФайла\r\n"

// TestStatementDeduplicatedByContent: the same statement again in another
// encoding or with other line ends is the same money — it adds nothing,
// and the reconciliation lists each payment once; a later statement
// repeating one document and bringing a new one adds only the new one.
func TestStatementDeduplicatedByContent(t *testing.T) {
	e := newRegistryEnv(t)
	ctx := context.Background()
	unmatched := func() int {
		t.Helper()
		rep, err := store.LoadReconciliation(ctx, e.pool, 0)
		if err != nil {
			t.Fatal(err)
		}
		return len(rep.Unmatched)
	}
	first, err := e.intake.ImportStatement(ctx, strings.NewReader(string(cp1251(t, dedupStatement))), "vypiska.txt")
	if err != nil || first.Duplicate || first.Incoming != 3 {
		t.Fatalf("first import = %+v, %v", first, err)
	}
	variants := map[string]string{
		"utf-8, CRLF": dedupStatement,
		"utf-8, LF":   strings.ReplaceAll(dedupStatement, "\r\n", "\n"),
		"cp1251, LF":  string(cp1251(t, strings.ReplaceAll(dedupStatement, "\r\n", "\n"))),
	}
	for name, data := range variants {
		res, err := e.intake.ImportStatement(ctx, strings.NewReader(data), "vypiska-copy.txt")
		if err != nil || !res.Duplicate {
			t.Errorf("%s: %+v, %v; want a duplicate", name, res, err)
		}
	}
	if n := unmatched(); n != 3 {
		t.Errorf("money without a registry: %d documents, want 3", n)
	}
	// The next day's statement repeats payment 78 (the bank re-sent it)
	// and brings payment 79.
	next := strings.Replace(dedupStatement[:strings.Index(dedupStatement, "СекцияДокумент")], "16.03.2025", "17.03.2025", 2) +
		dedupStatement[strings.LastIndex(dedupStatement, "СекцияДокумент"):]
	next = strings.Replace(next, "КонецФайла\r\n", "СекцияДокумент=Платежное поручение\r\nНомер=79\r\nДата=17.03.2025\r\nСумма=300.00\r\n"+
		"ПлательщикСчет=40817810000000000003\r\nПлательщик1=Сидоров П.К.\r\nПолучательСчет=40702810600000012345\r\nКонецДокумента\r\nКонецФайла\r\n", 1)
	res, err := e.intake.ImportStatement(ctx, strings.NewReader(string(cp1251(t, next))), "vypiska-17.txt")
	if err != nil || res.Duplicate || res.Documents != 2 || res.Duplicates != 1 {
		t.Errorf("next day = %+v, %v", res, err)
	}
	if n := unmatched(); n != 4 {
		t.Errorf("money without a registry after the next day: %d documents, want 4", n)
	}
}
