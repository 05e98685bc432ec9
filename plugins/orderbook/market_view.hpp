#pragma once

#include <jm/market/orderbook.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace jm::plugins::orderbook {

//! A bond as the watcher shows it: the proof's fields and, when the backend confirmed the coin,
//! its amount and value.
struct BondView {
    std::string counterparty;
    std::string txid; //!< display order hex
    std::uint32_t vout = 0;
    std::uint32_t locktime = 0;
    std::string utxo_pub; //!< hex
    std::uint16_t cert_expiry = 0;
    bool verified = false;
    std::string refusal; //!< why it does not count (empty while verified or unchecked)
    std::int64_t amount = 0;
    std::string script; //!< hex
    std::int32_t confirmations = 0;
    std::int64_t confirmation_time = 0;
    double value = 0;
};

//! One offer as shown: the maker's terms plus where the maker is listed and its bond value.
struct OfferView {
    std::string counterparty;
    jm::protocol::Offer offer;
    double bond_value = 0;
    std::vector<std::string> directories;
    std::vector<std::string> features;
    //! The fee for a CoinJoin of `amount` satoshis (relative fees exactly as parsed, rounded down).
    std::int64_t feeAt(std::int64_t amount) const;
    //! The fee as a fraction of `amount` (for sorting and the chart).
    double feeRate(std::int64_t amount) const;
};

//! What the web page and JSON show: an immutable snapshot of the watcher's book.
//! Executor: built on the watcher's strand, then only read.
struct MarketView {
    std::vector<OfferView> offers; //!< by (counterparty, oid)
    std::vector<BondView> bonds;   //!< by counterparty
    std::vector<std::string> directories;
    std::size_t directories_ready = 0;
    std::int32_t tip_height = 0;
    std::int64_t updated = 0; //!< unix seconds of the last change
    std::string network;

    std::size_t makerCount() const;
};

//! Whether a peer's feature name (network input, from the directories' peerlists) is shown: a
//! token of at most 64 letters, digits, '_', '-' or '.'. Anything else (markup, bytes that are
//! not UTF-8 and would make the JSON invalid) is dropped. Executor: any.
bool shownFeature(std::string_view feature);
//! The features of `list` that are shown, in order.
std::vector<std::string> shownFeatures(const std::vector<std::string>& list);

//! The reference ob-watcher's /orderbook.json: {"offers": [{counterparty, oid, ordertype,
//! minsize, maxsize, txfee, cjfee (an integer for absolute offers, a decimal string for relative
//! ones), fidelity_bond_value}], "fidelitybonds": [...]} with our extra keys (directories,
//! features) after REF's.
boost::json::object orderbookJson(const MarketView& view);
//! /bonds.json: every bond proof held, verified or not, with the reason when not.
boost::json::object bondsJson(const MarketView& view);
//! /health: whether the watcher is connected and how much it sees.
boost::json::object healthJson(const MarketView& view);

} // namespace jm::plugins::orderbook
