#include <jm/protocol/commands.hpp>

#include <jm/bitcoin/encoding.hpp>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr std::pair<OfferType, std::string_view> OFFER_NAMES[] = {
    {OfferType::Sw0Rel, "sw0reloffer"}, {OfferType::Sw0Abs, "sw0absoffer"}, {OfferType::SwRel, "swreloffer"},
    {OfferType::SwAbs, "swabsoffer"},   {OfferType::Rel, "reloffer"},       {OfferType::Abs, "absoffer"}};

std::vector<std::string_view> fields(std::string_view args) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start <= args.size()) {
        auto pos = args.find(' ', start);
        out.push_back(args.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos || out.size() > 64) break;
        start = pos + 1;
    }
    return out;
}

bool parseInt(std::string_view s, std::int64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool isHex(std::string_view s, std::size_t len) {
    return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

} // namespace

std::string_view toString(OfferType t) noexcept {
    for (auto [type, name] : OFFER_NAMES)
        if (type == t) return name;
    return "unknown";
}

std::optional<OfferType> offerTypeFromName(std::string_view name) noexcept {
    for (auto [type, n] : OFFER_NAMES)
        if (n == name) return type;
    return std::nullopt;
}

bool isRelative(OfferType t) noexcept { return t == OfferType::Sw0Rel || t == OfferType::SwRel || t == OfferType::Rel; }

std::string Decimal::toString() const {
    if (digits == "0") return "0";
    if (exponent >= 0) return digits + std::string(static_cast<std::size_t>(exponent), '0');
    auto frac = static_cast<std::size_t>(-exponent);
    std::string d = digits;
    if (d.size() <= frac) d.insert(0, frac - d.size() + 1, '0');
    d.insert(d.size() - frac, ".");
    // Trailing zeros of the fraction carry no value.
    while (d.back() == '0')
        d.pop_back();
    if (d.back() == '.') d.pop_back();
    return d;
}

jm::sdk::Result<Decimal> parseDecimal(std::string_view text) {
    auto bad = [&] {
        return fail(errc::protocol_error, "'" + std::string(text.substr(0, 40)) + "' is not a decimal number");
    };
    if (text.empty() || text.size() > 80) return bad();
    std::string_view mantissa = text;
    int exponent = 0;
    if (auto e = text.find_first_of("eE"); e != std::string_view::npos) {
        mantissa = text.substr(0, e);
        auto exp_text = text.substr(e + 1);
        if (!exp_text.empty() && exp_text[0] == '+') {
            exp_text.remove_prefix(1);
            if (!exp_text.empty() && exp_text[0] == '-') return bad(); // "1e+-5": one sign only
        }
        auto [p, ec] = std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
        if (exp_text.empty() || ec != std::errc() || p != exp_text.data() + exp_text.size()) return bad();
    }
    auto dot = mantissa.find('.');
    std::string digits;
    for (std::size_t i = 0; i < mantissa.size(); ++i) {
        if (i == dot) continue;
        if (mantissa[i] < '0' || mantissa[i] > '9') return bad();
        digits.push_back(mantissa[i]);
    }
    if (digits.empty()) return bad();
    auto too_big = [&] {
        return fail(errc::protocol_error,
                    "decimal '" + std::string(text.substr(0, 40)) + "' has too many digits or too large an exponent");
    };
    if (exponent < -1000 || exponent > 1000) return too_big(); // keeps the adjustments below from overflowing
    if (dot != std::string_view::npos) exponent -= static_cast<int>(mantissa.size() - dot - 1);
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
    if (digits == "0") return Decimal{digits, 0};
    // Trailing zeros go into the exponent, so the limits apply to the value and toString()
    // reads back to the same Decimal ("1e32" prints 33 digits).
    auto last = digits.find_last_not_of('0');
    exponent += static_cast<int>(digits.size() - 1 - last);
    digits.resize(last + 1);
    if (digits.size() > 32 || exponent < -40 || exponent > 32) return too_big();
    return Decimal{digits, exponent};
}

namespace {

// Python's int() on a str, which REF applies to absolute cjfees.
jm::sdk::Result<Decimal> parseAbsoluteCjfee(std::string_view text) {
    auto bad = [&] {
        return fail(errc::protocol_error, "absolute cjfee '" + std::string(text.substr(0, 40)) +
                                              "' is not an integer (digits, optional '+', single '_' between digits)");
    };
    if (text.empty() || text.size() > 80) return bad();
    std::string_view body = text;
    bool negative = body[0] == '-';
    if (body[0] == '+' || negative) body.remove_prefix(1);
    std::string digits;
    bool after_digit = false;
    for (char c : body) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
            after_digit = true;
        } else if (c == '_' && after_digit) {
            after_digit = false;
        } else {
            return bad();
        }
    }
    if (!after_digit) return bad(); // empty, or a trailing '_'
    if (negative)
        return fail(errc::protocol_error,
                    "absolute cjfee '" + std::string(text.substr(0, 40)) + "' is a negative integer");
    digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
    if (digits.size() > 32)
        return fail(errc::protocol_error,
                    "absolute cjfee '" + std::string(text.substr(0, 40)) + "' is an integer with too many digits");
    return Decimal{digits, 0};
}

