package sim

import (
	"encoding/xml"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/base"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/housemanagement"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/meteringdevicebase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsibase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsbase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrybase"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrycommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/premisesbase"
)

const nsOrgRegistry = "http://dom.gosuslugi.ru/schema/integration/organizations-registry-common/"

// dateTime is the xs:dateTime layout of the simulator's answers.
const dateTime = "2006-01-02T15:04:05.000-07:00"

func (x *worldIndex) houseList() []WorldHouse {
	var out []WorldHouse
	for _, h := range x.houses {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b WorldHouse) int { return strings.Compare(a.FIASHouseGUID, b.FIASHouseGUID) })
	return out
}

// exportOrgRegistry finds organizations of the World by the search
// criteria the schema allows: OGRN (with KPP), OGRNIP, orgVersionGUID,
// orgRootEntityGUID, orgPPAGUID. NZA (foreign branches) finds nothing.
func (s *Server) exportOrgRegistry(body []byte, f *fragment) error {
	var req organizationsregistrycommon.ExportOrgRegistryRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range req.SearchCriteria {
		for i := range s.world.orgs {
			o := &s.world.orgs[i]
			if seen[o.RootGUID] || !orgMatches(o, c) {
				continue
			}
			seen[o.RootGUID] = true
			if err := f.add(nsOrgRegistry, "exportOrgRegistryResult", s.orgResult(o)); err != nil {
				return err
			}
		}
	}
	return nil
}

func orgMatches(o *WorldOrg, c organizationsregistrycommon.ExportOrgRegistryRequest_SearchCriteria) bool {
	eq := func(a base.GUIDType, b string) bool { return a != "" && strings.EqualFold(string(a), b) }
	switch {
	case c.OGRN != "":
		return string(c.OGRN) == o.OGRN && (c.KPP == "" || string(c.KPP) == o.KPP)
	case c.OGRNIP != "":
		return string(c.OGRNIP) == o.OGRN
	case c.OrgVersionGUID != "":
		return eq(c.OrgVersionGUID, o.VersionGUID)
	case c.OrgRootEntityGUID != "":
		return eq(c.OrgRootEntityGUID, o.RootGUID)
	case c.OrgPPAGUID != "":
		return eq(c.OrgPPAGUID, o.PPAGUID)
	}
	return false
}

func (s *Server) orgResult(o *WorldOrg) organizationsregistrycommon.ExportOrgRegistryResultType {
	v := organizationsregistrycommon.ExportOrgRegistryResultType_OrgVersion{OrgVersionGUID: base.GUIDType(o.VersionGUID),
		LastEditingDate: s.cfg.Now().Format("2006-01-02"), IsActual: true}
	if len(o.OGRN) == 15 {
		// An individual entrepreneur: the name is «[ИП] Фамилия Имя Отчество».
		parts := strings.Fields(strings.TrimPrefix(strings.TrimSpace(o.Name), "ИП "))
		for len(parts) < 2 {
			parts = append(parts, "-")
		}
		v.Entrp = &organizationsregistrybase.EntpsType{Surname: parts[0], FirstName: parts[1], Patronymic: strings.Join(parts[2:], " "),
			OGRNIP: organizationsbase.OGRNIPType(o.OGRN), INN: organizationsbase.INNType(o.INN)}
	} else {
		v.Legal = &organizationsregistrybase.LegalType{ShortName: o.ShortName, FullName: o.Name, OGRN: organizationsbase.OGRNType(o.OGRN),
			INN: organizationsbase.INNType(o.INN), KPP: organizationsbase.KPPType(o.KPP)}
	}
	yes := true
	r := organizationsregistrycommon.ExportOrgRegistryResultType{OrgRootEntityGUID: base.GUIDType(o.RootGUID), OrgVersion: v,
		OrgPPAGUID: base.GUIDType(o.PPAGUID), IsRegistered: &yes}
	for _, role := range o.Roles {
		c := roles[role]
		r.OrganizationRoles = append(r.OrganizationRoles, nsibase.NsiRef{Code: nsibase.NsiCodeType(c[0]), GUID: base.GUIDType(NsiGUID(20, c[0])), Name: c[1]})
	}
	return r
}

