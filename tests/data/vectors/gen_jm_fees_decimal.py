#!/usr/bin/env python3
"""Generates jm_fees_decimal.json: CoinJoin fee vectors near the .5 rounding boundaries with
relative cjfees of 28-32 significant digits, where REF's arithmetic differs from exact math.

REF (joinmarket-clientserver) does its fee math with Python's decimal module in the default
context (prec=28, ROUND_HALF_EVEN; REF never changes it). Every operation rounds its exact
result to 28 significant digits before the next step sees it, so for long cjfees the result can
differ from rounding the exact value once. The expected values here come from Python's decimal
module with that context; the formulas are REF's (jmclient/support.py calc_cj_fee and
choose_sweep_orders' calc_zero_change_cj_amount, jmclient/maker.py change). Exact rational
results (fractions.Fraction) are recorded where they would give a different answer.

Usage: python3 gen_jm_fees_decimal.py > jm_fees_decimal.json   (deterministic: fixed seed)
"""

import decimal
import json
import random
import sys
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

SEED = 20
MAX_MONEY = 21_000_000 * 100_000_000
REL_TYPES = ["sw0reloffer", "swreloffer", "reloffer"]
ABS_TYPES = ["sw0absoffer", "swabsoffer", "absoffer"]

# REF's context: Python's default. Set it explicitly so the script does not depend on the
# interpreter's defaults, and check they are the same thing REF runs with.
REF_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
assert decimal.DefaultContext.prec == 28 and decimal.DefaultContext.rounding == ROUND_HALF_EVEN
decimal.setcontext(REF_CONTEXT)
# A wide context for constructing inputs only (never for expected values).
WIDE = Context(prec=120, rounding=ROUND_HALF_EVEN)


def ref_calc_cj_fee(ordertype, cjfee, cj_amount):
    """REF calc_cj_fee, in the REF context."""
    if ordertype in ABS_TYPES:
        return int(cjfee)
    return int((Decimal(cjfee) * Decimal(cj_amount)).quantize(Decimal(1)))


def exact_round_half_even(q):
    """Rounds a Fraction >= 0 half to even, once, exactly."""
    n, r = divmod(q.numerator, q.denominator)
    if 2 * r > q.denominator or (2 * r == q.denominator and n % 2 == 1):
        n += 1
    return n


def exact_cj_fee(cjfee, cj_amount):
    return exact_round_half_even(Fraction(Decimal(cjfee)) * cj_amount)


def ref_sweep(total_input, total_txfee, offers):
    """REF choose_sweep_orders.calc_zero_change_cj_amount, then calc_cj_fee per offer."""
    sumabsfee = 0
    sumrelfee = Decimal("0")
    sumtxfee = 0
    for o in offers:  # summed in list order, as REF sums its chosen orders
        sumtxfee += o["txfee"]
        if o["ordertype"] in ABS_TYPES:
            sumabsfee += int(o["cjfee"])
        else:
            sumrelfee += Decimal(o["cjfee"])
    my_txfee = max(total_txfee - sumtxfee, 0)
    cjamount = (total_input - my_txfee - sumabsfee) / (1 + sumrelfee)
    cjamount = int(cjamount.quantize(Decimal(1)))
    estimate = int(sumabsfee + sumrelfee * cjamount)
    fees = [ref_calc_cj_fee(o["ordertype"], o["cjfee"], cjamount) for o in offers]
    residual = total_input - my_txfee - cjamount - sum(fees)
    return my_txfee, cjamount, fees, residual, estimate


def exact_sweep_amount(total_input, total_txfee, offers):
    sumabs = sum(int(o["cjfee"]) for o in offers if o["ordertype"] in ABS_TYPES)
    sumrel = sum((Fraction(Decimal(o["cjfee"])) for o in offers if o["ordertype"] in REL_TYPES), Fraction(0))
    my_txfee = max(total_txfee - sum(o["txfee"] for o in offers), 0)
    return exact_round_half_even(Fraction(total_input - my_txfee - sumabs) / (1 + sumrel))


def round_sig(x, digits, rounding):
    """x (a WIDE-context Decimal) to `digits` significant digits."""
    return Context(prec=digits, rounding=rounding).plus(x)


def render(rng, c):
    """One of the notations makers use on the wire (plain, Python str, scientific)."""
    style = rng.randrange(3)
    if style == 0:
        return format(c, "f")
    if style == 1:
        return str(c)
    return format(c, "E")


def sig_digits(c):
    return len(c.as_tuple().digits)


def long_cjfee(rng, target, digits):
    """A cjfee of `digits` significant digits within a few units in the last place of target."""
    mode = rng.choice([ROUND_FLOOR, ROUND_CEILING, ROUND_HALF_EVEN])
    c = round_sig(target, digits, mode)
    ulp = Decimal(1).scaleb(c.adjusted() - digits + 1)
    return WIDE.add(c, WIDE.multiply(Decimal(rng.randint(-3, 3)), ulp))


