package gisexchange

import (
	"slices"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

// What is a GIS sync subject (`zhkhgate gis sync --what`); it is also the
// kind of the messages its sync creates (gis_messages.kind).
type What string

// The subjects, one entry each in the registry below.
const (
	Orgs            What = "orgs"             // exportOrgRegistry by OGRN/KPP, exportDataProvider
	Nsi             What = "nsi"              // reference books
	Houses          What = "houses"           // exportHouseData: house and premises GUIDs
	AccountsExport  What = "accounts-export"  // reconciliation of accounts GIS holds
	Accounts        What = "accounts"         // importAccountData
	MetersExport    What = "meters-export"    // reconciliation of meters GIS holds
	Meters          What = "meters"           // importMeteringDeviceData
	ReadingsImport  What = "readings-import"  // importMeteringDeviceValues: residents' readings
	Readings        What = "readings"         // exportMeteringDeviceHistory
	DocumentsExport What = "documents-export" // reconciliation of payment documents GIS holds
	Documents       What = "documents"        // importPaymentDocumentData
	Withdrawals     What = "withdrawals"      // importPaymentDocumentData, withdrawal branch
	Payments        What = "payments"         // importSupplierNotificationsOfOrderExecution
	Cancellations   What = "cancellations"    // importNotificationsOfOrderExecutionCancellation
)

// Subject is everything the exchange knows about one subject. Adding a
// subject is adding one entry to subjects: the month cycle, the CLI's
// --what, the console's form and the export kinds read the registry.
type Subject struct {
	What What
	// Service and Operation are the subject's main operation (an export may
	// also use a second one of the same family, e.g. exportDataProvider).
	Service   giszhkh.Service
	Operation string
	// Object is the gis_items.object_kind of an item subject; "" for exports.
	Object string
	// MaxItems is the schema's maxOccurs of items per message, DefaultItems
	// the practical cap when lower (0: MaxItems). Zero for exports.
	MaxItems, DefaultItems int
	// Period: the subject needs --period (YYYY-MM).
	Period bool
	// Export: the messages have no items; the answer is applied as a whole.
	Export bool
	// Cycle: part of a month's cycle (`--what all`), in registry order.
	Cycle bool
	// BeforeOrg: asked before the organization's orgPPAGUID is known.
	BeforeOrg bool

	plan  planner
	build builder
	apply applier // nil: per-item results (store.ApplyGISResults)
}

// subjects is the registry, in month-cycle order: organizations and
// reference books first, then houses (whose premises GUIDs accounts and
// meters need), each reconciliation before the import it protects.
var subjects = []Subject{
	{What: Orgs, Service: giszhkh.ServiceOrgRegistry, Operation: giszhkh.OpExportOrgRegistry, Export: true, Cycle: true, BeforeOrg: true,
		plan: planOrgs, build: buildOrgs, apply: applyOrgs},
	{What: Nsi, Service: giszhkh.ServiceNsiCommon, Operation: giszhkh.OpExportNsiPagingItem, Export: true, Cycle: true,
		plan: planNsi, build: buildNsi, apply: applyNsi},
	{What: Houses, Service: giszhkh.ServiceHouseManagement, Operation: giszhkh.OpExportHouseData, Export: true, Cycle: true,
		plan: planHouses, build: buildHouses, apply: applyHouses},
	{What: AccountsExport, Service: giszhkh.ServiceHouseManagement, Operation: giszhkh.OpExportAccountData, Export: true,
		plan: planAccountsExport, build: buildAccountsExport, apply: applyAccountsExport},
	{What: Accounts, Service: giszhkh.ServiceHouseManagement, Operation: giszhkh.OpImportAccountData, Object: "account",
		MaxItems: giszhkh.MaxAccountsPerImport, Cycle: true, plan: planAccounts, build: buildAccounts},
	{What: MetersExport, Service: giszhkh.ServiceHouseManagement, Operation: giszhkh.OpExportMeteringDeviceData, Export: true,
		plan: planMetersExport, build: buildMetersExport, apply: applyMetersExport},
	{What: Meters, Service: giszhkh.ServiceHouseManagement, Operation: giszhkh.OpImportMeteringDeviceData, Object: "meter",
		MaxItems: giszhkh.MaxMetersPerImport, Cycle: true, plan: planMeters, build: buildMeters},
	// Residents' readings go before the history export, which then brings them back confirmed.
	{What: ReadingsImport, Service: giszhkh.ServiceDeviceMetering, Operation: giszhkh.OpImportMeteringDeviceValues, Object: "reading",
		MaxItems: giszhkh.MaxDevicesPerValuesImport, Cycle: true, plan: planReadingsImport, build: buildReadingsImport},
	{What: Readings, Service: giszhkh.ServiceDeviceMetering, Operation: giszhkh.OpExportMeteringDeviceHistory, Export: true, Period: true,
		Cycle: true, plan: planReadings, build: buildReadings, apply: applyReadings},
	{What: DocumentsExport, Service: giszhkh.ServiceBills, Operation: giszhkh.OpExportPaymentDocumentData, Export: true, Period: true,
		plan: planDocumentsExport, build: buildDocumentsExport, apply: applyDocumentsExport},
	{What: Documents, Service: giszhkh.ServiceBills, Operation: giszhkh.OpImportPaymentDocumentData, Object: "document",
		MaxItems: giszhkh.MaxDocumentsPerImport, Period: true, Cycle: true, plan: planDocuments, build: buildDocuments},
	{What: Withdrawals, Service: giszhkh.ServiceBills, Operation: giszhkh.OpImportPaymentDocumentData, Object: "withdrawal",
		MaxItems: giszhkh.MaxWithdrawalsPerImport, plan: planWithdrawals, build: buildWithdrawals},
	// Practice: supplier notices in batches above 200 fail although the schema allows 250.
	{What: Payments, Service: giszhkh.ServicePayment, Operation: giszhkh.OpImportSupplierNotifications, Object: "payment",
		MaxItems: giszhkh.MaxSupplierNotices, DefaultItems: 200, Period: true, Cycle: true, plan: planPayments, build: buildPayments},
	{What: Cancellations, Service: giszhkh.ServicePayment, Operation: giszhkh.OpImportNotificationsCancellation, Object: "cancellation",
		MaxItems: giszhkh.MaxCancellationsPerImport, plan: planCancellations, build: buildCancellations},
}

// Lookup returns the registry entry of w.
func Lookup(w What) (Subject, bool) {
	i := slices.IndexFunc(subjects, func(s Subject) bool { return s.What == w })
	if i < 0 {
		return Subject{}, false
	}
	return subjects[i], true
}

// Subjects lists every subject in registry (month-cycle) order.
func Subjects() []Subject { return slices.Clone(subjects) }

// Whats lists every subject's name in registry order.
func Whats() []What {
	out := make([]What, len(subjects))
	for i, s := range subjects {
		out[i] = s.What
	}
	return out
}

// MonthCycle lists a month's exchange in order (`gis sync --what all`).
func MonthCycle() []What {
	var out []What
	for _, s := range subjects {
		if s.Cycle {
			out = append(out, s.What)
		}
	}
	return out
}

// ItemSubjects lists the subjects whose messages carry items (and so take
// a per-message cap).
func ItemSubjects() []What {
	var out []What
	for _, s := range subjects {
		if !s.Export {
			out = append(out, s.What)
		}
	}
	return out
}

// cap is the subject's item cap under the configured caps.
func (s Subject) cap(caps map[What]int) int {
	def := s.MaxItems
	if s.DefaultItems > 0 {
		def = min(s.DefaultItems, def)
	}
	if n := caps[s.What]; n > 0 {
		return min(n, s.MaxItems)
	}
	return def
}
