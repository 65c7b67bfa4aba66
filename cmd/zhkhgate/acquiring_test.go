package main

import (
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

func TestAcquiringFromEnvAllOrNone(t *testing.T) {
	full := map[string]string{"ZHKHGATE_ACQUIRING_URL": "http://127.0.0.1:8093", "ZHKHGATE_ACQUIRING_USER": "u",
		"ZHKHGATE_ACQUIRING_PASSWORD": "p", "ZHKHGATE_ACQUIRING_SECRET": "s"}
	get := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if c, err := acquiringFromEnv(get(nil), nil); c != nil || err != nil {
		t.Errorf("none set: %v, %v", c, err)
	}
	if c, err := acquiringFromEnv(get(full), nil); c == nil || err != nil {
		t.Errorf("all set: %v, %v", c, err)
	}
	for k := range full {
		half := map[string]string{}
		for k2, v := range full {
			if k2 != k {
				half[k2] = v
			}
		}
		if _, err := acquiringFromEnv(get(half), nil); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("without %s: %v, want a configuration error", k, err)
		}
	}
	if _, err := parseFaults("duplicate,bogus", 0); err == nil {
		t.Error("unknown fault accepted")
	}
}
