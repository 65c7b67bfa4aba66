package demo

import (
	"fmt"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/model"
)

// accountFacts are the unchanging facts of one demo account.
type accountFacts struct {
	area           model.Decimal // m², scale 2
	rooms          int
	residents      int
	payer          string
	opened         time.Time
	meterInstalled time.Time
	benefit        bool // a veteran's 50% benefit on heating
}

func (g *generator) account(a int) accountFacts {
	r := g.rng("account", a)
	area := int64(2800 + r.IntN(6700))
	f := accountFacts{
		area:      model.Decimal{Units: area, Scale: 2},
		rooms:     1 + int(area-2800)/2000,
		residents: 1 + r.IntN(5),
		opened:    time.Date(2012+r.IntN(12), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC),
		benefit:   r.IntN(20) == 0,
	}
	f.meterInstalled = f.opened.AddDate(0, 0, 10+r.IntN(300))
	surname := maleSurnames[r.IntN(len(maleSurnames))]
	root := patronymicRoots[r.IntN(len(patronymicRoots))]
	if r.IntN(2) == 0 {
		f.payer = fmt.Sprintf("%s %s %sич", surname, maleNames[r.IntN(len(maleNames))], root)
		if root == "Александр" {
			f.payer = fmt.Sprintf("%s %s Александрович", surname, maleNames[r.IntN(len(maleNames))])
		}
	} else {
		f.payer = fmt.Sprintf("%sа %s %sна", surname, femaleNames[r.IntN(len(femaleNames))], root)
		if root == "Александр" {
			f.payer = fmt.Sprintf("%sа %s Александровна", surname, femaleNames[r.IntN(len(femaleNames))])
		}
	}
	return f
}

// history is one account's simulated months: meter readings (scale 3),
// charges, payments and payment documents.
type history struct {
	start     [3]int64
	reading   [][3]int64
	charges   [][]model.Charge
	payments  []model.Payment
	documents []model.PaymentDocument
}

// amount converts rate (scale 4) × volume (scale 6) to kopecks, rounding half up.
func amount(rate, volume int64) int64 {
	const div = 100_000_000 // 10^(4+6) rubles → kopecks is 10^-2
	p := rate * volume
	return (p + div/2) / div
}

func (g *generator) history(a int) history {
	f := g.account(a)
	r := g.rng("history", a)
	n := len(g.periods)
	h := history{reading: make([][3]int64, n), charges: make([][]model.Charge, n)}
	h.start = [3]int64{int64(r.IntN(500_000)), int64(r.IntN(300_000)), int64(r.IntN(20_000_000))}
	cur := h.start
	areaVol := f.area.Units * 10_000 // scale 2 → 6

	var balance int64
	switch x := r.IntN(10); {
	case x < 2:
		balance = int64(100_00 + r.IntN(15000_00)) // an old debt
	case x == 2:
		balance = -int64(100_00 + r.IntN(2000_00)) // an advance
	}
	var lastDue int64 = balance
	for i, p := range g.periods {
		// Consumption this month, per resident for water, per flat for electricity (scale 3).
		cold := int64(f.residents) * int64(1_500+r.IntN(2_000))
		hot := int64(f.residents) * int64(900+r.IntN(1_400))
		elec := int64(60_000 + r.IntN(90_000) + f.residents*20_000)
		cur[0] += cold
		cur[1] += hot
		cur[2] += elec
		h.reading[i] = cur

		volumes := []int64{
			areaVol,                                 // maintenance, per m²
			cold * 1000,                             // cold water, m³
			hot * 1000,                              // hot water, m³
			(cold + hot) * 1000,                     // wastewater, m³
			areaVol * serviceDefs[4].norm / 1000000, // heating, Gcal by area norm
			elec * 1000,                             // electricity, kWh
			int64(f.residents) * 1_000_000,          // solid waste, per resident
			areaVol,                                 // capital repair, per m²
			1_000_000,                               // intercom, per flat
		}
		row := make([]model.Charge, len(serviceDefs))
		var charged int64
		for s, def := range serviceDefs {
			rate := g.rateAt(s, p)
			c := model.Charge{Tariff: model.Decimal{Units: rate, Scale: 4}, Volume: model.Decimal{Units: volumes[s], Scale: 6},
				Amount: amount(rate, volumes[s])}
			if def.norm > 0 {
				c.Norm = &model.Decimal{Units: def.norm, Scale: 6}
			}
			if s == 4 && f.benefit {
				c.Benefit = c.Amount / 2
			}
			if s == 2 && r.IntN(50) == 0 {
				c.Recalculation = -c.Amount / 10 // hot water below standard temperature
			}
			row[s] = c
			charged += c.Amount + c.Recalculation - c.Benefit
		}
		h.charges[i] = row

		// This month the payer settles last month's bill, mostly in full.
		var paid int64
		if lastDue > 0 {
			switch x := r.IntN(20); {
			case x < 17:
				paid = lastDue
			case x == 17:
				paid = lastDue / 2
			}
		}
		if paid > 0 {
			day := 5 + r.IntN(20)
			opDate := p.AddDate(0, 0, day-1)
			var forPeriod *time.Time
			if i > 0 {
				fp := g.periods[i-1]
				forPeriod = &fp
			}
			h.payments = append(h.payments, model.Payment{
				Source: "sberbank", OperationID: fmt.Sprintf("%d%04d", 1_000_000_000+a, i), OperationDate: opDate,
				PaidAt: opDate.Add(time.Duration(8*3600+r.IntN(12*3600)) * time.Second), Period: forPeriod,
				Amount: paid, Commission: (paid + 50) / 100,
			})
		}
		var penalties int64
		if balance-paid > 3*charged {
			penalties = (balance - paid) / 300 // a month of 1/300 refinancing-rate penalties, roughly
		}
		due := balance + charged + penalties - paid
		h.documents = append(h.documents, model.PaymentDocument{
			Period: p, Number: fmt.Sprintf("%s-%s", AccountNumber(a), p.Format("200601")),
			OpeningBalance: balance, Paid: paid, Charged: charged, Penalties: penalties, TotalDue: due, State: "ready",
		})
		balance, lastDue = due, due
	}
	return h
}
