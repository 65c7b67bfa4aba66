package model

// OrderState is the state of an online payment order (internet acquiring).
type OrderState string

// The states of an order. Paid («принят банком») and deposited count as money received; declined,
// expired and refunded do not.
const (
	OrderCreated    OrderState = "created"    // stored, not yet registered with the acquirer
	OrderRegistered OrderState = "registered" // registered; the payer is on the payment page
	OrderPaid       OrderState = "paid"       // approved by the bank: «принят банком»
	OrderDeposited  OrderState = "deposited"  // money taken by the bank
	OrderDeclined   OrderState = "declined"   // declined by the bank or reversed before deposit
	OrderRefunded   OrderState = "refunded"   // returned in full to the payer
	OrderExpired    OrderState = "expired"    // the payer did not pay in time
)

// Counts tells whether an order in this state is money received.
func (s OrderState) Counts() bool { return s == OrderPaid || s == OrderDeposited }

// Final tells whether nothing but a refund can follow.
func (s OrderState) Final() bool {
	return s == OrderDeposited || s == OrderDeclined || s == OrderRefunded || s == OrderExpired
}

// PaymentEvent is what the acquirer says happened to an order, by callback or status query.
type PaymentEvent string

// The events.
const (
	EventApproved  PaymentEvent = "approved"
	EventDeposited PaymentEvent = "deposited"
	EventDeclined  PaymentEvent = "declined"
	EventExpired   PaymentEvent = "expired"
	EventReversed  PaymentEvent = "reversed"
	EventRefunded  PaymentEvent = "refunded"
)

// NextOrderState is the order's state after ev. Events may come duplicated,
// late and out of order, so a state never goes back: a deposit outranks an
// approval, a decline cannot undo money received, and money the bank reports
// taken is taken even after the order was given up as expired.
func NextOrderState(cur OrderState, ev PaymentEvent) OrderState {
	waiting := cur == OrderCreated || cur == OrderRegistered
	switch ev {
	case EventApproved:
		if waiting {
			return OrderPaid
		}
	case EventDeposited:
		if waiting || cur == OrderPaid || cur == OrderDeclined || cur == OrderExpired {
			return OrderDeposited
		}
	case EventDeclined:
		if waiting {
			return OrderDeclined
		}
	case EventExpired:
		if waiting {
			return OrderExpired
		}
	case EventReversed:
		if waiting || cur == OrderPaid {
			return OrderDeclined
		}
	case EventRefunded:
		if cur == OrderPaid || cur == OrderDeposited {
			return OrderRefunded
		}
	}
	return cur
}
