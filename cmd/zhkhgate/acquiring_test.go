package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
)

// TestOnlinePayFromConfig builds online payment from a full configuration
// (the all-or-none rule is internal/config's, tested there) and names the
// variable when the URL cannot be used; unknown simulator faults are refused.
func TestOnlinePayFromConfig(t *testing.T) {
	cfg := config.Acquiring{URL: "https://securepayments.example.ru/payment/rest", User: "u", Password: "p", Secret: "s"}
	svc, origin, err := onlinePayFromConfig(cfg, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil || svc == nil || origin != "https://securepayments.example.ru" {
		t.Fatalf("online pay %v, origin %q, %v", svc, origin, err)
	}
	cfg.URL = "ftp://gateway"
	if _, _, err := onlinePayFromConfig(cfg, nil, nil, slog.New(slog.DiscardHandler)); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), "ZHKHGATE_ACQUIRING_URL") {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := parseFaults("duplicate,bogus", 0); err == nil {
		t.Error("unknown fault accepted")
	}
}
