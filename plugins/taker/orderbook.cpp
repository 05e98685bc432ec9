#include "orderbook.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fidelity_bond.hpp>

namespace jm::plugins::taker {

namespace {

//! The bond a proof claims: "txid:vout:locktime:utxo_pub" (NG's de-duplication key).
std::optional<std::string> bondClaim(const std::string& b64) {
    auto proof = jm::protocol::parseBondProof(b64);
    if (!proof) return std::nullopt;
    return jm::bitcoin::toHex(proof->txid_display) + ":" + std::to_string(proof->vout) + ":" +
           std::to_string(proof->locktime) + ":" + jm::bitcoin::toHex(proof->utxo_pub);
}

} // namespace

bool Orderbook::addOffer(const std::string& nick, const jm::protocol::Command& command) {
    if (!jm::protocol::offerTypeFromName(command.name)) return false;
    auto offer = jm::protocol::parseOffer(command);
    auto known = m_offers.find(nick);
    // REF drops the previous (nick, oid) entry before checking the new one.
    if (!offer) return false;
    if (known == m_offers.end()) {
        if (m_offers.size() >= MAX_NICKS) return false;
        known = m_offers.emplace(nick, std::map<std::int64_t, jm::protocol::Offer>{}).first;
    }
    if (!known->second.count(offer->oid) && known->second.size() >= MAX_OFFERS_PER_NICK) return false;
    known->second[offer->oid] = *offer;
    return true;
}

void Orderbook::cancel(const std::string& nick, std::string_view args) {
    auto oid = jm::protocol::parseCancel(args);
    if (!oid) return;
    auto it = m_offers.find(nick);
    if (it == m_offers.end()) return;
    it->second.erase(*oid);
    if (it->second.empty()) m_offers.erase(it);
}

void Orderbook::onPublic(const std::string& nick, const std::vector<jm::protocol::Command>& commands) {
    for (const auto& c : commands) {
        if (c.name == "cancel")
            cancel(nick, c.args);
        else
            addOffer(nick, c); // public offers never carry bonds (7.2)
    }
}

bool Orderbook::onPrivate(const std::string& nick, const std::vector<jm::protocol::Command>& commands) {
    bool any = false;
    for (const auto& c : commands) {
        if (c.name == "cancel") {
            cancel(nick, c.args);
        } else if (c.name == "tbond") {
            auto b64 = jm::protocol::parseTbond(c.args);
            if (!b64) continue;
            auto claim = bondClaim(*b64);
            if (!claim) continue;
            auto proof = jm::protocol::parseBondProof(*b64);
            if (!proof || !jm::protocol::verifyBondProof(*proof, m_takerNick, nick)) continue;
            if (auto old = m_bondClaims.find(*claim); old != m_bondClaims.end() && old->second != nick) {
                // The same bond under a new nick: the maker restarted; the old nick's offers go.
                auto old_nick = old->second;
                remove(old_nick);
            }
            if (auto mine = m_bonds.find(nick); mine != m_bonds.end())
                if (auto old_claim = bondClaim(mine->second)) m_bondClaims.erase(*old_claim);
            m_bonds[nick] = *b64;
            m_bondClaims[*claim] = nick;
        } else {
            any = addOffer(nick, c) || any;
        }
    }
    if (any) m_answered.insert(nick);
    return any;
}

void Orderbook::remove(const std::string& nick) {
    m_offers.erase(nick);
    if (auto b = m_bonds.find(nick); b != m_bonds.end()) {
        if (auto claim = bondClaim(b->second)) m_bondClaims.erase(*claim);
        m_bonds.erase(b);
    }
    m_answered.erase(nick);
}

std::vector<BookOffer> Orderbook::offers() const {
    std::vector<BookOffer> out;
    for (const auto& [nick, offers] : m_offers)
        for (const auto& [oid, o] : offers)
            out.push_back({nick, o});
    return out;
}

std::optional<jm::protocol::Offer> Orderbook::offer(const std::string& nick, std::int64_t oid) const {
    auto it = m_offers.find(nick);
    if (it == m_offers.end()) return std::nullopt;
    auto o = it->second.find(oid);
    if (o == it->second.end()) return std::nullopt;
    return o->second;
}

std::optional<std::string> Orderbook::bondProof(const std::string& nick) const {
    auto it = m_bonds.find(nick);
    if (it == m_bonds.end()) return std::nullopt;
    return it->second;
}

std::set<std::string> Orderbook::makers() const {
    std::set<std::string> out;
    for (const auto& [nick, offers] : m_offers)
        if (!offers.empty()) out.insert(nick);
    return out;
}

} // namespace jm::plugins::taker
