package cabinet

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Every limiter reserves its attempt in PostgreSQL (store.ReserveAttempt) before the secret is
// checked, so parallel requests cannot all pass a check made before any of them is counted.
// The numbers, with the defaults of Limits:
//
//	per client IP, every login, registration, reset, ESIA start,
//	account proof and anonymous reading ............... IPAttempts (30) per hour, then refused until the hour ends
//	per e-mail, wrong passwords ......................... LoginFailures (5) in 15 minutes, then locked for 15 minutes
//	per resident, wrong current password ................ LoginFailures (5) in 15 minutes, then locked for 15 minutes
//	per resident, failed account proofs ................. ProofFailures (5) per hour
//	per client and account, failed proofs (link, reading) ProofFailures (5) per hour, for that client only
//	per account, distinct clients trying it ............. AccountClients (10) per hour
//	per resident, e-mail change letters ................. ProofFailures (5) per hour
//
// A stranger therefore cannot lock a resident out of the anonymous readings form: his failures
// count against his own address; only ten different addresses within an hour close the
// account's form, and only until that hour ends.

// limits names the limiters of the cabinet.
func (c *Cabinet) ipLimit() store.Limit {
	return store.Limit{Max: c.cfg.Limits.IPAttempts, Window: limitWindow}
}
func (c *Cabinet) loginLimit() store.Limit {
	return store.Limit{Max: c.cfg.Limits.LoginFailures, Window: loginLockout, Block: loginLockout}
}
func (c *Cabinet) proofLimit() store.Limit {
	return store.Limit{Max: c.cfg.Limits.ProofFailures, Window: limitWindow}
}
func (c *Cabinet) accountLimit() store.Limit {
	return store.Limit{Max: c.cfg.Limits.AccountClients, Window: limitWindow}
}

// reserve counts one attempt under key; a refused one is a 429 with Retry-After and msg (the
// default message when empty).
func (c *Cabinet) reserve(ctx context.Context, op, key string, l store.Limit, msg string) (store.Reservation, error) {
	res, err := store.ReserveAttempt(ctx, c.deps.Pool, key, l, c.now())
	if err != nil {
		return res, err
	}
	if !res.Allowed {
		if msg == "" {
			msg = "Слишком много попыток. Попробуйте через " + minutes(res.RetryAfter) + "."
		}
		return res, &apperr.Error{Kind: apperr.Permission, Op: op, Message: msg, RetryAfter: res.RetryAfter}
	}
	return res, nil
}

// release gives back a reserved attempt that succeeded; failures to do so are only logged.
func (c *Cabinet) release(ctx context.Context, key string, l store.Limit) {
	if err := store.ReleaseAttempt(ctx, c.deps.Pool, key, l); err != nil {
		c.deps.Logger.ErrorContext(ctx, "cabinet: release attempt", "key", key, "error", err)
	}
}

// reserveClientAccount reserves a proof attempt of one client on one account: ProofFailures per
// client and account, and, the first time this client tries the account in a window, one of the
// account's AccountClients. prefix is "link" or "reading".
func (c *Cabinet) reserveClientAccount(ctx context.Context, op, prefix, client, account string) (clientKey string, err error) {
	clientKey = prefix + ":account:" + account + ":" + client
	res, err := c.reserve(ctx, op, clientKey, c.proofLimit(), "")
	if err != nil {
		return "", err
	}
	if res.NewWindow {
		if _, err := c.reserve(ctx, op, prefix+":account:"+account, c.accountLimit(), ""); err != nil {
			return "", err
		}
	}
	return clientKey, nil
}

func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m < 1 {
		return "минуту"
	}
	return strconv.Itoa(m) + " мин."
}

func (c *Cabinet) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

// checked tells the test hook that a secret was checked.
func (c *Cabinet) checked(what string) {
	if c.deps.OnCheck != nil {
		c.deps.OnCheck(what)
	}
}

// checkPassword compares a password with its bcrypt hash (counted by the test hook).
func (c *Cabinet) checkPassword(hash []byte, password string) bool {
	c.checked("password")
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

func loginKey(email string) string { return "login:email:" + strings.ToLower(strings.TrimSpace(email)) }

// proveAccount is the anonymous proof the readings form and payment without
// login share: every attempt counts per IP (scope:ip:…), a failed proof per
// client and account (only that client is stopped, each account admits a
// few clients an hour); number, house and flat must match. keyAcc is the
// client-account key the caller releases once the account is proven.
func (c *Cabinet) proveAccount(ctx context.Context, r *http.Request, scope string) (p store.AccountProof, keyAcc string, err error) {
	ip := c.clientIP(r)
	if _, err := c.reserve(ctx, scope, scope+":ip:"+ip, c.ipLimit(), ""); err != nil {
		return p, "", err
	}
	f, err := readAccountForm(r)
	if err != nil {
		return p, "", err
	}
	if keyAcc, err = c.reserveClientAccount(ctx, scope, scope, "ip:"+ip, f.Number); err != nil {
		return p, "", err
	}
	c.checked(scope + "_proof")
	p, err = store.FindAccountForProof(ctx, c.deps.Pool, f.Number, f.HouseID, f.Flat)
	if apperr.Is(err, apperr.NotFound) {
		err = errNoReadingProof
	}
	return p, keyAcc, err
}
