// Package pg runs zhkhgate's private PostgreSQL cluster: the embedded default
// database of `zhkhgate demo` and of the test run. It drives the machine's own
// initdb and pg_ctl (Debian's postgresql package), never a downloaded binary.
//
// PostgreSQL refuses to run as root, so when zhkhgate runs as root the cluster
// is created and started as the unprivileged "postgres" user (or "nobody").
// The server listens only on a unix socket inside the cluster directory; a
// cluster left running is reused, and concurrent starters are serialized by a
// file lock.
package pg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres means no initdb/pg_ctl binaries were found on this machine.
var ErrNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install the 'postgresql' package")

// Default names of the role and database created in a new cluster.
const (
	DefaultUser     = "zhkhgate"
	DefaultDatabase = "zhkhgate"
	port            = 5432
	// maxSocketPath keeps the unix socket path under the kernel's 108-byte limit.
	maxSocketPath = 100
)

// Cluster is a private PostgreSQL cluster in a directory.
type Cluster struct {
	// Dir is where the cluster lives (data, log, socket). Relative paths are made absolute.
	Dir string
	// Settings are extra postgresql.conf parameters, e.g. {"fsync": "off"} for throwaway test clusters.
	Settings map[string]string
	// BinDir holds initdb and pg_ctl. Defaults to the newest /usr/lib/postgresql/*/bin, then $PATH.
	BinDir string
	// Logger receives progress messages. Defaults to slog.Default().
	Logger *slog.Logger

	runAs *user.User // set when running as root
	root  string     // effective directory (Dir, or a fallback the server user can reach)
}

// Start creates the cluster if it does not exist, starts it if it is not
// running and makes sure the default database exists. It returns a
// connection string for that database. Start is safe to call from several
// processes at once.
func (c *Cluster) Start(ctx context.Context) (string, error) {
	if err := c.prepare(); err != nil {
		return "", err
	}
	unlock, err := c.lock()
	if err != nil {
		return "", err
	}
	defer unlock()

	data := filepath.Join(c.root, "data")
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx, data); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", fmt.Errorf("pg: inspect %s: %w", data, err)
	}
	if !c.running(ctx, data) {
		c.logger().Info("starting private PostgreSQL", "dir", c.root)
		logFile := filepath.Join(c.root, "postgres.log")
		if out, err := c.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "120", "start"); err != nil {
			return "", fmt.Errorf("pg: start cluster in %s: %w: %s (see %s)", c.root, err, out, logFile)
		}
	}
	if err := c.ensureDatabase(ctx); err != nil {
		return "", err
	}
	return c.url(DefaultDatabase), nil
}

// Stop stops the cluster if it is running.
func (c *Cluster) Stop(ctx context.Context) error {
	if err := c.prepare(); err != nil {
		return err
	}
	data := filepath.Join(c.root, "data")
	if !c.running(ctx, data) {
		return nil
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("pg: stop cluster in %s: %w: %s", c.root, err, out)
	}
	return nil
}

// Running reports whether the cluster's server is up.
func (c *Cluster) Running(ctx context.Context) bool {
	if err := c.prepare(); err != nil {
		return false
	}
	return c.running(ctx, filepath.Join(c.root, "data"))
}

// URL returns the connection string for database db in this cluster,
// whether or not it runs (`zhkhgate pg url` asks a fresh Cluster).
func (c *Cluster) URL(db string) (string, error) {
	if err := c.prepare(); err != nil {
		return "", err
	}
	return c.url(db), nil
}

