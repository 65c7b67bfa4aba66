package cabinet

import (
	"fmt"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// parseRubles reads a sum as residents type it: "1 234,56", "1234.56", "1234" → kopecks.
func parseRubles(s string) (int64, error) {
	s = strings.NewReplacer(" ", "", "\u00a0", "", "₽", "", "руб.", "", "руб", "").Replace(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, ",", ".")
	bad := apperr.Invalidf("sum", "Сумма указана неверно: например 1234,56.")
	rub, kop, hasKop := strings.Cut(s, ".")
	if rub == "" || len(rub) > 12 || (hasKop && (len(kop) == 0 || len(kop) > 2)) {
		return 0, bad
	}
	if len(kop) == 1 {
		kop += "0"
	}
	var n int64
	for _, c := range rub + kop {
		if c < '0' || c > '9' {
			return 0, bad
		}
		n = n*10 + int64(c-'0')
	}
	if !hasKop {
		n *= 100
	}
	return n, nil
}

var months = [...]string{"январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"}

func formatPeriod(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return fmt.Sprintf("%s %d", months[t.Month()-1], t.Year())
}

func formatDate(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.Format("02.01.2006")
}

var resources = map[string]string{
	"cold_water": "Холодная вода", "hot_water": "Горячая вода", "electricity": "Электроэнергия",
	"heat": "Отопление", "gas": "Газ", "wastewater": "Водоотведение",
}

func resourceName(s string) string {
	if n, ok := resources[s]; ok {
		return n
	}
	return s
}
