// Fee arithmetic as REF does it with Python's decimal module. Boost.Multiprecision's cpp_int
// carries the exact intermediate values (a 32-digit cjfee times an amount does not fit in 128
// bits). The 28-digit context rounding is written out by hand: Boost has no decimal type that
// rounds every result to a set number of significant decimal digits half to even, as Python's
// decimal context does (cpp_dec_float keeps guard digits and does not round that way).
#include <jm/protocol/fees.hpp>

#include <boost/multiprecision/cpp_int.hpp>

#include <algorithm>

namespace jm::protocol {

using boost::multiprecision::cpp_int;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

// REF never touches Python's default decimal context: prec=28, ROUND_HALF_EVEN. Each +, ×, ÷
// computes the exact result and rounds it to 28 significant digits before anything else sees
// it; quantize(Decimal(1)) then rounds that to an integer, again half to even.
constexpr int REF_PRECISION = 28;

// A non-negative decimal: value = coeff × 10^exp (every value in the fee math is >= 0).
struct RefDecimal {
    cpp_int coeff;
    int exp = 0;
};

cpp_int pow10(int n) {
    cpp_int r = 1;
    for (int i = 0; i < n; ++i)
        r *= 10;
    return r;
}

int digitCount(const cpp_int& v) { return static_cast<int>(v.str().size()); }

// round(num / den) with ties to even; num >= 0, den > 0.
cpp_int roundHalfEven(const cpp_int& num, const cpp_int& den) {
    cpp_int q = num / den, r = num % den;
    cpp_int twice = r * 2;
    if (twice > den || (twice == den && (q & 1) != 0)) ++q;
    return q;
}

// The context step: the exact value num / den × 10^exp (num >= 0, den > 0) rounded to
// REF_PRECISION significant digits, half to even — what Python returns for an operation whose
// exact result that is. A result that already fits is returned unchanged in value.
RefDecimal contextRound(const cpp_int& num, const cpp_int& den, int exp) {
    if (num == 0) return {0, 0};
    // num/den lies in (10^(D−1), 10^(D+1)) for D = digits(num) − digits(den); scaled by
    // 10^shift its integer part has REF_PRECISION digits, or one more (then shift one less).
    int shift = REF_PRECISION - (digitCount(num) - digitCount(den));
    auto scaledQuotient = [&](int s, bool rounded) {
        cpp_int n = s >= 0 ? num * pow10(s) : num;
        cpp_int d = s >= 0 ? den : den * pow10(-s);
        return rounded ? roundHalfEven(n, d) : cpp_int(n / d);
    };
    if (scaledQuotient(shift, false) >= pow10(REF_PRECISION)) --shift;
    RefDecimal out{scaledQuotient(shift, true), exp - shift};
    if (out.coeff == pow10(REF_PRECISION)) { // 99…9.5 rounded up to 10^28: same value, 28 digits
        out.coeff /= 10;
        ++out.exp;
    }
    return out;
}

RefDecimal contextMultiply(const RefDecimal& a, const RefDecimal& b) {
    return contextRound(a.coeff * b.coeff, 1, a.exp + b.exp);
}

RefDecimal contextAdd(const RefDecimal& a, const RefDecimal& b) {
    int exp = std::min(a.exp, b.exp);
    return contextRound(a.coeff * pow10(a.exp - exp) + b.coeff * pow10(b.exp - exp), 1, exp);
}

// int / Decimal as Python evaluates it: the integer converts exactly, the quotient is rounded.
RefDecimal contextDivide(const cpp_int& num, const RefDecimal& den) { return contextRound(num, den.coeff, -den.exp); }

// Decimal.quantize(Decimal(1)): to an integer, half to even. REF's quantize signals
// InvalidOperation when the integer has more than 28 digits; such values are far beyond
// MAX_MONEY, so the range check that follows refuses them the same.
cpp_int quantizeToInteger(const RefDecimal& v) {
    if (v.exp >= 0) return v.coeff * pow10(v.exp);
    return roundHalfEven(v.coeff, pow10(-v.exp));
}

// Decimal(cjfee) in REF: exact, whatever the precision.
RefDecimal fromDecimal(const Decimal& d) { return {cpp_int(d.digits), d.exponent}; }

jm::sdk::Result<std::int64_t> toInt64(const cpp_int& v) {
    if (v < 0 || v > MAX_MONEY) return fail(errc::protocol_error, "fee out of range");
    return v.convert_to<std::int64_t>();
}

} // namespace

