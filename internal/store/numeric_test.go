package store_test

import (
	"context"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestDecimalRoundTrip sends Decimals through COPY (the fast binary encoder)
// and as query parameters, and reads back PostgreSQL's own text rendering.
func TestDecimalRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	cases := []struct {
		d    model.Decimal
		want string
	}{
		{model.Decimal{Units: 0, Scale: 0}, "0"}, {model.Decimal{Units: 0, Scale: 4}, "0.0000"}, {model.Decimal{Units: 1, Scale: 0}, "1"},
		{model.Decimal{Units: 12345, Scale: 2}, "123.45"}, {model.Decimal{Units: -12345, Scale: 2}, "-123.45"}, {model.Decimal{Units: 5, Scale: 3}, "0.005"},
		{model.Decimal{Units: 24506500, Scale: 4}, "2450.6500"}, {model.Decimal{Units: 18600, Scale: 6}, "0.018600"}, {model.Decimal{Units: 1, Scale: 6}, "0.000001"},
		{model.Decimal{Units: 90000000, Scale: 6}, "90.000000"}, {model.Decimal{Units: 100000000, Scale: 0}, "100000000"},
		{model.Decimal{Units: 123456789012, Scale: 3}, "123456789.012"}, {model.Decimal{Units: 10000, Scale: 4}, "1.0000"},
		{model.Decimal{Units: math.MaxInt64 / 100, Scale: 2}, "922337203685477.58"}, // beyond the fast path: falls back to math/big
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE dec_test (i int, v numeric)`); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, len(cases))
	for i, c := range cases {
		rows[i] = []any{i, c.d}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"dec_test"}, []string{"i", "v"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		var got, viaParam string
		if err := pool.QueryRow(ctx, `SELECT v::text, $2::numeric::text FROM dec_test WHERE i = $1`, i, c.d).Scan(&got, &viaParam); err != nil {
			t.Fatal(err)
		}
		if got != c.want || viaParam != c.want {
			t.Errorf("%+v: COPY gave %q, parameter gave %q, want %q", c.d, got, viaParam, c.want)
		}
		if s := c.d.String(); s != c.want {
			t.Errorf("%+v.String() = %q, want %q", c.d, s, c.want)
		}
	}
}
