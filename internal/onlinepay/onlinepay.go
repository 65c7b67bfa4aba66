// Package onlinepay runs online payment against the acquiring gateway: it
// registers orders, applies the gateway's callbacks and status answers to
// them, each in one transaction, and is shared by the cabinet (checkout,
// callback, return page) and the status job (lost callbacks).
//
// "Paid" is decided only by a verified callback or a status answer from the
// gateway, never by the payer's browser coming back.
package onlinepay

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/acquiringpay"
)

// Gateway is what the service needs of the acquiring client; *acquiring.Client implements it.
type Gateway interface {
	Register(ctx context.Context, o acquiring.Order) (acquiring.Registered, error)
	Status(ctx context.Context, orderID string) (acquiring.Status, error)
	VerifyCallback(params url.Values) (acquiring.Callback, error)
}

// Service applies the gateway's word to orders.
type Service struct {
	Pool    *pgxpool.Pool
	Gateway Gateway
	Logger  *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewOrderNumber makes an order number: 20 random base32 characters (100 bits), so that the
// result page it names cannot be found by guessing.
func NewOrderNumber() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base32.StdEncoding.EncodeToString(b)[:20]
}

// Register registers a stored order with the gateway and records its payment page. returnURL
// is where the payer comes back; callbackURL is sent as the dynamic callback address.
func (s *Service) Register(ctx context.Context, o store.Order, returnURL, callbackURL, description string) (string, error) {
	reg, err := s.Gateway.Register(ctx, acquiring.Order{Number: o.Number, Amount: o.Amount, ReturnURL: returnURL,
		CallbackURL: callbackURL, Description: description})
	if err != nil {
		return "", fmt.Errorf("register order %s: %w", o.Number, err)
	}
	if err := store.SetOrderRegistered(ctx, s.Pool, o.ID, reg.OrderID, reg.FormURL, s.now()); err != nil {
		return "", err
	}
	return reg.FormURL, nil
}

// ApplyCallback verifies a callback and applies it in one transaction: logged once per (order,
// operation, status), the order moved, and an audit record when its state changed. A bad
// checksum is audited and returned as a Permission error; nothing is applied.
func (s *Service) ApplyCallback(ctx context.Context, params url.Values, remote string) (model.OrderState, error) {
	cb, err := s.Gateway.VerifyCallback(params)
	if err != nil {
		if apperr.Is(err, apperr.Permission) {
			s.audit(ctx, s.Pool, "acquiring.callback_refused", params.Get("orderNumber"),
				map[string]any{"reason": err.Error(), "operation": params.Get("operation"), "md_order": params.Get("mdOrder"), "remote": remote})
		}
		return "", err
	}
	tx, err := s.Pool.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("apply callback: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	o, err := store.OrderByAcquirerID(ctx, tx, cb.OrderID)
	if err != nil {
		return "", err
	}
	if o.Number != cb.OrderNumber {
		return "", apperr.Invalidf("apply callback", "mdOrder %s belongs to order %s, not %s", cb.OrderID, o.Number, cb.OrderNumber)
	}
	fresh, err := store.LogCallback(ctx, tx, o.ID, string(cb.Operation), cb.Success, cb.Params)
	if err != nil {
		return "", err
	}
	state := o.State
	if ev, ok := acquiringpay.EventOfCallback(cb); ok && fresh {
		before, after, err := store.ApplyPaymentEvent(ctx, tx, o.ID, ev, s.now())
		if err != nil {
			return "", err
		}
		state = after
		if after != before {
			s.audit(ctx, tx, "acquiring.order_"+string(after), o.Number, map[string]any{"by": "callback", "operation": string(cb.Operation), "from": string(before)})
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("apply callback: %w", err)
	}
	return state, nil
}

// CheckStatus asks the gateway for an order's state and applies the answer in one transaction
// (idempotent with callbacks: the state machine never goes back).
func (s *Service) CheckStatus(ctx context.Context, orderID int64, acquirerID string) (model.OrderState, error) {
	st, err := s.Gateway.Status(ctx, acquirerID)
	if err != nil {
		return "", fmt.Errorf("check status of order %d: %w", orderID, err)
	}
	var state model.OrderState
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := store.MarkStatusChecked(ctx, tx, orderID, s.now()); err != nil {
			return err
		}
		ev, ok := acquiringpay.EventOfStatus(st)
		if !ok {
			state, err = store.OrderStateOf(ctx, tx, orderID)
			return err
		}
		before, after, err := store.ApplyPaymentEvent(ctx, tx, orderID, ev, s.now())
		if err != nil {
			return err
		}
		state = after
		if after != before {
			s.audit(ctx, tx, "acquiring.order_"+string(after), st.OrderNumber, map[string]any{"by": "status", "order_status": int(st.OrderStatus), "from": string(before)})
		}
		return nil
	})
	return state, err
}

func (s *Service) audit(ctx context.Context, db store.DBTX, action, orderNumber string, details map[string]any) {
	if err := store.Audit(ctx, db, store.AuditEntry{ActorKind: "system", Action: action, ObjectKind: "acquiring_order",
		ObjectID: orderNumber, Details: details}); err != nil && !errors.Is(err, context.Canceled) {
		s.Logger.ErrorContext(ctx, "onlinepay: audit", "action", action, "error", err)
	}
}