def gen_cjfee_rows(rng, count):
    rows = []
    differing = 0
    while len(rows) < count:
        magnitude = rng.randint(4, 15)
        cj_amount = min(rng.randint(10**magnitude, 10 ** (magnitude + 1)), MAX_MONEY)
        rate = 10 ** rng.uniform(-9, -0.4)
        fee = int(cj_amount * rate)
        digits = rng.randint(28, 32)
        target = WIDE.divide(WIDE.add(Decimal(fee), Decimal("0.5")), Decimal(cj_amount))
        c = long_cjfee(rng, target, digits)
        if not (Decimal(0) < c < 1) or c.as_tuple().exponent < -40 or sig_digits(c) < 28:
            continue
        text = render(rng, c)
        if len(text) > 80:
            continue
        ordertype = rng.choice(REL_TYPES)
        real = ref_calc_cj_fee(ordertype, text, cj_amount)
        exact = exact_cj_fee(text, cj_amount)
        product = Decimal(text) * Decimal(cj_amount)  # REF's product, rounded by the context
        # The maker's change for this fee (REF maker.py): inputs - amount - txfee + real_cjfee.
        inputs_total = cj_amount + rng.randint(0, 10 ** rng.randint(3, 9))
        txfee = rng.randint(0, 5000)
        row = {
            "ordertype": ordertype,
            "cjfee": text,
            "cj_amount": cj_amount,
            "real_cjfee": real,
            "exact_product": str(WIDE.multiply(Decimal(text), Decimal(cj_amount))),
            "context_product": str(product),
            "maker_inputs_total": inputs_total,
            "maker_txfee": txfee,
            "expected_maker_change": inputs_total - cj_amount - txfee + real,
        }
        if exact != real:
            row["exact_rounding_would_give"] = exact
            differing += 1
        rows.append(row)
    return rows, differing


def gen_sweep_rows(rng, count):
    """Sweeps whose (1 + Σ rel fees) and quotient are built to land near a .5 boundary."""
    rows = []
    differing = 0
    n = 0
    while len(rows) < count:
        n += 1
        total_input = rng.randint(10 ** rng.randint(5, 14), 10 ** 15)
        total_txfee = rng.randint(1000, 50000)
        offers = []
        n_abs = rng.randint(0, 2)
        for _ in range(n_abs):
            offers.append({"ordertype": rng.choice(ABS_TYPES), "cjfee": str(rng.randint(0, 5000)),
                           "txfee": rng.randint(0, 1000)})
        n_rel = rng.randint(1, 3)
        rel_txfees = [rng.randint(0, 1000) for _ in range(n_rel)]
        sumtx = sum(o["txfee"] for o in offers) + sum(rel_txfees)
        my_txfee = max(total_txfee - sumtx, 0)
        available = total_input - my_txfee - sum(int(o["cjfee"]) for o in offers)
        # Pick the total relative fee s so that available / (1 + s) is K + 1/2 exactly, then
        # split s into n_rel long cjfees (the last one absorbs the rest).
        rate = Decimal(10 ** rng.uniform(-6, -1.5))
        k = int(Decimal(available) / (1 + rate))
        s = WIDE.subtract(WIDE.divide(Decimal(available), WIDE.add(Decimal(k), Decimal("0.5"))), Decimal(1))
        parts = []
        rest = s
        for i in range(n_rel - 1):
            share = round_sig(WIDE.multiply(rest, Decimal(rng.uniform(0.2, 0.6))), rng.randint(28, 32),
                              ROUND_HALF_EVEN)
            parts.append(share)
            rest = WIDE.subtract(rest, share)
        parts.append(long_cjfee(rng, rest, rng.randint(28, 32)))
        if any(not (Decimal(0) < p < 1) or p.as_tuple().exponent < -40 for p in parts):
            continue
        for p, txfee in zip(parts, rel_txfees):
            offers.insert(rng.randint(0, len(offers)), {"ordertype": rng.choice(REL_TYPES), "cjfee": render(rng, p),
                                                       "txfee": txfee})
        if any(len(o["cjfee"]) > 80 for o in offers):
            continue
        my_txfee, cj_amount, fees, residual, estimate = ref_sweep(total_input, total_txfee, offers)
        if cj_amount <= 0:
            continue
        row = {
            "total_input": total_input,
            "total_txfee": total_txfee,
            "offers": offers,
            "taker_txfee": my_txfee,
            "cj_amount": cj_amount,
            "maker_fees": fees,
            "taker_residual": residual,
            "reference_total_fee_estimate": estimate,
        }
        exact = exact_sweep_amount(total_input, total_txfee, offers)
        if exact != cj_amount:
            row["exact_rounding_would_give"] = exact
            differing += 1
        rows.append(row)
    return rows, differing


