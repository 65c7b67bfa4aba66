// Package modroot finds the module's root directory and the shared material
// checked out beside it (../shared: the official GIS ZhKH schemas, sample
// files), for tests, code generators and tools run from inside the tree.
package modroot

import (
	"errors"
	"os"
	"path/filepath"
)

// Find returns the nearest directory at or above the working directory
// that holds go.mod (tests run inside their package's directory).
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Shared joins elem to the shared directory beside the module root
// (<root>/../shared), e.g. Shared("spec", "samples").
func Shared(elem ...string) (string, error) {
	root, err := Find()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{root, "..", "shared"}, elem...)...), nil
}
