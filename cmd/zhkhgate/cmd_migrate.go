package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

func cmdMigrate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "migrate", "migrate up|down|status\n\n  up      apply River's and zhkhgate's pending migrations (safe to run concurrently)\n  down    roll back the newest zhkhgate migration\n  status  list migrations and whether they are applied")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() != 1 {
		return apperr.Invalidf("migrate", "want one of up, down, status; run 'zhkhgate help migrate'")
	}
	action := fs.Arg(0)
	if action != "up" && action != "down" && action != "status" {
		return apperr.Invalidf("migrate", "unknown action %q: want up, down or status", action)
	}
	a, err := openDB(ctx, env, false)
	if err != nil {
		return err
	}
	defer a.close()
	switch action {
	case "up":
		if err := store.Migrate(ctx, a.pool, a.logger); err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, "migrations applied")
	case "down":
		return store.MigrateDown(ctx, a.pool, a.logger)
	case "status":
		st, err := store.Status(ctx, a.pool, a.logger)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SOURCE\tVERSION\tSTATE\tNAME")
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", s.Source, s.Version, state, s.Name)
		}
		return tw.Flush()
	}
	return nil
}
