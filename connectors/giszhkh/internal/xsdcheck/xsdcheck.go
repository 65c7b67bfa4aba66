// Package xsdcheck validates XML against the official GIS ZhKH schemas with
// xmllint (Debian libxml2-utils), the same check the acceptance tests and the
// simulator apply to every request.
package xsdcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SpecDir is the schema directory relative to the repository root.
const SpecDir = "../shared/spec/gis-zhkh"

// Schemas maps a service directory to its types XSD; "lib" is hcs-base.xsd
// (headers, getState, Ack, Fault).
var Schemas = map[string]string{
	"bills":                         "bills/hcs-bills-types.xsd",
	"house-management":              "house-management/hcs-house-management-types.xsd",
	"device-metering":               "device-metering/hcs-device-metering-types.xsd",
	"payment":                       "payment/hcs-payment-types.xsd",
	"nsi":                           "nsi/hcs-nsi-types.xsd",
	"nsi-common":                    "nsi-common/hcs-nsi-common-types.xsd",
	"organizations-registry-common": "organizations-registry-common/hcs-organizations-registry-common-types.xsd",
	"lib":                           "lib/hcs-base.xsd",
}

// Validator runs xmllint against the schemas under a spec directory.
type Validator struct {
	dir string
}

// New returns a Validator for the schemas in dir, checking that xmllint runs
// and the directory holds the schemas.
func New(dir string) (*Validator, error) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return nil, fmt.Errorf("xsdcheck: xmllint not found (Debian package libxml2-utils): %w", err)
	}
	for _, f := range Schemas {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("xsdcheck: schema missing: %w", err)
		}
	}
	return &Validator{dir: dir}, nil
}

// FindSpecDir locates ../shared/spec/gis-zhkh relative to the module root
// above the working directory (tests run inside the package directory).
func FindSpecDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, SpecDir), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("xsdcheck: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// ErrInvalid is wrapped by errors about documents that break the schema.
var ErrInvalid = errors.New("xsdcheck: document does not match the schema")

// Validate checks doc (a standalone element) against the schema of service
// ("bills", …, or "lib"). Errors wrapping ErrInvalid carry xmllint's
// messages, with line numbers in doc.
func (v *Validator) Validate(ctx context.Context, service string, doc []byte) error {
	f, ok := Schemas[service]
	if !ok {
		return fmt.Errorf("xsdcheck: unknown service %q", service)
	}
	cmd := exec.CommandContext(ctx, "xmllint", "--noout", "--nonet", "--schema", filepath.Join(v.dir, f), "-")
	cmd.Stdin = bytes.NewReader(doc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 1 || exit.ExitCode() == 4) {
		msg := summarize(strings.TrimSpace(strings.ReplaceAll(stderr.String(), "- fails to validate", "")), 5)
		return fmt.Errorf("%w (%s): %s", ErrInvalid, f, msg)
	}
	return fmt.Errorf("xsdcheck: xmllint: %w: %s", err, stderr.String())
}

// summarize keeps the first max distinct lines of xmllint's report: a
// message of 500 documents with the same mistake says it once, with a count.
func summarize(report string, max int) string {
	seen := map[string]bool{}
	var kept []string
	more := 0
	for _, line := range strings.Split(report, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || seen[line] {
			continue
		}
		seen[line] = true
		if len(kept) == max {
			more++
			continue
		}
		kept = append(kept, line)
	}
	if more > 0 {
		kept = append(kept, fmt.Sprintf("(and %d more distinct errors)", more))
	}
	return strings.Join(kept, "\n")
}
