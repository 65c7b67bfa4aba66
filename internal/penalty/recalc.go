package penalty

import (
	"fmt"
	"time"
)

// Diff is what a change of the table (a retroactive decree such as ПП № 329) changes in an account's
// penalties: both results in full, and per period the old and new amount. It is the recalculation line of
// the payment document (ПД раздел 6): Delta < 0 reduces the penalty.
type Diff struct {
	Old     Result       `json:"old"`
	New     Result       `json:"new"`
	Delta   int64        `json:"delta"`
	Periods []PeriodDiff `json:"periods"`
}

// PeriodDiff is one period's penalty under the old and the new table.
type PeriodDiff struct {
	Period time.Time `json:"period"`
	Old    int64     `json:"old"`
	New    int64     `json:"new"`
	Delta  int64     `json:"delta"`
}

// Recalculate computes the same input under two tables. Every period appears, changed or not, so a
// receipt can print the ones with a Delta and an operator can see the rest did not move.
func Recalculate(old, new *Rules, in Input) (Diff, error) {
	o, err := old.Compute(in)
	if err != nil {
		return Diff{}, fmt.Errorf("recalculate penalty: old table: %w", err)
	}
	n, err := new.Compute(in)
	if err != nil {
		return Diff{}, fmt.Errorf("recalculate penalty: new table: %w", err)
	}
	d := Diff{Old: o, New: n, Delta: n.Total - o.Total, Periods: make([]PeriodDiff, len(o.Periods))}
	// Both results hold the same debts in the same period order.
	for i := range o.Periods {
		d.Periods[i] = PeriodDiff{Period: o.Periods[i].Period, Old: o.Periods[i].Amount, New: n.Periods[i].Amount,
			Delta: n.Periods[i].Amount - o.Periods[i].Amount}
	}
	return d, nil
}
