package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// Config is everything zhkhgate reads from its environment. README.md lists
// each variable with its default.
type Config struct {
	// DatabaseURL is the PostgreSQL connection string; empty means the embedded cluster.
	DatabaseURL string
	// DataDir holds the embedded cluster (DataDir/pg), inbox and other state. Default ./var.
	DataDir string
	// HTTPAddr is where `serve`, `run` and `demo` listen. Default 127.0.0.1:8080.
	HTTPAddr string
	// PublicURL is how browsers reach the server; used in links and redirects. Default http://HTTPAddr.
	PublicURL string
	// Queues sets workers per queue, e.g. "bank=2,gis=8".
	Queues map[string]int
	// WorkerID names this worker stably across restarts (one per process).
	WorkerID string
	// SecureCookies marks cookies Secure (behind TLS).
	SecureCookies bool
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel slog.Level
	// LogFormat is text or json. Default text.
	LogFormat string
}

func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL: getenv("DATABASE_URL"),
		DataDir:     or(getenv("ZHKHGATE_DATA_DIR"), "var"),
		HTTPAddr:    or(getenv("ZHKHGATE_HTTP_ADDR"), "127.0.0.1:8080"),
		PublicURL:   strings.TrimRight(getenv("ZHKHGATE_PUBLIC_URL"), "/"),
		LogFormat:   or(getenv("ZHKHGATE_LOG_FORMAT"), "text"),
		WorkerID:    getenv("ZHKHGATE_WORKER_ID"),
	}
	var err error
	if c.Queues, err = jobs.ParseConcurrency(getenv("ZHKHGATE_QUEUES")); err != nil {
		return c, fmt.Errorf("ZHKHGATE_QUEUES: %w", err)
	}
	if v := getenv("ZHKHGATE_SECURE_COOKIES"); v != "" {
		if c.SecureCookies, err = strconv.ParseBool(v); err != nil {
			return c, apperr.Invalidf("config", "ZHKHGATE_SECURE_COOKIES=%q: want true or false", v)
		}
	}
	// Behind https the cookies are always Secure, whatever ZHKHGATE_SECURE_COOKIES says.
	if strings.HasPrefix(strings.ToLower(c.PublicURL), "https://") {
		c.SecureCookies = true
	}
	if v := getenv("ZHKHGATE_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			return c, apperr.Invalidf("config", "ZHKHGATE_LOG_LEVEL=%q: want debug, info, warn or error", v)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, apperr.Invalidf("config", "ZHKHGATE_LOG_FORMAT=%q: want text or json", c.LogFormat)
	}
	if c.DataDir, err = filepath.Abs(c.DataDir); err != nil {
		return c, fmt.Errorf("ZHKHGATE_DATA_DIR: %w", err)
	}
	return c, nil
}

func (c Config) publicURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.HTTPAddr
}

func (c Config) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
