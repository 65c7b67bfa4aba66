//go:build cgo

package xsdcheck

/*
#cgo pkg-config: libxml-2.0
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlschemastypes.h>

// A report collects one xmllint-style line per error, in malloc'd memory.
typedef struct {
	char  *buf;
	size_t len, cap;
} xsd_report;

// A document with thousands of errors is summarized anyway; past this the
// rest is dropped.
#define XSD_REPORT_MAX (1 << 20)

static void xsd_append(xsd_report *r, const char *s, size_t n) {
	if (r->len + n > XSD_REPORT_MAX) return;
	if (r->len + n > r->cap) {
		size_t c = r->cap ? r->cap * 2 : 1024;
		while (c < r->len + n) c *= 2;
		char *b = realloc(r->buf, c);
		if (b == NULL) return;
		r->buf = b;
		r->cap = c;
	}
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static const char *xsd_domain(int domain) {
	switch (domain) {
	case XML_FROM_PARSER:    return "parser ";
	case XML_FROM_NAMESPACE: return "namespace ";
	case XML_FROM_IO:        return "I/O ";
	case XML_FROM_SCHEMASP:  return "Schemas parser ";
	case XML_FROM_SCHEMASV:  return "Schemas validity ";
	default:                 return "";
	}
}

// xsd_collect formats an error as xmllint prints it:
// "-:LINE: element NAME: Schemas validity error : MESSAGE".
static void xsd_collect(void *data, xmlErrorPtr err) {
	xsd_report *r = data;
	if (err == NULL || err->level < XML_ERR_ERROR) return;
	const char *elem = "";
	const char *name = NULL;
	xmlNodePtr node = err->node;
	if (node != NULL && node->type == XML_ELEMENT_NODE && node->name != NULL) {
		elem = "element ";
		name = (const char *) node->name;
	}
	const char *msg = err->message ? err->message : "unknown error\n";
	char line[2048];
	int n = snprintf(line, sizeof line, "%s:%d: %s%s%s%s%s : %s",
		err->file ? err->file : "-", err->line, elem, name ? name : "", name ? ": " : "",
		xsd_domain(err->domain), err->level == XML_ERR_WARNING ? "warning" : "error", msg);
	if (n < 0) return;
	if ((size_t) n >= sizeof line) n = sizeof line - 1;
	xsd_append(r, line, n);
	if (n == 0 || line[n-1] != '\n') xsd_append(r, "\n", 1);
}

static void xsd_init(void) {
	xmlInitParser();
	xmlSchemaInitTypes();
	// As xmllint --nonet: schema imports and documents never reach the network.
	xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
}

// The structured error handler is per thread in libxml2; each call sets it
// for its own duration only, so errors outside a context (the parser's,
// those of files a schema includes) land in this call's report.
static xmlSchemaPtr xsd_parse_schema(const char *path, xsd_report *r) {
	xmlStructuredErrorFunc old = xmlStructuredError;
	void *oldctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(r, xsd_collect);
	xmlSchemaPtr s = NULL;
	xmlSchemaParserCtxtPtr p = xmlSchemaNewParserCtxt(path);
	if (p != NULL) {
		xmlSchemaSetParserStructuredErrors(p, xsd_collect, r);
		s = xmlSchemaParse(p);
		xmlSchemaFreeParserCtxt(p);
	}
	xmlSetStructuredErrorFunc(oldctx, old);
	return s;
}

// xsd_validate returns 0 for a valid document, 1 for a schema-invalid one,
// 2 for one that is not well-formed, -1 on an internal error.
static int xsd_validate(xmlSchemaPtr s, const char *doc, int len, xsd_report *r) {
	xmlStructuredErrorFunc old = xmlStructuredError;
	void *oldctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(r, xsd_collect);
	int rc;
	xmlDocPtr d = xmlReadMemory(doc, len, "-", NULL, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	if (d == NULL) {
		rc = 2;
	} else {
		xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(s);
		if (v == NULL) {
			rc = -1;
		} else {
			xmlSchemaSetValidStructuredErrors(v, xsd_collect, r);
			rc = xmlSchemaValidateDoc(v, d);
			if (rc > 0) rc = 1;
			xmlSchemaFreeValidCtxt(v);
		}
		xmlFreeDoc(d);
	}
	xmlSetStructuredErrorFunc(oldctx, old);
	return rc;
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"
)

// New returns a Validator for the schemas in dir that validates in process
// with the linked libxml2 (the library xmllint is built on): each service's
// schema is parsed once, on first use, and shared by concurrent calls.
func New(dir string) (*Validator, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	initOnce.Do(func() { C.xsd_init() })
	lx := &libxml{dir: dir, schemas: make(map[string]*compiled, len(Schemas))}
	for service := range Schemas {
		lx.schemas[service] = &compiled{}
	}
	// The compiled schemas (a few MB each) go with the validator; the
	// cleanup gets the map only, so it cannot keep lx alive.
	runtime.AddCleanup(lx, freeSchemas, lx.schemas)
	return &Validator{dir: dir, checker: lx}, nil
}

var (
	// initOnce initializes libxml2 before any concurrent use, as it requires.
	initOnce sync.Once
	// parseMu serializes schema parsing: it runs once per service and
	// validator, and libxml2 makes no promise for concurrent parsers.
	parseMu sync.Mutex
)

// libxml validates with compiled schemas; a compiled libxml2 schema is
// read-only during validation, so one serves every goroutine, each with its
// own validation context.
type libxml struct {
	dir string
	// schemas has one entry per service from construction on, so the map
	// itself is only read.
	schemas map[string]*compiled
}

type compiled struct {
	once   sync.Once
	schema C.xmlSchemaPtr
	err    error
}

func freeSchemas(schemas map[string]*compiled) {
	for _, c := range schemas {
		if c.schema != nil {
			C.xmlSchemaFree(c.schema)
		}
	}
}

// schema returns the compiled schema of service, parsing it on first use.
func (lx *libxml) schema(service, file string) (C.xmlSchemaPtr, error) {
	c := lx.schemas[service]
	c.once.Do(func() {
		path := C.CString(filepath.Join(lx.dir, file))
		defer C.free(unsafe.Pointer(path))
		var r C.xsd_report
		defer C.free(unsafe.Pointer(r.buf))
		parseMu.Lock()
		c.schema = C.xsd_parse_schema(path, &r)
		parseMu.Unlock()
		if c.schema == nil {
			c.err = fmt.Errorf("xsdcheck: parse schema %s: %s", file, summarize(C.GoStringN(r.buf, C.int(r.len)), 5))
		}
	})
	return c.schema, c.err
}

func (lx *libxml) check(_ context.Context, service, file string, doc []byte) error {
	if len(doc) > math.MaxInt32 {
		return fmt.Errorf("%w (%s): document of %d bytes is too large", ErrInvalid, file, len(doc))
	}
	s, err := lx.schema(service, file)
	if err != nil {
		return err
	}
	var p *C.char
	if len(doc) > 0 {
		p = (*C.char)(unsafe.Pointer(&doc[0]))
	}
	var r C.xsd_report
	rc := C.xsd_validate(s, p, C.int(len(doc)), &r)
	report := C.GoStringN(r.buf, C.int(r.len))
	C.free(unsafe.Pointer(r.buf))
	// The schemas must outlive the C call: lx is what keeps them.
	runtime.KeepAlive(lx)
	if rc != 0 && report == "" {
		// libxml2 raises no error for an empty buffer; xmllint says this.
		report = "-:1: parser error : Document is empty"
	}
	switch rc {
	case 0:
		return nil
	case 1, 2:
		return invalid(file, report)
	default:
		return fmt.Errorf("xsdcheck: libxml2 failed validating against %s: %s", file, report)
	}
}
