package bank

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// GenerateOptions describe a synthetic Sberbank ЖКУ registry (13 fields,
// cp1251, CRLF, totals line) for demos and benchmarks.
type GenerateOptions struct {
	Lines    int       // payment lines
	Accounts []string  // account numbers paid, chosen at random
	Date     time.Time // payment date; the order date is the next day
	Seed     uint64
	// FirstOperation is the first operation id; ids then count up, so two
	// generated files with different ranges never repeat an operation.
	FirstOperation int64
	OrderNumber    string
}

var generatedPayers = []string{"ИВАНОВ ИВАН ИВАНОВИЧ", "ПЕТРОВА АННА СЕРГЕЕВНА", "СИДОРОВ П.К.", "КУЗНЕЦОВА ОЛЬГА ПАВЛОВНА", "СМИРНОВ А.А."}

// GeneratedRow is one synthetic payment.
type GeneratedRow struct {
	PaidAt      time.Time // civil time of the payment (UTC clock reading)
	Cashier     int
	OperationID int64
	Account     string
	Payer       string
	House, Flat int
	Period      time.Time
	Amount      int64
	Transfer    int64
	Commission  int64
	Channel     int
}

// Generator yields the rows of a synthetic registry, deterministically.
type Generator struct {
	o   GenerateOptions
	rng *rand.Rand
	i   int
	tot Totals
}

// NewGenerator checks the options and starts a generator.
func NewGenerator(o GenerateOptions) (*Generator, error) {
	if o.Lines < 1 || len(o.Accounts) == 0 {
		return nil, errors.New("generate registry: need lines and accounts")
	}
	if o.OrderNumber == "" {
		o.OrderNumber = "551234"
	}
	day := time.Date(o.Date.Year(), o.Date.Month(), o.Date.Day(), 0, 0, 0, 0, time.UTC)
	o.Date = day
	return &Generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x7a686b)),
		tot: Totals{OrderNumber: o.OrderNumber, OrderDate: day.AddDate(0, 0, 1), HasAmount: true, HasTransfer: true, HasCommission: true}}, nil
}

// Next returns the next row, or false after the last.
func (g *Generator) Next() (GeneratedRow, bool) {
	if g.i >= g.o.Lines {
		return GeneratedRow{}, false
	}
	i := g.i
	g.i++
	amount := 10000 + g.rng.Int64N(900000)
	commission := amount / 100
	r := GeneratedRow{
		PaidAt:      g.o.Date.Add(time.Duration(8+i%12)*time.Hour + time.Duration(i%60)*time.Minute + time.Duration((i/60)%60)*time.Second),
		Cashier:     860900000 + g.rng.IntN(1000),
		OperationID: g.o.FirstOperation + int64(i),
		Account:     g.o.Accounts[g.rng.IntN(len(g.o.Accounts))],
		Payer:       generatedPayers[i%len(generatedPayers)],
		House:       1 + i%40, Flat: 1 + i%120,
		Period: time.Date(g.o.Date.Year(), g.o.Date.Month()-1, 1, 0, 0, 0, 0, time.UTC),
		Amount: amount, Transfer: amount - commission, Commission: commission,
		Channel: 1 + i%6,
	}
	g.tot.Count++
	g.tot.Amount += r.Amount
	g.tot.Transfer += r.Transfer
	g.tot.Commission += r.Commission
	return r, true
}

// Totals returns the totals of the rows generated so far.
func (g *Generator) Totals() Totals { return g.tot }

// GenerateSber writes the registry to w and returns its totals.
func GenerateSber(w io.Writer, o GenerateOptions) (Totals, error) {
	g, err := NewGenerator(o)
	if err != nil {
		return Totals{}, err
	}
	enc := transform.NewWriter(w, charmap.Windows1251.NewEncoder())
	bw := bufio.NewWriterSize(enc, 256<<10)
	var b []byte
	for {
		r, ok := g.Next()
		if !ok {
			break
		}
		b = b[:0]
		b = r.PaidAt.AppendFormat(b, "02-01-2006;15-04-05")
		b = fmt.Appendf(b, ";8609;%d;%d;%s;%s;г. Тестоград, ул. Примерная, д. %d, кв. %d;%s;%s;%s;%s;%d\r\n",
			r.Cashier, r.OperationID, r.Account, r.Payer, r.House, r.Flat, r.Period.Format("0106"),
			FormatAmount(r.Amount), FormatAmount(r.Transfer), FormatAmount(r.Commission), r.Channel)
		if _, err := bw.Write(b); err != nil {
			return g.tot, fmt.Errorf("generate registry: %w", err)
		}
	}
	tot := g.tot
	_, err = fmt.Fprintf(bw, "=%s;%s;%s;%s;%s;%s\r\n", strconv.FormatInt(tot.Count, 10), FormatAmount(tot.Amount),
		FormatAmount(tot.Transfer), FormatAmount(tot.Commission), tot.OrderNumber, tot.OrderDate.Format("02-01-2006"))
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = enc.Close()
	}
	if err != nil {
		return tot, fmt.Errorf("generate registry: %w", err)
	}
	return tot, nil
}