func (c *Cluster) url(db string) string {
	q := url.Values{"host": {c.socketDir()}, "port": {strconv.Itoa(port)}}
	return (&url.URL{Scheme: "postgres", User: url.User(DefaultUser), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Root returns the directory the cluster actually lives in: Dir, or, when
// running as root and the server user cannot reach Dir, a fallback under the
// system temporary directory.
func (c *Cluster) Root() string { _ = c.prepare(); return c.root }

func (c *Cluster) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Cluster) prepare() error {
	if c.root != "" {
		return nil
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return fmt.Errorf("pg: cluster directory %q: %w", c.Dir, err)
	}
	if c.BinDir == "" {
		c.BinDir = findBinDir()
	}
	if _, err := os.Stat(filepath.Join(c.BinDir, "pg_ctl")); err != nil {
		if _, perr := exec.LookPath("pg_ctl"); perr != nil {
			return ErrNoPostgres
		}
		c.BinDir = ""
	}
	c.root = dir
	if os.Geteuid() == 0 {
		u, err := serverUser()
		if err != nil {
			return err
		}
		c.runAs = u
		if !reachable(dir, u) {
			sum := sha256.Sum256([]byte(dir))
			c.root = filepath.Join(os.TempDir(), "zhkhgate-pg-"+hex.EncodeToString(sum[:6]))
			c.logger().Warn("cluster directory is not reachable by the server user; using a fallback",
				"dir", dir, "user", u.Username, "fallback", c.root)
		}
	}
	// Parents stay traversable (0755) for the server user; the cluster directory itself is private.
	if err := os.MkdirAll(filepath.Dir(c.root), 0o755); err != nil {
		return fmt.Errorf("pg: create %s: %w", filepath.Dir(c.root), err)
	}
	if err := os.Mkdir(c.root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("pg: create %s: %w", c.root, err)
	}
	if c.runAs != nil {
		uid, gid := ids(c.runAs)
		if err := os.Chown(c.root, uid, gid); err != nil {
			return fmt.Errorf("pg: hand %s to user %s: %w", c.root, c.runAs.Username, err)
		}
	}
	if len(c.socketDir())+len("/.s.PGSQL.5432") > maxSocketPath {
		return fmt.Errorf("pg: socket path under %s is too long for a unix socket; choose a shorter cluster directory", c.root)
	}
	return nil
}

func (c *Cluster) socketDir() string { return c.root }

func (c *Cluster) initdb(ctx context.Context, data string) error {
	c.logger().Info("creating private PostgreSQL cluster", "dir", c.root)
	if out, err := c.run(ctx, "initdb", "-D", data, "-U", DefaultUser, "--auth=trust", "-E", "UTF8",
		"--locale=C.UTF-8", "--no-instructions"); err != nil {
		return fmt.Errorf("pg: initdb in %s: %w: %s", data, err, out)
	}
	settings := map[string]string{
		"listen_addresses":        "''",
		"unix_socket_directories": "'" + c.socketDir() + "'",
		"port":                    strconv.Itoa(port),
		"max_connections":         "300",
		"shared_buffers":          "'256MB'",
		"max_wal_size":            "'2GB'",
		"synchronous_commit":      "off",
		"log_min_messages":        "warning",
		"timezone":                "'UTC'",
	}
	for k, v := range c.Settings {
		settings[k] = v
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var conf bytes.Buffer
	conf.WriteString("\n# zhkhgate private cluster\n")
	for _, k := range keys {
		fmt.Fprintf(&conf, "%s = %s\n", k, settings[k])
	}
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pg: configure cluster: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(conf.Bytes()); err != nil {
		return fmt.Errorf("pg: configure cluster: %w", err)
	}
	return f.Close()
}

func (c *Cluster) running(ctx context.Context, data string) bool {
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err != nil {
		return false
	}
	_, err := c.run(ctx, "pg_ctl", "-D", data, "status")
	return err == nil
}

func (c *Cluster) ensureDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.url("postgres"))
	if err != nil {
		return fmt.Errorf("pg: connect to private cluster: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DefaultDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("pg: look up database: %w", err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{DefaultDatabase}.Sanitize()); err != nil {
		var already bool
		_ = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DefaultDatabase).Scan(&already)
		if !already {
			return fmt.Errorf("pg: create database %s: %w", DefaultDatabase, err)
		}
	}
	return nil
}

// run executes a PostgreSQL binary, as the server user when running as root.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	bin := name
	if c.BinDir != "" {
		bin = filepath.Join(c.BinDir, name)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.root
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "PGTZ=UTC")
	if c.runAs != nil {
		uid, gid := ids(c.runAs)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = append(cmd.Env, "HOME="+c.root, "USER="+c.runAs.Username)
	}
	// pg_ctl start leaves the server running with our pipes as its stdout; use a file-less buffer only for short commands.
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if name == "pg_ctl" && len(args) > 0 && args[len(args)-1] == "start" {
		cmd.Stdout, cmd.Stderr = nil, nil
		cmd.WaitDelay = time.Second
	}
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// lock takes an exclusive file lock on the cluster directory.
func (c *Cluster) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.root, ".zhkhgate.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pg: lock cluster directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("pg: lock cluster directory: %w", err)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func findBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func serverUser() (*user.User, error) {
	for _, name := range []string{"postgres", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	return nil, errors.New("pg: running as root and no unprivileged user (postgres, nobody) exists to run PostgreSQL")
}

func ids(u *user.User) (int, int) {
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid
}

// reachable reports whether user u can traverse every ancestor of dir.
func reachable(dir string, u *user.User) bool {
	uid, gid := ids(u)
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			// Not created yet: MkdirAll will create it as root with 0700 parents unless they exist.
			if errors.Is(err, os.ErrNotExist) {
				if d == filepath.Dir(d) {
					return true
				}
				continue
			}
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		mode := fi.Mode().Perm()
		switch {
		case int(st.Uid) == uid:
			if mode&0o100 == 0 {
				return false
			}
		case int(st.Gid) == gid:
			if mode&0o010 == 0 {
				return false
			}
		default:
			if mode&0o001 == 0 {
				return false
			}
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}
