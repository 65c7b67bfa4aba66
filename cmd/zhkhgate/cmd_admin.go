package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web"
)

func cmdAdmin(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "admin", "admin create-user|set-password --login L [--name N] [--role admin|operator]\n\nThe password is read from the first line of standard input (or ZHKHGATE_ADMIN_PASSWORD).")
	login := fs.String("login", "", "staff login (lower-case letters, digits, . _ -)")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "operator", "admin or operator")
	if len(args) == 0 || helpRequested(args) {
		fs.Usage()
		return nil
	}
	action := args[0]
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if action != "create-user" && action != "set-password" {
		return apperr.Invalidf("admin", "unknown action %q: want create-user or set-password", action)
	}
	if *login == "" {
		return apperr.Invalidf("admin", "--login is required")
	}
	if *role != "admin" && *role != "operator" {
		return apperr.Invalidf("admin", "--role %q: want admin or operator", *role)
	}
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	password := cfg.Admin.Password
	if password == "" {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return apperr.Invalidf("admin", "no password on standard input")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	hash, err := web.HashStaffPassword(*login, password)
	if err != nil {
		return err
	}
	a, err := openDB(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	if action == "set-password" {
		if err := store.SetStaffPassword(ctx, a.pool, *login, hash); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "password of %s changed\n", *login)
		return nil
	}
	id, err := store.CreateStaffUser(ctx, a.pool, store.StaffUser{Login: *login, DisplayName: *name, PasswordHash: hash, Role: *role})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created staff user %s (id %d, role %s)\n", *login, id, *role)
	return nil
}
