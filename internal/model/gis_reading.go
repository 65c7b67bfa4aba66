package model

import "time"

// GISReadingRow is a resident's reading of a meter GIS holds, to send with importMeteringDeviceValues.
type GISReadingRow struct {
	ID       int64
	RootGUID string // meters.gis_meter_root_guid
	Resource string // cold_water, hot_water, electricity, heat, gas, wastewater
	Value    string // decimal text, as PostgreSQL prints numeric
	TakenOn  time.Time
}
