// Package browsertest starts the real headless Chromium the cabinet's and
// the console's browser tests drive, the same way for every test.
package browsertest

import (
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path finds Chromium. Without one the test is skipped, except in CI
// (CI set), where `make test` has installed it and a missing browser is a
// failure; in -short mode browser tests are skipped.
func Path(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found; .ci/deps installs the Debian chromium package")
	}
	t.Skip("no Chromium found; .ci/deps installs the Debian chromium package")
	return ""
}

// Options are the allocator options for a headless Chromium at path with a
// fresh profile in dir and a window of width × height. The background
// networking flags matter here: without them Chromium's own connections
// are refused by the closed network, many at a time.
func Options(path, dir string, width, height int) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(dir), chromedp.WindowSize(width, height),
	}
}
