#pragma once

#include <jm/protocol/line.hpp>

#include <optional>

#include <cstdint>
#include <string>
#include <vector>

namespace jm::protocol {

enum class OfferType { Sw0Rel, Sw0Abs, SwRel, SwAbs, Rel, Abs };

JM_SDK_API std::string_view toString(OfferType t) noexcept;
//! The offer type of a command name, if it is one.
JM_SDK_API std::optional<OfferType> offerTypeFromName(std::string_view name) noexcept;
JM_SDK_API bool isRelative(OfferType t) noexcept;

//! An exact decimal as received (no floating point): value = digits × 10^exponent.
struct Decimal {
    std::string digits; //!< without leading zeros; "0" for zero
    int exponent = 0;
    //! Fixed-point text ("0.00002").
    JM_SDK_API std::string toString() const;
};
//! Parses "0.00002", "2E-7", "1e-05", ".5", "250": unsigned, at most 80 characters; the result
//! is normalised (trailing zeros moved into the exponent, zero is {"0", 0}) and must have at
//! most 32 digits and an exponent in [−40, 32] (limits against pathological input), so
//! toString() always parses back to it. Any thread. Errors: errc::protocol_error.
JM_SDK_API jm::sdk::Result<Decimal> parseDecimal(std::string_view text);

//! An offer's cjfee field read as REF reads it from the wire (orderbookwatch, calc_cj_fee).
//! Absolute types: Python's int() syntax — optional '+', digits with single '_' between them,
//! leading zeros ("+5", "1_000", "007"; not "1e3" nor "5.0"); the result has exponent 0.
//! Relative types: Python's Decimal() syntax — every '_' dropped, optional '+', then
//! parseDecimal ("+0.000_2", "2E-4", ".0002"). Both the offer parser and the fee functions
//! read cjfees through this, so they accept the same spellings. Refused although REF accepts
//! them (refusing only leaves the offer out of the book): a '-' sign, whitespace, non-ASCII
//! digits, NaN and Infinity, and what parseDecimal's limits exclude. No range check (see
//! parseOffer). Any thread. Errors: errc::protocol_error.
JM_SDK_API jm::sdk::Result<Decimal> parseCjfee(OfferType type, std::string_view text);

//! <ordertype> <oid> <minsize> <maxsize> <txfee> <cjfee> (protocol.md 7.1).
struct Offer {
    OfferType type = OfferType::Sw0Rel;
    std::int64_t oid = 0;
    std::int64_t minsize = 0;
    std::int64_t maxsize = 0;
    std::int64_t txfee = 0;
    std::string cjfee; //!< as sent: a decimal fraction (relative) or integer satoshis (absolute)
    bool operator==(const Offer&) const = default;
};

constexpr std::int64_t MAX_MONEY = 2'100'000'000'000'000;
constexpr std::int64_t DUST_THRESHOLD = 27'300;

//! Parses an offer command with the taker-side checks of REF and NG: oid in [0, 2^63),
//! sizes in [0, 21e6 BTC], minsize <= maxsize, txfee >= 0, absolute cjfee an integer in
//! [0, 21e6 BTC], relative cjfee a decimal in [0, 1) (cjfee syntax: parseCjfee; the field is
//! kept as sent). minsize below dust is raised to
//! DUST_THRESHOLD, as REF does. Errors: errc::protocol_error naming the field.
JM_SDK_API jm::sdk::Result<Offer> parseOffer(const Command& command);
JM_SDK_API Command formatOffer(const Offer& offer);

//! !fill <oid> <cj_amount> <taker_encpk_hex> <commitment> (commitment = "P" + 64 hex).
struct FillRequest {
    std::int64_t oid = 0;
    std::int64_t amount = 0;
    std::string taker_encpk; //!< 64 lower-case hex
    std::string commitment;  //!< 64 lower-case hex, without the "P"
};
//! Errors: errc::protocol_error; an unsupported commitment type says which
//! ("Unsupported commitment type: X", the text REF sends back).
JM_SDK_API jm::sdk::Result<FillRequest> parseFill(std::string_view args);
JM_SDK_API std::string formatFillArgs(const FillRequest& fill);

//! !pubkey <maker_encpk_hex> [features=a,b] (NG appends features).
struct PubkeyReply {
    std::string maker_encpk;
    std::vector<std::string> features;
};
JM_SDK_API jm::sdk::Result<PubkeyReply> parsePubkey(std::string_view args);
JM_SDK_API std::string formatPubkeyArgs(const PubkeyReply& reply);

//! !cancel <oid>
JM_SDK_API jm::sdk::Result<std::int64_t> parseCancel(std::string_view args);
//! !hp2 <commitment hex> (64 hex).
JM_SDK_API jm::sdk::Result<std::string> parseHp2(std::string_view args);
//! !tbond <proof>: strict base64 of exactly 252 bytes (the proof itself is checked later).
JM_SDK_API jm::sdk::Result<std::string> parseTbond(std::string_view args);
//! Payloads that are one base64 token: !push (signed tx), and the encrypted !auth, !ioauth,
//! !tx, !sig (REF joins space-separated pieces before decoding). Errors: not base64.
JM_SDK_API jm::sdk::Result<std::string> parseBase64Payload(std::string_view args, std::size_t max_decoded = 1 << 20);

} // namespace jm::protocol
