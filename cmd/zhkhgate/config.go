package main

import (
	"github.com/zhkhgate/zhkhgate/internal/config"
)

// loadConfig reads the configuration from the command's environment; it is
// the only way a command learns a setting (internal/config reads them all).
func loadConfig(env *Env) (config.Config, error) {
	return config.Load(env.Getenv)
}
