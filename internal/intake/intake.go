// Package intake is the one way files from outside enter zhkhgate: bank
// payment registries and 1CClientBankExchange statements from the command
// line, the console's upload form and the watched inbox directory. Intake
// stores what arrived (a registry's raw bytes with its SHA-256, a
// statement's documents) and enqueues the durable job that processes it, in
// one transaction; it never processes a registry itself. Waiting for a
// registry's verdict is here too, for the doors that show it.
package intake

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
)

// Queue is the part of the job client intake uses; *jobs.Client implements
// it (also an insert-only client, as `serve` has).
type Queue interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// Config tunes intake; zero fields take the defaults.
type Config struct {
	// InboxDir is the watched directory (ZHKHGATE_REGISTRY_INBOX, by default
	// DATA_DIR/inbox). Empty: RunInbox refuses to start.
	InboxDir string
	// InboxInterval is the time between two scans of the inbox (5s).
	InboxInterval time.Duration
	// InboxSettle is how long a file's size and modification time must stay
	// the same, seen by successive scans, before it is taken (30s).
	InboxSettle time.Duration
	// WaitPoll is how often Wait looks at a registry's state (200ms).
	WaitPoll time.Duration
	// MaxStatementBytes bounds a statement file, read whole (64 MB).
	MaxStatementBytes int64
}

// Deps are intake's collaborators.
type Deps struct {
	Pool  *pgxpool.Pool
	Queue Queue
	// Profiles are the registry format profiles the workers use, to check a
	// requested name early; nil: the built-in ones.
	Profiles *bank.Set
	Logger   *slog.Logger
	// Now is the clock the inbox judges settled files by; time.Now when nil.
	Now func() time.Time
}

// Intake takes files in. It is safe for concurrent use.
type Intake struct {
	cfg   Config
	deps  Deps
	inbox inboxState
}

// New builds an intake.
func New(cfg Config, deps Deps) (*Intake, error) {
	if deps.Pool == nil || deps.Queue == nil {
		return nil, errors.New("intake: Pool and Queue are required")
	}
	if cfg.InboxInterval < 0 || cfg.InboxSettle < 0 || cfg.WaitPoll < 0 || cfg.MaxStatementBytes < 0 {
		return nil, errors.New("intake: durations and limits must not be negative")
	}
	cfg.InboxInterval = cmp.Or(cfg.InboxInterval, 5*time.Second)
	cfg.InboxSettle = cmp.Or(cfg.InboxSettle, 30*time.Second)
	cfg.WaitPoll = cmp.Or(cfg.WaitPoll, 200*time.Millisecond)
	cfg.MaxStatementBytes = cmp.Or(cfg.MaxStatementBytes, 64<<20)
	if deps.Profiles == nil {
		deps.Profiles = bank.NewSet(bank.Builtin()...)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Intake{cfg: cfg, deps: deps, inbox: inboxState{seen: map[string]fileSeen{}}}, nil
}

// Profiles are the registry format profiles intake checks names against
// (built-in and operator-defined), for lists shown to operators.
func (in *Intake) Profiles() *bank.Set { return in.deps.Profiles }

// InboxDir is the watched directory ("" when none is configured).
func (in *Intake) InboxDir() string { return in.cfg.InboxDir }
