package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// fileChunks names the table that keeps a stored file's bytes in chunks
// (registries, charge files): (owner column, seq, data).
type fileChunks struct {
	table, owner string
}

var (
	registryChunks = fileChunks{table: "registry_chunks", owner: "registry_id"}
	chargeChunks   = fileChunks{table: "charge_file_chunks", owner: "file_id"}
)

// copyChunks streams content into the chunk table of the file id in
// registryChunkSize pieces with COPY, and checks that it hashes to sum and
// has size bytes (the caller hashed it in a first pass): a file that
// changed in between is refused. op names the work in errors.
func (fc fileChunks) copyChunks(ctx context.Context, tx pgx.Tx, op string, id int64, content io.Reader, sum []byte, size int64) error {
	h := sha256.New()
	var got int64
	seq := 0
	var readErr error
	src := pgx.CopyFromFunc(func() ([]any, error) {
		buf := make([]byte, registryChunkSize)
		n, err := io.ReadFull(content, buf)
		if n == 0 {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			readErr = err
			return nil, err
		}
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			readErr = err
			return nil, err
		}
		h.Write(buf[:n])
		got += int64(n)
		seq++
		return []any{id, seq - 1, buf[:n]}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{fc.table}, []string{fc.owner, "seq", "data"}, src); err != nil {
		if readErr != nil {
			return fmt.Errorf("%s: read file: %w", op, readErr)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	if !bytes.Equal(h.Sum(nil), sum) || got != size {
		return apperr.Invalidf(op, "the file changed while it was being stored")
	}
	return nil
}

// reader streams the stored file id back one chunk at a time, so memory
// stays flat whatever its size. Each chunk is a separate query on db, which
// must therefore not be a transaction busy with a COPY.
func (fc fileChunks) reader(ctx context.Context, db DBTX, id int64) io.Reader {
	return &chunkReader{ctx: ctx, db: db, id: id, fc: fc}
}

type chunkReader struct {
	ctx  context.Context
	db   DBTX
	id   int64
	fc   fileChunks
	seq  int
	buf  []byte
	done bool
}

// Read implements io.Reader, fetching the next chunk when one is used up.
func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		err := c.db.QueryRow(c.ctx, `SELECT data FROM `+c.fc.table+` WHERE `+c.fc.owner+` = $1 AND seq = $2`, c.id, c.seq).Scan(&c.buf)
		if errors.Is(err, pgx.ErrNoRows) {
			c.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read %s %d chunk %d: %w", c.fc.table, c.id, c.seq, err)
		}
		c.seq++
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}
