package gis

import (
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Reading maps a resident's reading to an importMeteringDeviceValues value of a one-rate device.
func Reading(nsi NSI, r model.GISReadingRow, transport string) (giszhkh.Reading, error) {
	const obj = "reading"
	g := giszhkh.Reading{TransportGUID: transport, RootGUID: r.RootGUID, Date: r.TakenOn}
	if err := checkGUID(obj, r.ID, "meters.gis_meter_root_guid", r.RootGUID); err != nil {
		return g, err
	}
	ref, _, ok := Resource(nsi, r.Resource)
	if !ok {
		return g, fieldErr(obj, r.ID, "meters.resource", r.Resource, "has no GIS municipal resource (НСИ 2)")
	}
	g.Resource = ref
	v := trimDecimal(r.Value)
	if !decimalRE.MatchString(v) {
		return g, fieldErr(obj, r.ID, "readings.value", r.Value, "must be a decimal with up to 15 digits and 7 decimals")
	}
	g.Value = v
	return g, nil
}