// Python's Decimal() on a str, which REF applies to relative cjfees: it drops every '_' first.
jm::sdk::Result<Decimal> parseRelativeCjfee(std::string_view text) {
    if (text.size() > 80)
        return fail(errc::protocol_error, "relative cjfee '" + std::string(text.substr(0, 40)) + "...' is too long");
    std::string s;
    std::copy_if(text.begin(), text.end(), std::back_inserter(s), [](char c) { return c != '_'; });
    std::string_view body = s;
    bool negative = !body.empty() && body[0] == '-';
    if (!body.empty() && (body[0] == '+' || negative)) body.remove_prefix(1);
    auto d = parseDecimal(body);
    if (!d) return d.error();
    if (negative)
        return fail(errc::protocol_error, "relative cjfee '" + std::string(text.substr(0, 40)) + "' is negative");
    return d;
}

} // namespace

jm::sdk::Result<Decimal> parseCjfee(OfferType type, std::string_view text) {
    return isRelative(type) ? parseRelativeCjfee(text) : parseAbsoluteCjfee(text);
}

jm::sdk::Result<Offer> parseOffer(const Command& command) {
    auto type = offerTypeFromName(command.name);
    if (!type) return fail(errc::protocol_error, "'" + command.name.substr(0, 20) + "' is not an offer type");
    auto f = fields(command.args);
    if (f.size() != 5) return fail(errc::protocol_error, "an offer has 5 fields: oid minsize maxsize txfee cjfee");
    Offer o;
    o.type = *type;
    if (!parseInt(f[0], o.oid) || o.oid < 0)
        return fail(errc::protocol_error, "offer oid is not a non-negative integer");
    if (!parseInt(f[1], o.minsize) || o.minsize < 0 || o.minsize > MAX_MONEY)
        return fail(errc::protocol_error, "offer minsize out of range");
    if (!parseInt(f[2], o.maxsize) || o.maxsize < 0 || o.maxsize > MAX_MONEY)
        return fail(errc::protocol_error, "offer maxsize out of range");
    if (!parseInt(f[3], o.txfee) || o.txfee < 0 || o.txfee > MAX_MONEY)
        return fail(errc::protocol_error, "offer txfee out of range");
    if (o.minsize > o.maxsize) return fail(errc::protocol_error, "offer minsize exceeds maxsize");
    auto cjfee = parseCjfee(o.type, f[4]);
    if (!cjfee) return cjfee.error().withContext("offer cjfee");
    if (isRelative(o.type)) {
        // Relative fees are fractions in [0, 1): integer part must be zero.
        if (cjfee->digits != "0" && static_cast<int>(cjfee->digits.size()) + cjfee->exponent > 0)
            return fail(errc::protocol_error, "relative offer cjfee must be below 1");
    } else {
        std::int64_t abs = 0;
        if (!parseInt(cjfee->digits, abs) || abs > MAX_MONEY)
            return fail(errc::protocol_error, "absolute offer cjfee is not an integer of satoshis up to 21e6 BTC");
    }
    o.cjfee = f[4];
    o.minsize = std::max(o.minsize, DUST_THRESHOLD);
    if (o.minsize > o.maxsize) return fail(errc::protocol_error, "offer maxsize is below the dust threshold");
    return o;
}

