package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// World is what GIS already holds before an exchange starts: the
// organizations registered in it and the houses of the housing registry
// with their premises. The simulator answers exportOrgRegistry,
// exportDataProvider and exportHouseData from it and checks the premises
// GUIDs of imported accounts and meters against it.
//
// GUIDs left empty are derived from the natural keys (OGRN, FIAS house GUID
// and premises number) with name-based UUIDs, so the same seed always gives
// the same GUIDs.
type World struct {
	Orgs   []WorldOrg   `json:"orgs"`
	Houses []WorldHouse `json:"houses"`
}

// WorldOrg is one organization of the GIS organizations registry.
type WorldOrg struct {
	Name      string `json:"name"`
	ShortName string `json:"short_name,omitempty"`
	INN       string `json:"inn"`
	KPP       string `json:"kpp,omitempty"`
	// OGRN is the ОГРН (13 digits), or the ОГРНИП (15 digits) of an
	// individual entrepreneur.
	OGRN string `json:"ogrn"`
	// RootGUID is orgRootEntityGUID, VersionGUID orgVersionGUID and PPAGUID
	// orgPPAGUID (the organization's registration in GIS).
	RootGUID    string `json:"root_guid,omitempty"`
	VersionGUID string `json:"version_guid,omitempty"`
	PPAGUID     string `json:"ppa_guid,omitempty"`
	// Roles are the organization's powers (НСИ 20): management, supplier,
	// settlement, hoa, capital_repair.
	Roles []string `json:"roles,omitempty"`
}

// WorldHouse is one house of the housing registry.
type WorldHouse struct {
	FIASHouseGUID string `json:"fias_house_guid"`
	Address       string `json:"address,omitempty"`
	OKTMO         string `json:"oktmo,omitempty"`
	// HouseGUID is the GIS housing-registry id.
	HouseGUID string `json:"house_guid,omitempty"`
	// Living marks a жилой дом (not a многоквартирный дом).
	Living    bool            `json:"living,omitempty"`
	Floors    int             `json:"floors,omitempty"`
	BuiltYear int             `json:"built_year,omitempty"`
	Premises  []WorldPremises `json:"premises,omitempty"`
}

// WorldPremises is one premises of a house.
type WorldPremises struct {
	Number string `json:"number"`
	GUID   string `json:"guid,omitempty"`
	// Kind is residential (the default) or nonresidential.
	Kind string `json:"kind,omitempty"`
	// Area is the total area in m², a decimal ("54.30"); empty when unknown.
	Area string `json:"area,omitempty"`
}

// Premises kinds.
const (
	KindResidential    = "residential"
	KindNonResidential = "nonresidential"
)

// ErrWorld is wrapped by every error about an invalid world.
var ErrWorld = errors.New("invalid simulator world")

// worldNamespace makes the derived GUIDs stable across runs and machines.
var worldNamespace = uuid.MustParse("0f7c2a4e-5b1d-4c3e-9a8f-6d2e1b0c9a7f")

func derive(kind string, parts ...string) string {
	return uuid.NewSHA1(worldNamespace, []byte(kind+"|"+strings.ToLower(strings.Join(parts, "|")))).String()
}

// roles maps the world's role names to the simulator's НСИ 20 elements
// (code, name).
var roles = map[string][2]string{
	"management":     {"1", "Управляющая организация"},
	"supplier":       {"2", "Ресурсоснабжающая организация"},
	"settlement":     {"8", "Расчетный центр"},
	"hoa":            {"19", "Товарищество собственников жилья"},
	"capital_repair": {"21", "Региональный оператор капитального ремонта"},
}

