// Package store is the only home of SQL in zhkhgate: the canonical model of a
// settlement center (organizations, houses, premises, accounts, services,
// charges, payment documents, payments, meters, readings, residents …) in
// PostgreSQL through pgx.
//
// Functions take a DBTX — a pool, a connection or a transaction — so the
// caller owns the transaction: a job can COPY rows, enqueue its follow-up job
// and complete itself in one commit.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// DBTX is what store functions need: a *pgxpool.Pool, *pgx.Conn or pgx.Tx.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Open connects a pool to databaseURL and checks the database answers. The
// error names the host and the cause in one line.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, apperr.Invalidf("open database", "DATABASE_URL is not a valid PostgreSQL connection string: %v", redact(err))
	}
	where := describe(cfg.ConnConfig)
	ConfigurePool(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, "open database at "+where, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, &apperr.Error{Kind: apperr.Unavailable, Op: "open database",
			Message: fmt.Sprintf("cannot reach PostgreSQL at %s: %s", where, cause(err))}
	}
	return pool, nil
}

// describe names where a connection goes: host:port/db or socket dir/db.
func describe(c *pgx.ConnConfig) string {
	host := c.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, fmt.Sprint(c.Port))
	}
	return fmt.Sprintf("%s (database %q, user %q)", host, c.Database, c.User)
}

// cause reduces a connection error to its root: "connection refused",
// "password authentication failed …", "database … does not exist".
func cause(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "host not found: " + dnsErr.Name
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out after 10s"
	}
	return err.Error()
}

func redact(err error) string {
	// pgx parse errors may quote the whole URL including a password; keep only the reason.
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// isUniqueViolation reports whether err is a unique_violation on any constraint.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
