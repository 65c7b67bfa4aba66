package model

import "testing"

func TestNextOrderState(t *testing.T) {
	for _, tc := range []struct {
		cur  OrderState
		ev   PaymentEvent
		want OrderState
	}{
		{OrderRegistered, EventApproved, OrderPaid},
		{OrderRegistered, EventDeposited, OrderDeposited},
		{OrderPaid, EventDeposited, OrderDeposited},
		{OrderDeposited, EventApproved, OrderDeposited},  // out of order: deposited before approved
		{OrderDeposited, EventDeposited, OrderDeposited}, // duplicate
		{OrderPaid, EventDeclined, OrderPaid},            // a late decline cannot undo money
		{OrderRegistered, EventDeclined, OrderDeclined},
		{OrderRegistered, EventExpired, OrderExpired},
		{OrderExpired, EventDeposited, OrderDeposited}, // the bank says the money came after all
		{OrderPaid, EventReversed, OrderDeclined},
		{OrderDeposited, EventReversed, OrderDeposited},
		{OrderDeposited, EventRefunded, OrderRefunded},
		{OrderRefunded, EventDeposited, OrderRefunded},
		{OrderRegistered, EventRefunded, OrderRegistered},
	} {
		if got := NextOrderState(tc.cur, tc.ev); got != tc.want {
			t.Errorf("%s + %s = %s, want %s", tc.cur, tc.ev, got, tc.want)
		}
	}
}
