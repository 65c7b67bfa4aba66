//go:build !cgo

package xsdcheck

// New returns a Validator for the schemas in dir. Built without cgo there is
// no linked libxml2, so it is the xmllint one (see NewXmllint).
func New(dir string) (*Validator, error) {
	return NewXmllint(dir)
}
