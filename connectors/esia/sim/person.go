package sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// bearer finds the access record of the request's Bearer token for the person in the path.
// It answers 401 for a missing, unknown, expired or revoked token and 403 for another person's
// data.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (*accessRecord, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	a := s.access[tok]
	s.mu.Unlock()
	if !ok || a == nil || a.revoked || s.cfg.Now().After(a.expires) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
		return nil, false
	}
	oid, err := strconv.ParseInt(r.PathValue("oid"), 10, 64)
	if err != nil || oid != a.oid {
		http.Error(w, `{"error":"forbidden","error_description":"the token was issued for another person"}`, http.StatusForbidden)
		return nil, false
	}
	return a, true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// person is GET /rs/prns/{oid}.
func (s *Server) person(w http.ResponseWriter, r *http.Request) {
	a, ok := s.bearer(w, r)
	if !ok {
		return
	}
	p := s.people[a.oid]
	out := map[string]any{"stateFacts": []string{"EntityRoot"}, "eTag": "E" + strconv.FormatInt(p.OID, 16),
		"trusted": p.Trusted, "verifying": false, "status": "REGISTERED", "citizenship": "RUS", "rIdDoc": 1}
	has := func(s string) bool { return slices.Contains(a.scopes, s) }
	if has("fullname") {
		out["firstName"], out["lastName"], out["middleName"] = p.FirstName, p.LastName, p.MiddleName
	}
	if has("birthdate") {
		out["birthDate"] = p.BirthDate
	}
	if has("gender") {
		out["gender"] = p.Gender
	}
	if has("snils") {
		out["snils"] = p.SNILS
	}
	// ?embed=(contacts.elements,addresses.elements) inlines the collections in one call.
	embed := r.URL.Query().Get("embed")
	if strings.Contains(embed, "contacts.elements") {
		cs := s.visibleContacts(a)
		out["contacts"] = map[string]any{"stateFacts": []string{"hasSize"}, "size": len(cs), "elements": cs}
	}
	if strings.Contains(embed, "addresses.elements") {
		as := s.visibleAddresses(a)
		out["addresses"] = map[string]any{"stateFacts": []string{"hasSize"}, "size": len(as), "elements": as}
	}
	writeJSON(w, out)
}

type addressJSON struct {
	StateFacts []string `json:"stateFacts"`
	ID         int64    `json:"id"`
	Type       string   `json:"type"`
	AddressStr string   `json:"addressStr"`
	ZipCode    string   `json:"zipCode"`
	CountryID  string   `json:"countryId"`
	Region     string   `json:"region"`
	City       string   `json:"city"`
	Street     string   `json:"street"`
	House      string   `json:"house"`
	Flat       string   `json:"flat"`
	ETag       string   `json:"eTag"`
}

func (s *Server) visibleAddresses(a *accessRecord) []addressJSON {
	p := s.people[a.oid]
	if p.Address.Text == "" || !slices.Contains(a.scopes, "addresses") {
		return nil
	}
	ad := p.Address
	return []addressJSON{{[]string{"Identifiable"}, p.OID*10 + 5, "PRG", ad.Text, ad.ZipCode, "RUS", ad.Region, ad.City, ad.Street, ad.House, ad.Flat, "A1"}}
}

// addresses is GET /rs/prns/{oid}/addrs (with ?embed=(elements) as for contacts).
func (s *Server) addresses(w http.ResponseWriter, r *http.Request) {
	a, ok := s.bearer(w, r)
	if !ok {
		return
	}
	as := s.visibleAddresses(a)
	res := map[string]any{"stateFacts": []string{"hasSize"}, "size": len(as)}
	if r.URL.Query().Get("embed") == "(elements)" {
		res["elements"] = as
	} else {
		urls := make([]string, 0, len(as))
		for _, x := range as {
			urls = append(urls, strings.TrimRight(s.cfg.Issuer, "/")+r.URL.Path+"/"+strconv.FormatInt(x.ID, 10))
		}
		res["elements"] = urls
	}
	writeJSON(w, res)
}

type contactJSON struct {
	StateFacts []string `json:"stateFacts"`
	ID         int64    `json:"id"`
	Type       string   `json:"type"`
	VrfStu     string   `json:"vrfStu"`
	Value      string   `json:"value"`
	ETag       string   `json:"eTag"`
}

// visibleContacts are the contacts the token's scopes cover.
func (s *Server) visibleContacts(a *accessRecord) []contactJSON {
	p := s.people[a.oid]
	all := slices.Contains(a.scopes, "contacts")
	var out []contactJSON
	if p.Email != "" && (all || slices.Contains(a.scopes, "email")) {
		out = append(out, contactJSON{[]string{"Identifiable"}, p.OID*10 + 1, "EML", "VERIFIED", p.Email, "C1"})
	}
	if p.Mobile != "" && (all || slices.Contains(a.scopes, "mobile")) {
		out = append(out, contactJSON{[]string{"Identifiable"}, p.OID*10 + 2, "MBT", "VERIFIED", p.Mobile, "C2"})
	}
	return out
}

// contacts is GET /rs/prns/{oid}/ctts, with ?embed=(elements) inlining the elements.
func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	a, ok := s.bearer(w, r)
	if !ok {
		return
	}
	cs := s.visibleContacts(a)
	res := map[string]any{"stateFacts": []string{"hasSize"}, "size": len(cs)}
	if r.URL.Query().Get("embed") == "(elements)" {
		res["elements"] = cs
	} else {
		urls := make([]string, 0, len(cs))
		for _, c := range cs {
			urls = append(urls, strings.TrimRight(s.cfg.Issuer, "/")+r.URL.Path+"/"+strconv.FormatInt(c.ID, 10))
		}
		res["elements"] = urls
	}
	writeJSON(w, res)
}

// contact is GET /rs/prns/{oid}/ctts/{id}.
func (s *Server) contact(w http.ResponseWriter, r *http.Request) {
	a, ok := s.bearer(w, r)
	if !ok {
		return
	}
	for _, c := range s.visibleContacts(a) {
		if strconv.FormatInt(c.ID, 10) == r.PathValue("id") {
			writeJSON(w, c)
			return
		}
	}
	http.NotFound(w, r)
}
