package gisexchange

import "github.com/zhkhgate/zhkhgate/connectors/giszhkh"

// The message-level queries below are stored as JSON in gis_messages.query
// (a re-send asks the same): their JSON names are a durable format, pinned
// by golden files (testdata/formats).

// documentsQuery is the message-level part of a payment document posting.
type documentsQuery struct {
	Year     int                 `json:"year"`
	Month    int                 `json:"month"`
	Bank     giszhkh.BankDetails `json:"bank"`
	Provider string              `json:"provider"`
}

// nsiQuery is one reference book to export.
type nsiQuery struct {
	Registry int  `json:"registry"`
	Provider bool `json:"provider,omitempty"` // the organization's own book (exportDataProviderNsiItem)
	// Page > 0 asks for that page of a common book (exportNsiPagingItem,
	// 1000 elements a page); the answer of one page queues the next.
	Page int `json:"page,omitempty"`
}

// orgsQuery is one organization-registry export.
type orgsQuery struct {
	Criteria []giszhkh.OrgSearch `json:"criteria,omitempty"` // exportOrgRegistry
}

// houseQuery is one export by house.
type houseQuery struct {
	FIASHouseGUID string `json:"fias_house_guid"`
}