// exportDataProvider lists the World's organizations as the data providers
// linked to the requesting information system, all of them active.
func (s *Server) exportDataProvider(body []byte, f *fragment) error {
	var req organizationsregistrycommon.ExportDataProviderRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	for _, o := range s.world.orgs {
		if err := f.add(nsOrgRegistry, "exportDataProviderResult", organizationsregistrycommon.ExportDataProviderResultType{
			DataProviderGUID: base.GUIDType(derive("data-provider", o.RootGUID)), IsActual: true,
			RegOrg: organizationsregistrybase.RegOrgType{OrgRootEntityGUID: base.GUIDType(o.RootGUID)},
		}); err != nil {
			return err
		}
	}
	return nil
}

// versionAtLeast compares dotted versions ("15.10.0.0" ≥ "15.6.0.1").
func versionAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x > y
		}
	}
	return true
}

// exportHouse answers exportHouseData from the World: the house with its
// premises; a house the World does not hold is INT002012.
func (s *Server) exportHouse(m *message, body []byte, f *fragment) error {
	var req housemanagement.ExportHouseRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	h := s.world.houses[strings.ToLower(string(req.FIASHouseGuid))]
	if h == nil {
		return nil
	}
	now := s.cfg.Now().Format(dateTime)
	yes := true
	basic := housemanagement.HouseBasicExportType{
		OGFExportStatusType: housemanagement.OGFExportStatusType{GKN_EGRP_KeyExportType: housemanagement.GKN_EGRP_KeyExportType{No_RSO_GKN_EGRP_Registered: &yes}},
		FIASHouseGuid:       premisesbase.FIASHouseGUIDType(h.FIASHouseGUID),
	}
	if h.BuiltYear > 0 {
		y := housemanagement.UsedYearType(h.BuiltYear)
		basic.UsedYear = &y
	}
	if h.Floors > 0 {
		basic.FloorCount = strconv.Itoa(h.Floors)
	}
	if h.OKTMO != "" {
		basic.OKTMO = &base.OKTMORefType{Code: h.OKTMO}
	}
	res := housemanagement.ExportHouseResultType{HouseUniqueNumber: uniqueNumber(h.HouseGUID, 25, 5), ModificationDate: now}
	if versionAtLeast(m.version, "15.6.0.1") {
		res.HouseGUID = base.GUIDType(h.HouseGUID)
	}
	if h.Living {
		res.LivingHouse = &housemanagement.ExportHouseResultType_LivingHouse{
			LivingHouseExportType: housemanagement.LivingHouseExportType{BasicCharacteristicts: basic},
			HouseGUID:             base.GUIDType(h.HouseGUID),
		}
		return f.add(nsHM, "exportHouseResult", res)
	}
	a := &housemanagement.ExportHouseResultType_ApartmentHouse{ApartmentHouseExportType: housemanagement.ApartmentHouseExportType{BasicCharacteristicts: basic}}
	status := housemanagement.OGFExportStatusType{GKN_EGRP_KeyExportType: housemanagement.GKN_EGRP_KeyExportType{No_RSO_GKN_EGRP_Registered: &yes}}
	for _, p := range h.Premises {
		pb := housemanagement.PremisesBasicExportType{OGFExportStatusType: status, PremisesNum: housemanagement.PremisesNumType(p.Number)}
		un := uniqueNumber(p.GUID, 25, 10)
		if p.Kind == KindNonResidential {
			a.NonResidentialPremises = append(a.NonResidentialPremises, housemanagement.ExportHouseResultType_ApartmentHouse_NonResidentialPremises{
				NonResidentialPremisesExportType: housemanagement.NonResidentialPremisesExportType{PremisesBasicExportType: pb,
					TotalArea: premisesbase.PremisesAreaType(p.Area)},
				PremisesUniqueNumber: un, ModificationDate: now, PremisesGUID: base.GUIDType(p.GUID),
			})
			continue
		}
		a.ResidentialPremises = append(a.ResidentialPremises, housemanagement.ExportHouseResultType_ApartmentHouse_ResidentialPremises{
			ResidentialPremisesExportType: housemanagement.ResidentialPremisesExportType{PremisesBasicExportType: pb, HasNoEntrance: &yes,
				TotalArea: premisesbase.PremisesAreaType(p.Area)},
			PremisesUniqueNumber: un, ModificationDate: now, PremisesGUID: base.GUIDType(p.GUID),
		})
	}
	res.ApartmentHouse = a
	return f.add(nsHM, "exportHouseResult", res)
}