Command formatOffer(const Offer& offer) {
    return {std::string(toString(offer.type)), std::to_string(offer.oid) + " " + std::to_string(offer.minsize) + " " +
                                                   std::to_string(offer.maxsize) + " " + std::to_string(offer.txfee) +
                                                   " " + offer.cjfee};
}

jm::sdk::Result<FillRequest> parseFill(std::string_view args) {
    auto f = fields(args);
    if (f.size() != 4) return fail(errc::protocol_error, "!fill has 4 fields: oid amount encpk commitment");
    FillRequest fill;
    if (!parseInt(f[0], fill.oid) || fill.oid < 0)
        return fail(errc::protocol_error, "!fill oid is not a non-negative integer");
    if (!parseInt(f[1], fill.amount) || fill.amount <= 0 || fill.amount > MAX_MONEY)
        return fail(errc::protocol_error, "!fill amount out of range");
    if (!isHex(f[2], 64)) return fail(errc::protocol_error, "Invalid nacl pubkey: " + std::string(f[2].substr(0, 80)));
    fill.taker_encpk = lower(f[2]);
    if (f[3].empty() || f[3][0] != 'P')
        return fail(errc::protocol_error, "Unsupported commitment type: " + std::string(f[3].substr(0, 1)));
    if (!isHex(f[3].substr(1), 64)) return fail(errc::protocol_error, "!fill commitment is not 64 hex characters");
    fill.commitment = lower(f[3].substr(1));
    return fill;
}

std::string formatFillArgs(const FillRequest& fill) {
    return std::to_string(fill.oid) + " " + std::to_string(fill.amount) + " " + fill.taker_encpk + " P" +
           fill.commitment;
}

jm::sdk::Result<PubkeyReply> parsePubkey(std::string_view args) {
    auto f = fields(args);
    if (f.empty() || !isHex(f[0], 64)) return fail(errc::protocol_error, "!pubkey needs a 64-hex encryption key");
    PubkeyReply reply{lower(f[0]), {}};
    for (std::size_t i = 1; i < f.size(); ++i) {
        if (!f[i].starts_with("features=")) continue; // REF reads only the key; unknown extras are ignored
        auto list = f[i].substr(9);
        std::size_t start = 0;
        while (start < list.size()) {
            auto comma = list.find(',', start);
            auto name = list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
            if (!name.empty() && reply.features.size() < 32) reply.features.emplace_back(name);
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
    }
    return reply;
}

std::string formatPubkeyArgs(const PubkeyReply& reply) {
    std::string out = reply.maker_encpk;
    if (!reply.features.empty()) {
        out += " features=";
        for (std::size_t i = 0; i < reply.features.size(); ++i)
            out += (i ? "," : "") + reply.features[i];
    }
    return out;
}

jm::sdk::Result<std::int64_t> parseCancel(std::string_view args) {
    std::int64_t oid = 0;
    if (!parseInt(args, oid) || oid < 0) return fail(errc::protocol_error, "!cancel needs an oid");
    return oid;
}

jm::sdk::Result<std::string> parseHp2(std::string_view args) {
    if (!isHex(args, 64)) return fail(errc::protocol_error, "!hp2 needs a 64-hex commitment");
    return lower(args);
}

jm::sdk::Result<std::string> parseTbond(std::string_view args) {
    auto decoded = jm::bitcoin::fromBase64(args);
    if (!decoded) return fail(errc::protocol_error, "!tbond proof is not base64");
    if (decoded->size() != 252) return fail(errc::protocol_error, "!tbond proof is not 252 bytes");
    return std::string(args);
}

jm::sdk::Result<std::string> parseBase64Payload(std::string_view args, std::size_t max_decoded) {
    std::string joined;
    for (char c : args)
        if (c != ' ') joined.push_back(c);
    if (joined.size() / 4 * 3 > max_decoded) return fail(errc::protocol_error, "payload too large");
    if (joined.empty() || !jm::bitcoin::fromBase64(joined)) return fail(errc::protocol_error, "payload is not base64");
    return joined;
}

} // namespace jm::protocol