var (
	reINN   = regexp.MustCompile(`^([0-9]{10}|[0-9]{12})$`)
	reKPP   = regexp.MustCompile(`^[0-9]{9}$`)
	reOGRN  = regexp.MustCompile(`^([0-9]{13}|[0-9]{15})$`)
	reOKTMO = regexp.MustCompile(`^([0-9]{8}|[0-9]{11})$`)
	reArea  = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,2})?$`)
)

// LoadWorld reads a World from a JSON file and checks it. Errors name the
// file and the field (orgs[2].ogrn) and wrap ErrWorld.
func LoadWorld(path string) (World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return World{}, fmt.Errorf("%w: %v", ErrWorld, err)
	}
	var w World
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return World{}, fmt.Errorf("%w: %s: field %s: %s is not a JSON %s", ErrWorld, path, te.Field, te.Value, te.Type)
		case errors.As(err, &se):
			line := bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")) + 1
			return World{}, fmt.Errorf("%w: %s:%d: %v", ErrWorld, path, line, err)
		}
		return World{}, fmt.Errorf("%w: %s: %v", ErrWorld, path, err)
	}
	if err := w.Check(); err != nil {
		return World{}, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Check reports the first field of w that GIS would not hold. It wraps
// ErrWorld and names the field, e.g. houses[3].premises[0].kind.
func (w World) Check() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrWorld, field, fmt.Sprintf(format, args...))
	}
	guid := func(field, v string) error {
		if v == "" {
			return nil
		}
		if _, err := uuid.Parse(v); err != nil || len(v) != 36 {
			return bad(field, "%q is not a GUID", v)
		}
		return nil
	}
	seen := map[string]string{} // GUID → field that holds it
	unique := func(field, v string) error {
		if v == "" {
			return nil
		}
		k := strings.ToLower(v)
		if other, ok := seen[k]; ok {
			return bad(field, "GUID %s is also %s", v, other)
		}
		seen[k] = field
		return nil
	}
	ogrns := map[string]string{}
	for i, o := range w.Orgs {
		f := fmt.Sprintf("orgs[%d]", i)
		switch {
		case strings.TrimSpace(o.Name) == "":
			return bad(f+".name", "is empty")
		case !reINN.MatchString(o.INN):
			return bad(f+".inn", "%q is not 10 or 12 digits", o.INN)
		case o.KPP != "" && !reKPP.MatchString(o.KPP):
			return bad(f+".kpp", "%q is not 9 digits", o.KPP)
		case !reOGRN.MatchString(o.OGRN):
			return bad(f+".ogrn", "%q is not 13 (ОГРН) or 15 (ОГРНИП) digits", o.OGRN)
		}
		key := o.OGRN + "|" + o.KPP
		if other, ok := ogrns[key]; ok {
			return bad(f+".ogrn", "OGRN %s and KPP %q are also %s", o.OGRN, o.KPP, other)
		}
		ogrns[key] = f
		for _, g := range []struct{ field, v string }{{".root_guid", o.RootGUID}, {".version_guid", o.VersionGUID}, {".ppa_guid", o.PPAGUID}} {
			if err := guid(f+g.field, g.v); err != nil {
				return err
			}
			if err := unique(f+g.field, g.v); err != nil {
				return err
			}
		}
		for j, r := range o.Roles {
			if _, ok := roles[r]; !ok {
				return bad(fmt.Sprintf("%s.roles[%d]", f, j), "%q is not one of management, supplier, settlement, hoa, capital_repair", r)
			}
		}
	}
	fias := map[string]string{}
	for i, h := range w.Houses {
		f := fmt.Sprintf("houses[%d]", i)
		if h.FIASHouseGUID == "" {
			return bad(f+".fias_house_guid", "is empty")
		}
		if err := guid(f+".fias_house_guid", h.FIASHouseGUID); err != nil {
			return err
		}
		k := strings.ToLower(h.FIASHouseGUID)
		if other, ok := fias[k]; ok {
			return bad(f+".fias_house_guid", "house %s is also %s", h.FIASHouseGUID, other)
		}
		fias[k] = f
		if err := guid(f+".house_guid", h.HouseGUID); err != nil {
			return err
		}
		if err := unique(f+".house_guid", h.HouseGUID); err != nil {
			return err
		}
		switch {
		case h.OKTMO != "" && !reOKTMO.MatchString(h.OKTMO):
			return bad(f+".oktmo", "%q is not 8 or 11 digits", h.OKTMO)
		case h.Floors < 0 || h.Floors > 200:
			return bad(f+".floors", "%d is out of range", h.Floors)
		case h.BuiltYear != 0 && (h.BuiltYear < 1600 || h.BuiltYear > 2100):
			return bad(f+".built_year", "%d is out of range", h.BuiltYear)
		}
		numbers := map[string]bool{}
		for j, p := range h.Premises {
			pf := fmt.Sprintf("%s.premises[%d]", f, j)
			switch {
			case strings.TrimSpace(p.Number) == "" || len([]rune(p.Number)) > 255:
				return bad(pf+".number", "%q is empty or longer than 255 characters", p.Number)
			case numbers[p.Number]:
				return bad(pf+".number", "premises %q appears twice in the house", p.Number)
			case p.Kind != "" && p.Kind != KindResidential && p.Kind != KindNonResidential:
				return bad(pf+".kind", "%q is not residential or nonresidential", p.Kind)
			case p.Area != "" && !reArea.MatchString(p.Area):
				return bad(pf+".area", "%q is not a decimal area in m²", p.Area)
			}
			numbers[p.Number] = true
			if err := guid(pf+".guid", p.GUID); err != nil {
				return err
			}
			if err := unique(pf+".guid", p.GUID); err != nil {
				return err
			}
		}
	}
	return nil
}

// Seeded returns a copy of w with every empty GUID derived from the natural
// keys: the same world always gets the same GUIDs.
func (w World) Seeded() World {
	out := World{Orgs: make([]WorldOrg, len(w.Orgs)), Houses: make([]WorldHouse, len(w.Houses))}
	for i, o := range w.Orgs {
		key := o.OGRN + "|" + o.KPP
		if o.RootGUID == "" {
			o.RootGUID = derive("org-root", key)
		}
		if o.VersionGUID == "" {
			o.VersionGUID = derive("org-version", o.RootGUID)
		}
		if o.PPAGUID == "" {
			o.PPAGUID = derive("org-ppa", o.RootGUID)
		}
		o.RootGUID, o.VersionGUID, o.PPAGUID = strings.ToLower(o.RootGUID), strings.ToLower(o.VersionGUID), strings.ToLower(o.PPAGUID)
		o.Roles = append([]string(nil), o.Roles...)
		out.Orgs[i] = o
	}
	for i, h := range w.Houses {
		h.FIASHouseGUID = strings.ToLower(h.FIASHouseGUID)
		if h.HouseGUID == "" {
			h.HouseGUID = derive("house", h.FIASHouseGUID)
		}
		h.HouseGUID = strings.ToLower(h.HouseGUID)
		ps := make([]WorldPremises, len(h.Premises))
		for j, p := range h.Premises {
			if p.GUID == "" {
				p.GUID = derive("premises", h.FIASHouseGUID, p.Number)
			}
			p.GUID = strings.ToLower(p.GUID)
			if p.Kind == "" {
				p.Kind = KindResidential
			}
			ps[j] = p
		}
		h.Premises = ps
		out.Houses[i] = h
	}
	return out
}

// uniqueNumber derives a GIS unique number (digits, a dash, digits) from a
// GUID, stable across runs.
func uniqueNumber(guid string, head, tail int) string {
	digits := func(seed string, n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			h := fnv.New64a()
			fmt.Fprintf(h, "%s/%d", seed, i)
			fmt.Fprintf(&b, "%019d", h.Sum64()%1e19)
		}
		return b.String()[:n]
	}
	return digits(guid, head) + "-" + digits(guid+"#", tail)
}

// worldIndex is the seeded world with lookups; it never changes after New.
type worldIndex struct {
	orgs       []WorldOrg
	orgByPPA   map[string]*WorldOrg
	houses     map[string]*WorldHouse // by FIAS house GUID
	premises   map[string]*WorldHouse // premises GUID → its house
	premisesOf map[string]map[string]bool
}

func indexWorld(w World) *worldIndex {
	w = w.Seeded()
	x := &worldIndex{orgs: w.Orgs, orgByPPA: map[string]*WorldOrg{}, houses: map[string]*WorldHouse{},
		premises: map[string]*WorldHouse{}, premisesOf: map[string]map[string]bool{}}
	for i := range w.Orgs {
		x.orgByPPA[w.Orgs[i].PPAGUID] = &w.Orgs[i]
	}
	for i := range w.Houses {
		h := &w.Houses[i]
		x.houses[h.FIASHouseGUID] = h
		set := map[string]bool{}
		for _, p := range h.Premises {
			x.premises[p.GUID] = h
			set[p.GUID] = true
		}
		x.premisesOf[h.FIASHouseGUID] = set
	}
	return x
}
