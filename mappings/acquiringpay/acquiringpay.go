// Package acquiringpay maps what the acquiring gateway says (callbacks,
// status answers) to the canonical payment events of an order.
package acquiringpay

import (
	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// EventOfCallback is the event a verified callback reports; ok is false for a
// callback that reports nothing to apply (an operation that failed, status 0).
func EventOfCallback(c acquiring.Callback) (ev model.PaymentEvent, ok bool) {
	if !c.Success {
		return "", false
	}
	switch c.Operation {
	case acquiring.OpApproved:
		return model.EventApproved, true
	case acquiring.OpDeposited:
		return model.EventDeposited, true
	case acquiring.OpReversed:
		return model.EventReversed, true
	case acquiring.OpRefunded:
		return model.EventRefunded, true
	case acquiring.OpDeclinedByTimeout:
		return model.EventExpired, true
	}
	return "", false
}

// EventOfStatus is the event a status answer tells; ok is false while the
// order waits for the payer (registered, 3-D Secure in progress). A partial
// refund leaves the order deposited.
func EventOfStatus(s acquiring.Status) (ev model.PaymentEvent, ok bool) {
	switch s.OrderStatus {
	case acquiring.StatusApproved:
		return model.EventApproved, true
	case acquiring.StatusDeposited:
		return model.EventDeposited, true
	case acquiring.StatusReversed:
		return model.EventReversed, true
	case acquiring.StatusRefunded:
		return model.EventRefunded, true
	case acquiring.StatusDeclined:
		if s.ActionCode == acquiring.ActionExpired {
			return model.EventExpired, true
		}
		return model.EventDeclined, true
	}
	return "", false
}
