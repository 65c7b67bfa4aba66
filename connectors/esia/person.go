package esia

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Person is what the cabinet needs from /rs/prns/{oid} and its contacts.
type Person struct {
	OID        int64
	FirstName  string
	LastName   string
	MiddleName string
	// BirthDate is "dd.MM.yyyy" as ESIA sends it.
	BirthDate string
	// SNILS is formatted "000-000-600 06".
	SNILS   string
	Trusted bool
	// Email and Mobile are the first verified contacts of type EML and MBT, or the first
	// unverified ones when none is verified.
	Email  string
	Mobile string
	// EmailVerified tells whether ESIA verified Email.
	EmailVerified bool
}

// FullName is "Last First Middle".
func (p Person) FullName() string {
	return strings.Join(strings.Fields(p.LastName+" "+p.FirstName+" "+p.MiddleName), " ")
}

type personJSON struct {
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	MiddleName string `json:"middleName"`
	BirthDate  string `json:"birthDate"`
	SNILS      string `json:"snils"`
	Trusted    bool   `json:"trusted"`
}

// Contact is one element of /rs/prns/{oid}/ctts.
type Contact struct {
	Type   string `json:"type"`   // EML, MBT, PHN
	VrfStu string `json:"vrfStu"` // VERIFIED, NOT_VERIFIED
	Value  string `json:"value"`
}

type collection[T any] struct {
	Size     int `json:"size"`
	Elements []T `json:"elements"`
}

// Person reads person data and contacts with a verified access token.
func (c *Client) Person(ctx context.Context, accessToken string, oid int64) (Person, error) {
	base := c.cfg.BaseURL + PathPersons + strconv.FormatInt(oid, 10)
	var pj personJSON
	if err := c.getJSON(ctx, accessToken, base, &pj); err != nil {
		return Person{}, err
	}
	var ctts collection[Contact]
	if err := c.getJSON(ctx, accessToken, base+"/ctts?embed=(elements)", &ctts); err != nil {
		return Person{}, err
	}
	p := Person{OID: oid, FirstName: pj.FirstName, LastName: pj.LastName, MiddleName: pj.MiddleName,
		BirthDate: pj.BirthDate, SNILS: pj.SNILS, Trusted: pj.Trusted}
	p.Email, p.EmailVerified = pickContact(ctts.Elements, "EML")
	p.Mobile, _ = pickContact(ctts.Elements, "MBT")
	if p.LastName == "" && p.FirstName == "" {
		return Person{}, fmt.Errorf("esia: person %d has no name (is fullname in scope?)", oid)
	}
	return p, nil
}

func pickContact(cs []Contact, typ string) (value string, verified bool) {
	for _, c := range cs {
		if c.Type != typ {
			continue
		}
		if c.VrfStu == "VERIFIED" {
			return c.Value, true
		}
		if value == "" {
			value = c.Value
		}
	}
	return value, false
}

func (c *Client) getJSON(ctx context.Context, accessToken, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("esia: GET %s: %w", url, err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("esia: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("esia: GET %s: read: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("esia: GET %s: HTTP %d: %.200s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("esia: GET %s: bad JSON: %w", url, err)
	}
	return nil
}