// exportMeters answers exportMeteringDeviceData with the organization's
// devices placed through importMeteringDeviceData, filtered as the request
// asks: one device (root or version GUID) or a house, then resource, device
// type, archived or not, commissioning dates and modification time.
func (st *state) exportMeters(s *Server, m *message, body []byte, f *fragment) error {
	var req housemanagement.ExportMeteringDeviceDataRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		return err
	}
	root := strings.ToLower(string(req.MeteringDeviceRootGUID))
	version := strings.ToLower(string(req.MeteringDeviceVersionGUID))
	house := strings.ToLower(string(req.FIASHouseGuid))
	roots := slices.Sorted(maps.Keys(st.meters))
	for _, r := range roots {
		mt := st.meters[r]
		switch {
		case mt.org != m.org,
			root != "" && mt.root != root,
			version != "" && mt.version != version,
			house != "" && mt.house != house,
			req.MunicipalResource != nil && string(req.MunicipalResource.Code) != mt.resourceCode,
			// The simulator's devices are all individual ones (НСИ 27 code 1).
			req.MeteringDeviceType != nil && string(req.MeteringDeviceType.Code) != meterTypeIndividual,
			mt.archived && (req.SearchArchived == nil || !*req.SearchArchived) && root == "" && version == "",
			req.CommissioningDateFrom != "" && mt.basic.CommissioningDate < req.CommissioningDateFrom,
			req.CommissioningDateTo != "" && mt.basic.CommissioningDate > req.CommissioningDateTo,
			req.UpdateDateTime != "" && mt.updated.Format(dateTime) < req.UpdateDateTime:
			continue
		}
		if err := f.add(nsHM, "exportMeteringDeviceDataResult", s.meterResult(mt)); err != nil {
			return err
		}
	}
	return nil
}

// meterTypeIndividual is the НСИ 27 code of an individual device.
const meterTypeIndividual = "1"

func (s *Server) meterResult(mt *meter) housemanagement.ExportMeteringDeviceDataResultType {
	yes := true
	status := "Active"
	if mt.archived {
		status = "Archival"
	}
	full := housemanagement.MeteringDeviceFullInformationExportType{BasicChatacteristicts: mt.basic, NotLinkedWithMetering: &yes}
	if mt.resourceCode != "" {
		full.MunicipalResourceNotEnergy = []housemanagement.MunicipalResourceNotElectricExportType{{
			OneRateMeteringValueExportType: meteringdevicebase.OneRateMeteringValueExportType{OneRateMeteringValueBaseType: meteringdevicebase.OneRateMeteringValueBaseType{
				MunicipalResource: nsibase.NsiRef{Code: nsibase.NsiCodeType(mt.resourceCode), GUID: base.GUIDType(mt.resourceGUID)},
				MeteringValue:     meteringdevicebase.MeteringValueType(mt.initial),
			}},
			Unit: mt.unit,
		}}
	}
	return housemanagement.ExportMeteringDeviceDataResultType{
		MeteringDeviceFullInformationExportType: full,
		MeteringDeviceRootGUID:                  base.GUIDType(mt.root),
		StatusRootDoc:                           status,
		MeteringDeviceVersionGUID:               meteringdevicebase.MeteringDeviceGUIDType(mt.version),
		VersionNumber:                           mt.versionNo,
		StatusVersion:                           status,
		UpdateDateTime:                          mt.updated.Format(dateTime),
		MeteringDeviceGISGKHNumber:              "ПУ-" + strings.ToUpper(mt.root[:8]),
	}
}
