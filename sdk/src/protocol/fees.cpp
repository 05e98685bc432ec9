// Fee arithmetic on exact decimals. Boost.Multiprecision's cpp_int carries the big
// intermediate products (a 32-digit cjfee times an amount does not fit in 128 bits).
#include <jm/protocol/fees.hpp>

#include <boost/multiprecision/cpp_int.hpp>

namespace jm::protocol {

using boost::multiprecision::cpp_int;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

// value = num / 10^scale
struct Rational {
    cpp_int num;
    unsigned scale = 0;
};

cpp_int pow10(unsigned n) {
    cpp_int r = 1;
    for (unsigned i = 0; i < n; ++i)
        r *= 10;
    return r;
}

Rational toRational(const Decimal& d) {
    Rational r;
    r.num = cpp_int(d.digits);
    if (d.exponent >= 0)
        r.num *= pow10(static_cast<unsigned>(d.exponent));
    else
        r.scale = static_cast<unsigned>(-d.exponent);
    return r;
}

// round(num / den) with ties to even; num >= 0, den > 0.
cpp_int roundHalfEven(const cpp_int& num, const cpp_int& den) {
    cpp_int q = num / den, r = num % den;
    cpp_int twice = r * 2;
    if (twice > den || (twice == den && (q & 1) != 0)) ++q;
    return q;
}

jm::sdk::Result<std::int64_t> toInt64(const cpp_int& v) {
    if (v < 0 || v > MAX_MONEY) return fail(errc::protocol_error, "fee out of range");
    return v.convert_to<std::int64_t>();
}

} // namespace

jm::sdk::Result<std::int64_t> realCjfee(std::string_view ordertype, std::string_view cjfee, std::int64_t cj_amount) {
    auto type = offerTypeFromName(ordertype);
    if (!type) return fail(errc::protocol_error, "unknown order type '" + std::string(ordertype.substr(0, 20)) + "'");
    auto d = parseDecimal(cjfee);
    if (!d) return d.error();
    if (!isRelative(*type)) {
        if (d->exponent < 0) return fail(errc::protocol_error, "absolute cjfee is not an integer");
        return toInt64(toRational(*d).num);
    }
    auto r = toRational(*d);
    return toInt64(roundHalfEven(r.num * cj_amount, pow10(r.scale)));
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
    SweepResult out;
    std::int64_t offer_txfees = 0, abs_fees = 0;
    // Σ rel fees as one fraction over 10^scale.
    cpp_int rel_num = 0;
    unsigned scale = 0;
    for (const auto& o : offers) {
        offer_txfees += o.txfee;
        auto d = parseDecimal(o.cjfee);
        if (!d) return d.error();
        if (!isRelative(o.type)) {
            auto fee = realCjfee(o, 0);
            if (!fee) return fee.error();
            abs_fees += *fee;
            continue;
        }
        auto r = toRational(*d);
        if (r.scale > scale) {
            rel_num *= pow10(r.scale - scale);
            scale = r.scale;
        }
        rel_num += r.num * pow10(scale - r.scale);
    }
    out.taker_txfee = std::max<std::int64_t>(total_txfee - offer_txfees, 0);
    cpp_int numerator = cpp_int(total_input - out.taker_txfee - abs_fees) * pow10(scale);
    cpp_int denominator = pow10(scale) + rel_num;
    if (numerator < 0) return fail(errc::insufficient_funds, "the fees exceed the amount swept");
    auto cj = toInt64(roundHalfEven(numerator, denominator));
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
    cpp_int rel_num = 0;
    unsigned scale = 0;
    for (const auto& f : relative_fees) {
        auto d = parseDecimal(f);
        if (!d) return d.error();
        auto r = toRational(*d);
        if (r.scale > scale) {
            rel_num *= pow10(r.scale - scale);
            scale = r.scale;
        }
        rel_num += r.num * pow10(scale - r.scale);
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
