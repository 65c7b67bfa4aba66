package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

func TestCabinetConfigErrors(t *testing.T) {
	t.Parallel()
	for name, vars := range map[string]map[string]string{
		"proxies":    {"ZHKHGATE_CABINET_TRUSTED_PROXIES": "10.0.0.0/8, not-a-cidr"},
		"demo hints": {"ZHKHGATE_CABINET_DEMO_HINTS": "perhaps"},
		"smtp":       {"ZHKHGATE_SMTP_ADDR": "127.0.0.1:25"},
	} {
		env, _ := testEnv(vars)
		a := &app{env: env, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if _, err := a.cabinet(context.Background()); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
