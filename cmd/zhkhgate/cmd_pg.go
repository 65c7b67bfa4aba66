package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/pg"
)

func cmdPG(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pg", "pg start|stop|status|url [--dir DIR]\n\nManages the embedded PostgreSQL cluster (default ZHKHGATE_DATA_DIR/pg).")
	dir := fs.String("dir", "", "cluster directory")
	// The action may come before or after the flags: `pg start --dir X`
	// and `pg --dir X start` mean the same.
	var action string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	rest := fs.Args()
	if action == "" && len(rest) > 0 {
		action, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return apperr.Invalidf("pg", "unexpected arguments: %s", strings.Join(rest, " "))
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Join(cfg.DataDir, "pg")
	}
	c := &pg.Cluster{Dir: *dir, Logger: cfg.Log.Logger(env.Stderr)}
	switch action {
	case "start":
		url, err := c.Start(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, url)
	case "stop":
		return c.Stop(ctx)
	case "status":
		if c.Running(ctx) {
			fmt.Fprintln(env.Stdout, "running in", c.Root())
		} else {
			fmt.Fprintln(env.Stdout, "not running")
		}
	case "url":
		url, err := c.URL(pg.DefaultDatabase)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, url)
	default:
		return apperr.Invalidf("pg", "want start, stop, status or url; run 'zhkhgate help pg'")
	}
	return nil
}
