// Package xsdcheck validates XML against the official GIS ZhKH schemas.
//
// Two validators share one API: New links libxml2 (cgo) and parses each
// service's schema once, so the simulator can check every request it receives
// cheaply; NewXmllint runs the xmllint command (Debian libxml2-utils) for each
// document, the independent acceptance check the request-building tests use.
// Both report schema errors as ErrInvalid with xmllint-style, line-numbered
// messages.
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

	"github.com/zhkhgate/zhkhgate/internal/modroot"
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

// Validator checks documents against the schemas under a spec directory.
// It is safe for concurrent use.
type Validator struct {
	dir     string
	checker checker
}

// checker validates doc against the schema file of service (a path under the
// spec directory); schema errors wrap ErrInvalid.
type checker interface {
	check(ctx context.Context, service, file string, doc []byte) error
}

// NewXmllint returns a Validator that runs xmllint --schema for every
// document, checking that xmllint runs and the directory holds the schemas.
// It is slow (a process and a schema parse per call) and independent of this
// process's libxml2: the tests use it as the acceptance check.
func NewXmllint(dir string) (*Validator, error) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		return nil, fmt.Errorf("xsdcheck: xmllint not found (Debian package libxml2-utils): %w", err)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	return &Validator{dir: dir, checker: xmllint{dir: dir}}, nil
}

// checkDir reports a missing schema at construction, not at the first request.
func checkDir(dir string) error {
	for _, f := range Schemas {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("xsdcheck: schema missing: %w", err)
		}
	}
	return nil
}

// FindSpecDir locates ../shared/spec/gis-zhkh relative to the module root
// above the working directory (tests run inside the package directory).
func FindSpecDir() (string, error) {
	root, err := modroot.Find()
	if err != nil {
		return "", fmt.Errorf("xsdcheck: %w", err)
	}
	return filepath.Join(root, SpecDir), nil
}

// ErrInvalid is wrapped by errors about documents that break the schema.
var ErrInvalid = errors.New("xsdcheck: document does not match the schema")

// Validate checks doc (a standalone element) against the schema of service
// ("bills", …, or "lib"). Errors wrapping ErrInvalid carry the validator's
// messages, with line numbers in doc.
func (v *Validator) Validate(ctx context.Context, service string, doc []byte) error {
	f, ok := Schemas[service]
	if !ok {
		return fmt.Errorf("xsdcheck: unknown service %q", service)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("xsdcheck: %w", err)
	}
	return v.checker.check(ctx, service, f, doc)
}

// xmllint validates each document in an xmllint child process.
type xmllint struct {
	dir string
}

func (x xmllint) check(ctx context.Context, _, f string, doc []byte) error {
	cmd := exec.CommandContext(ctx, "xmllint", "--noout", "--nonet", "--schema", filepath.Join(x.dir, f), "-")
	cmd.Stdin = bytes.NewReader(doc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil {
		return nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 1 || exit.ExitCode() == 4) {
		return invalid(f, strings.ReplaceAll(stderr.String(), "- fails to validate", ""))
	}
	return fmt.Errorf("xsdcheck: xmllint: %w: %s", err, stderr.String())
}

// invalid is the ErrInvalid error for a report of one error a line.
func invalid(file, report string) error {
	return fmt.Errorf("%w (%s): %s", ErrInvalid, file, summarize(strings.TrimSpace(report), 5))
}

// summarize keeps the first max distinct lines of a validator's report: a
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
