// Package penalty computes пени on housing, utility and capital-repair debts (ЖК РФ ст. 155 ч. 14 and
// 14.1) from a dated table. It is pure: no database, no I/O beyond reading a table.
//
// # The rule
//
// Each month's unpaid principal accrues on its own; penalties never accrue on penalties. Day 1 is the day
// after the due date. Housing (ч. 14): days 1–30 are free, days 31–90 accrue 1/300 of the rate per day,
// day 91 on 1/130. Capital repair (ч. 14.1): 1/300 from day 1, with no free days and no 1/130 step — the law
// says "начиная со следующего дня после наступления установленного срока оплаты" (quoted by regional
// funds, e.g. fkr-alania.ru 2023, tkgorod.ru 2016); the older research note's "from day 31" was memory.
// The day a payment is made is still a penalty day for the amount it pays ("по день фактической оплаты
// включительно"), and so is the calculation day for an amount still unpaid.
//
// The due date is the 10th of the month after the billed one; for bills from February 2026 on (due after
// the law of 01.03.2026) the 15th. A Debt may carry its own due date instead.
//
// The annual rate of a penalty day comes from the regime in force on that day:
//   - statutory: the key rate (ЖК РФ ст. 155);
//   - fixed: a set percent (ПП № 474: 9.5 % from 28.02.2022 to 31.12.2022);
//   - min_cap: the key rate, but not above a percent (ПП № 1681: 2023–2024; ПП № 329 of 18.03.2025: 2025–2026,
//     retroactive to 01.01.2025).
//
// The key rate a regime reads is, by default, the one in force on the day the amount is paid — or on the
// calculation day while it is unpaid ("действующей на день фактической оплаты"); a regime may instead read
// each day's key rate (key_rate_on "each_day"). So the regime is chosen per penalty day and the key-rate
// input per payment: a debt paid in 2023 of which some days fall in 2022 gets 9.5 % for the 2022 days and
// min(9.5 %, key rate on the payment day) for the 2023 days.
//
// Moratoria suspend accrual on their days (both ends inclusive); the count of days since the due date runs
// on through them, so a debt can stop at 1/300 and restart at 1/130. ПП № 424: 06.04.2020–31.12.2020, every
// debt. ПП № 497: 01.04.2022–01.10.2022, only debts of billing periods before April 2022 (obligations that
// arose before the moratorium).
//
// # Allocation
//
// Payments dated after the calculation day are not counted. The others are applied in date order: a
// payment naming a period (registry ММГГ, QR PaymPeriod) pays that period first, and whatever is left pays
// the oldest unpaid periods first (ГК РФ ст. 319.1). Money beyond every debt is an advance; a debt paid from
// it by its due date accrues nothing.
//
// # Arithmetic
//
// Money is int64 kopecks. Rates are exact integers of 1/10 000 %. A period's penalty is the exact sum of
// base × rate × days / divisor over its parts and spans (a 128-bit integer numerator over one common
// denominator, equal to a math/big.Rat sum; a test checks it against a day-by-day big.Rat reference), rounded
// once, half up, to kopecks. The account's total is the sum of the rounded periods, as a receipt prints
// them. Spans carry their shares rounded cumulatively, so an explanation adds up to the line.
//
// # The table
//
// The default table is rules.json beside this file, embedded (Default). Load reads another in the same
// format; errors name the line and the field. Fields:
//
//	name                    text describing the table
//	key_rates_known_until   last day the key-rate series is complete; later days are refused
//	key_rates[]             {from: YYYY-MM-DD, percent: "16.00"}, increasing
//	regimes[]               {from, mode: statutory|fixed|min_cap, percent (fixed, min_cap),
//	                         key_rate_on: payment|each_day, categories: [..] (default all), basis}
//	                        each in force until the next one's from
//	moratoria[]             {from, to (inclusive), debts_before: YYYY-MM (only periods before it),
//	                         categories, basis}
//	categories{name}        {due: [{from_period: YYYY-MM, day}], bands: [{from_period,
//	                         steps: [{from_day, divisor}]}]} — housing: steps 31:300, 91:130;
//	                         capital_repair: 1:300
//
// A new decree is a new table: Recalculate runs an input under the old and the new table and returns the
// per-period difference for the recalculation section of the payment document.
package penalty