jm::sdk::Result<std::int64_t> realCjfee(std::string_view ordertype, std::string_view cjfee, std::int64_t cj_amount) {
    auto type = offerTypeFromName(ordertype);
    if (!type) return fail(errc::protocol_error, "unknown order type '" + std::string(ordertype.substr(0, 20)) + "'");
    if (cj_amount < 0) return fail(errc::protocol_error, "negative CoinJoin amount");
    auto d = parseCjfee(*type, cjfee);
    if (!d) return d.error();
    if (!isRelative(*type)) return toInt64(cpp_int(d->digits)); // int(cjfee)
    // int((Decimal(cjfee) * Decimal(cj_amount)).quantize(Decimal(1)))
    return toInt64(quantizeToInteger(contextMultiply(fromDecimal(*d), RefDecimal{cj_amount, 0})));
}

jm::sdk::Result<std::int64_t> realCjfee(const Offer& offer, std::int64_t cj_amount) {
    return realCjfee(toString(offer.type), offer.cjfee, cj_amount);
}

std::int64_t makerChange(std::int64_t inputs_total, std::int64_t cj_amount, std::int64_t txfee,
                         std::int64_t real_cjfee) {
    return inputs_total - cj_amount - txfee + real_cjfee;
}

jm::sdk::Result<SweepResult> sweepAmount(std::int64_t total_input, std::int64_t total_txfee,
                                         const std::vector<Offer>& offers) {
    // REF choose_sweep_orders (calc_zero_change_cj_amount): integer sums are exact, Σ rel fees
    // is a Decimal accumulated offer by offer (each addition rounded to 28 digits, so the order
    // of `offers` can matter in the last place).
    cpp_int offer_txfees = 0, abs_fees = 0;
    RefDecimal rel_fees{0, 0};
    for (const auto& o : offers) {
        offer_txfees += o.txfee;
        auto d = parseCjfee(o.type, o.cjfee);
        if (!d) return d.error();
        if (isRelative(o.type))
            rel_fees = contextAdd(rel_fees, fromDecimal(*d));
        else
            abs_fees += cpp_int(d->digits);
    }
    SweepResult out;
    cpp_int taker_txfee = std::max<cpp_int>(cpp_int(total_txfee) - offer_txfees, 0);
    cpp_int available = cpp_int(total_input) - taker_txfee - abs_fees;
    if (taker_txfee > MAX_MONEY) return fail(errc::protocol_error, "transaction fee out of range");
    out.taker_txfee = taker_txfee.convert_to<std::int64_t>();
    if (available < 0) return fail(errc::insufficient_funds, "the fees exceed the amount swept");
    // (total_input − my_txfee − Σ abs) / (1 + Σ rel), then quantize(Decimal(1)).
    auto cj = toInt64(quantizeToInteger(contextDivide(available, contextAdd(RefDecimal{1, 0}, rel_fees))));
    if (!cj) return cj.error();
    out.cj_amount = *cj;
    std::int64_t fees = 0;
    for (const auto& o : offers) {
        auto fee = realCjfee(o, out.cj_amount);
        if (!fee) return fee.error();
        out.maker_fees.push_back(*fee);
        fees += *fee;
    }
    out.taker_residual = total_input - out.taker_txfee - out.cj_amount - fees;
    return out;
}

jm::sdk::Result<std::pair<std::int64_t, std::vector<std::int64_t>>>
ngSweepAmount(std::int64_t available, const std::vector<std::string>& relative_fees) {
    // Exact floor(available / (1 + Σ fees)); each fee is then computed as REF computes it.
    cpp_int rel_num = 0;
    int scale = 0;
    for (const auto& f : relative_fees) {
        auto d = parseCjfee(OfferType::Sw0Rel, f);
        if (!d) return d.error();
        auto r = fromDecimal(*d);
        if (r.exp >= 0) {
            r.coeff *= pow10(r.exp);
            r.exp = 0;
        }
        if (-r.exp > scale) {
            rel_num *= pow10(-r.exp - scale);
            scale = -r.exp;
        }
        rel_num += r.coeff * pow10(scale + r.exp);
    }
    cpp_int amount = cpp_int(available) * pow10(scale) / (pow10(scale) + rel_num);
    for (std::int64_t cj = amount.convert_to<std::int64_t>(); cj > 0; --cj) {
        std::vector<std::int64_t> fees;
        std::int64_t total = cj;
        for (const auto& f : relative_fees) {
            auto fee = realCjfee("sw0reloffer", f, cj);
            if (!fee) return fee.error();
            fees.push_back(*fee);
            total += *fee;
        }
        if (total <= available) return std::make_pair(cj, fees);
    }
    return fail(errc::insufficient_funds, "nothing left to sweep after fees");
}

} // namespace jm::protocol
