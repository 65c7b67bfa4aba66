package store

import (
	"context"
	"encoding/binary"
	"math"
	"math/big"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// numericCodec is pgx's numeric codec with a fast binary encoder for
// Decimal: plain integer arithmetic instead of math/big, which dominated the
// client's CPU in bulk loads of tariffs, volumes and readings.
type numericCodec struct{ pgtype.NumericCodec }

func (c numericCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	if d, ok := value.(model.Decimal); ok {
		if format == pgtype.BinaryFormatCode {
			return decimalPlan{}
		}
		return textDecimalPlan{next: c.NumericCodec.PlanEncode(m, oid, format, numeric(d))}
	}
	return c.NumericCodec.PlanEncode(m, oid, format, value)
}

// numeric converts d for pgx's stock numeric codec.
func numeric(d model.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(d.Units), Exp: -d.Scale, Valid: true}
}

// textDecimalPlan encodes a Decimal in the text format through the stock codec.
type textDecimalPlan struct{ next pgtype.EncodePlan }

func (p textDecimalPlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode(numeric(value.(model.Decimal)), buf)
}

type decimalPlan struct{}

func (decimalPlan) Encode(value any, buf []byte) ([]byte, error) {
	return appendNumericBinary(buf, value.(model.Decimal))
}

// appendNumericBinary writes d in PostgreSQL's binary numeric format:
// ndigits, weight, sign, dscale, then base-10000 digits, most significant first.
func appendNumericBinary(buf []byte, d model.Decimal) ([]byte, error) {
	u, scale := d.Units, d.Scale
	if scale < 0 || u == math.MinInt64 || u > math.MaxInt64/1000 || u < -math.MaxInt64/1000 {
		return pgtype.NumericCodec{}.PlanEncode(nil, pgtype.NumericOID, pgtype.BinaryFormatCode, numeric(d)).Encode(numeric(d), buf)
	}
	var sign uint16
	if u < 0 {
		sign, u = 0x4000, -u
	}
	// Align the decimal point to a base-10000 digit boundary.
	pad := (4 - scale%4) % 4
	for range pad {
		u *= 10
	}
	frac := int((scale + pad) / 4)
	var digits [6]uint16
	n := 0
	for ; u > 0; n++ {
		digits[n] = uint16(u % 10000)
		u /= 10000
	}
	weight := n - frac - 1
	if n == 0 {
		weight = 0
	}
	buf = binary.BigEndian.AppendUint16(buf, uint16(n))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for i := n - 1; i >= 0; i-- {
		buf = binary.BigEndian.AppendUint16(buf, digits[i])
	}
	return buf, nil
}

// ConfigurePool installs zhkhgate's type handling on every new connection.
func ConfigurePool(cfg *pgxpool.Config) {
	prev := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "numeric", OID: pgtype.NumericOID, Codec: numericCodec{}})
		if prev != nil {
			return prev(ctx, conn)
		}
		return nil
	}
}

// NewPool opens a pool configured like Open's, without the reachability
// check; for tests and tools that already know the server is up.
func NewPool(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, err
	}
	ConfigurePool(cfg)
	return pgxpool.NewWithConfig(ctx, cfg)
}