# Wire spellings of cjfee: what Python's int() (absolute) and Decimal() (relative) make of them,
# which is what REF's orderbook and calc_cj_fee read. jmnode accepts the same spellings and
# deliberately refuses a few REF would take (negative, whitespace, non-ASCII digits, NaN/Inf):
# refusing an offer only leaves it out of the taker's book.
GRAMMAR = [
    ("sw0absoffer", "+5", None), ("sw0absoffer", "1_000", None), ("sw0absoffer", "007", None),
    ("sw0absoffer", "0_0", None), ("sw0absoffer", "1_2_3", None), ("sw0absoffer", "000000000000000000000000000000042", None),
    ("sw0absoffer", "1e3", None), ("sw0absoffer", "5.0", None), ("sw0absoffer", "1__0", None),
    ("sw0absoffer", "_1", None), ("sw0absoffer", "1_", None), ("sw0absoffer", "+_1", None), ("sw0absoffer", "++1", None),
    ("sw0absoffer", "", None), ("sw0absoffer", "0x10", None),
    ("sw0absoffer", "-5", "negative"), ("sw0absoffer", " 5", "whitespace"), ("sw0absoffer", "\u0663", "non-ASCII digit"),
    ("sw0reloffer", "+0.0002", None), ("sw0reloffer", "0.000_2", None), ("sw0reloffer", "_0.0002", None),
    ("sw0reloffer", "0.0002_", None), ("sw0reloffer", "0.0_0_0_2", None), ("sw0reloffer", "2e-4", None),
    ("sw0reloffer", "2E-0_4", None), ("sw0reloffer", "+_2E-4", None), ("sw0reloffer", ".0002", None),
    ("sw0reloffer", "2.E-4", None), ("sw0reloffer", "2e+-4", None), ("sw0reloffer", "2e", None),
    ("sw0reloffer", ".", None), ("sw0reloffer", "", None), ("sw0reloffer", "++0.1", None), ("sw0reloffer", "0.1.2", None),
    ("sw0reloffer", "-0.0002", "negative"), ("sw0reloffer", "NaN", "not a finite number"),
    ("sw0reloffer", "Infinity", "not a finite number"), ("sw0reloffer", "0.0002\t", "whitespace"),
]


def ref_orderbook_accepts(ordertype, text):
    """REF orderbookwatch.on_order_seen: int() for absolute types, Decimal() for the others."""
    try:
        int(text) if ordertype in ABS_TYPES else Decimal(text)
        return True
    except (ValueError, decimal.InvalidOperation):
        return False


def gen_grammar_rows():
    rows = []
    cj_amount = 12_500_000
    for ordertype, text, jmnode_refuses in GRAMMAR:
        row = {"ordertype": ordertype, "cjfee": text, "cj_amount": cj_amount,
               "ref_accepts": ref_orderbook_accepts(ordertype, text)}
        if jmnode_refuses:
            assert row["ref_accepts"], text
            row["jmnode_refuses"] = jmnode_refuses
        elif row["ref_accepts"]:
            row["real_cjfee"] = ref_calc_cj_fee(ordertype, text, cj_amount)
        rows.append(row)
    return rows


def main():
    rng = random.Random(SEED)
    cjfee_rows, cjfee_differing = gen_cjfee_rows(rng, 300)
    sweep_rows, sweep_differing = gen_sweep_rows(rng, 60)
    out = {
        "source": "generated by tests/data/vectors/gen_jm_fees_decimal.py (seed %d) with Python %s's decimal module "
                  "in REF's context (prec=28, ROUND_HALF_EVEN: Python's default, which REF uses unchanged); formulas "
                  "of joinmarket-clientserver 0.9.12 src/jmclient/support.py calc_cj_fee and choose_sweep_orders "
                  "(calc_zero_change_cj_amount), src/jmclient/maker.py (change), src/jmdaemon/orderbookwatch.py "
                  "(int() for absolute cjfees, Decimal() for relative). Cross-checked once, outside this script, "
                  "against REF's own calc_cj_fee and choose_sweep_orders loaded from the unmodified 0.9.12 source: "
                  "no mismatch"
                  % (SEED, sys.version.split()[0]),
        "description": "Relative cjfees of 28-32 significant digits whose product with the amount lies near a .5 "
                       "boundary. REF computes int((Decimal(cjfee) * Decimal(cj_amount)).quantize(Decimal(1))): "
                       "the product is first rounded to 28 significant digits half-even (context_product), then "
                       "quantized half-even. exact_product is the unrounded product; exact_rounding_would_give "
                       "(present only where it differs) is what rounding the exact value once gives. "
                       "expected_maker_change = maker_inputs_total - cj_amount - maker_txfee + real_cjfee. "
                       "sweeps: REF cj_amount = quantize((total_input - taker_txfee - sum abs) / (1 + sum rel)) "
                       "with sum rel accumulated in the listed offer order, every +, / rounded to 28 digits. "
                       "grammar: wire spellings of cjfee; ref_accepts says whether REF's orderbook takes it "
                       "(int() for absolute types, Decimal() for relative ones); real_cjfee is present where "
                       "jmnode must accept it with that fee; jmnode_refuses marks spellings REF accepts but jmnode "
                       "deliberately refuses.",
        "counts": {"cjfee": len(cjfee_rows), "cjfee_differing_from_exact": cjfee_differing,
                   "sweeps": len(sweep_rows), "sweeps_differing_from_exact": sweep_differing},
        "cjfee": cjfee_rows,
        "sweeps": sweep_rows,
        "grammar": gen_grammar_rows(),
    }
    json.dump(out, sys.stdout, indent=1, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
