package jobs

import (
	"cmp"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

// gisUniqueStates make GIS jobs unique while alive but not once completed:
// a message sent again after GIS lost it gets a new send job.
var gisUniqueStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled}

// GIS is what the GIS ZhKH workers need. A nil *GIS in Deps leaves the
// kinds registered (so they can be inserted) but makes their workers fail
// with a clear error.
type GIS struct {
	Builder *giszhkh.Builder
	Client  *giszhkh.Client
	// Bank are the payee's bank details payment documents refer to.
	BankBIK, BankAccount string
	// Caps bound items per message below the XSD maxOccurs.
	Caps GISCaps
	// Poll is the getState schedule: the first poll after Poll[0], then
	// Poll[1] … and the last value repeated. Default: the official
	// 10 s, 60 s, 300 s, 900 s, 1800 s.
	Poll []time.Duration
	// ResendAfter is the backoff before a message that failed transiently
	// (EXP001000, HTTP 502/503, timeouts) is sent again; default 2 minutes.
	ResendAfter time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// GISCaps are the per-message item limits. Zero values take the defaults:
// the XSD maxOccurs, except 200 supplier notices (practice: larger batches
// fail although the schema allows 250).
type GISCaps struct {
	Accounts, Meters, Documents, Withdrawals, Payments, Cancellations int
}

// DefaultGISPoll is the official getState schedule.
var DefaultGISPoll = []time.Duration{10 * time.Second, 60 * time.Second, 300 * time.Second, 900 * time.Second, 1800 * time.Second}

func (g *GIS) caps() GISCaps {
	c := g.Caps
	c.Accounts = min(cmp.Or(c.Accounts, giszhkh.MaxAccountsPerImport), giszhkh.MaxAccountsPerImport)
	c.Meters = min(cmp.Or(c.Meters, giszhkh.MaxMetersPerImport), giszhkh.MaxMetersPerImport)
	c.Documents = min(cmp.Or(c.Documents, giszhkh.MaxDocumentsPerImport), giszhkh.MaxDocumentsPerImport)
	c.Withdrawals = min(cmp.Or(c.Withdrawals, giszhkh.MaxWithdrawalsPerImport), giszhkh.MaxWithdrawalsPerImport)
	c.Payments = min(cmp.Or(c.Payments, 200), giszhkh.MaxSupplierNotices)
	c.Cancellations = min(cmp.Or(c.Cancellations, giszhkh.MaxCancellationsPerImport), giszhkh.MaxCancellationsPerImport)
	return c
}

func (g *GIS) pollAfter(n int) time.Duration {
	p := g.Poll
	if len(p) == 0 {
		p = DefaultGISPoll
	}
	return p[min(n, len(p)-1)]
}

func (g *GIS) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// GIS sync subjects (`zhkhgate gis sync --what`); each is also the kind of
// the messages it creates.
const (
	GISWhatAccounts      = "accounts"
	GISWhatMeters        = "meters"
	GISWhatReadings      = "readings"
	GISWhatDocuments     = "documents"
	GISWhatWithdrawals   = "withdrawals"
	GISWhatPayments      = "payments"
	GISWhatCancellations = "cancellations"
	GISWhatNsi           = "nsi"
	// Exports that bring GIS's identifiers in.
	GISWhatOrgs   = "orgs"   // exportOrgRegistry by OGRN/KPP, exportDataProvider
	GISWhatHouses = "houses" // exportHouseData: house and premises GUIDs
	// Reconciliation of objects already in GIS (placed earlier, or whose
	// answer was lost), matched by number.
	GISWhatAccountsExport  = "accounts-export"
	GISWhatMetersExport    = "meters-export"
	GISWhatDocumentsExport = "documents-export"
)

// GISWhats lists the sync subjects in month-cycle order, each
// reconciliation before the import it protects.
var GISWhats = []string{GISWhatOrgs, GISWhatNsi, GISWhatHouses, GISWhatAccountsExport, GISWhatAccounts, GISWhatMetersExport,
	GISWhatMeters, GISWhatReadings, GISWhatDocumentsExport, GISWhatDocuments, GISWhatWithdrawals, GISWhatPayments, GISWhatCancellations}

// GISMonthCycle is a month's exchange in order (`gis sync --what all`):
// organizations and reference books first, then houses, whose premises
// GUIDs accounts and meters need.
var GISMonthCycle = []string{GISWhatOrgs, GISWhatNsi, GISWhatHouses, GISWhatAccounts, GISWhatMeters, GISWhatReadings,
	GISWhatDocuments, GISWhatPayments}

// gisExportKinds are the message kinds without items: their answer is
// applied as a whole.
var gisExportKinds = []string{GISWhatNsi, GISWhatReadings, GISWhatOrgs, GISWhatHouses, GISWhatAccountsExport,
	GISWhatMetersExport, GISWhatDocumentsExport}
