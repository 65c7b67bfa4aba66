package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/pg"
)

func cmdPG(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pg", "pg [--dir DIR] start|stop|status|url\n\nManages the embedded PostgreSQL cluster (default ZHKHGATE_DATA_DIR/pg).")
	dir := fs.String("dir", "", "cluster directory")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	cfg, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	if *dir == "" {
		*dir = filepath.Join(cfg.DataDir, "pg")
	}
	c := &pg.Cluster{Dir: *dir, Logger: cfg.logger()}
	switch fs.Arg(0) {
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
		fmt.Fprintln(env.Stdout, c.URL(pg.DefaultDatabase))
	default:
		return apperr.Invalidf("pg", "want start, stop, status or url; run 'zhkhgate help pg'")
	}
	return nil
}
