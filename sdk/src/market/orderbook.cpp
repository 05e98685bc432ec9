#include <jm/market/orderbook.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/fidelity_bond.hpp>
#include <jm/protocol/nick.hpp>

#include <algorithm>

namespace jm::market {

namespace {

//! Eviction ranks, lowest first out.
constexpr int RANK_PUBLIC = 0;   //!< announced publicly only: free to make in any number
constexpr int RANK_ANSWERED = 1; //!< answered our !orderbook privately, signed by its nick key
constexpr int RANK_PROOF = 2;    //!< sent a bond proof whose signatures verify (coin not yet checked)
constexpr int RANK_VERIFIED = 3; //!< the owner verified the bond coin

//! The bond a proof claims: "txid:vout:locktime:utxo_pub" (NG's de-duplication key).
std::optional<std::string> bondClaim(const std::string& b64) {
    auto proof = jm::protocol::parseBondProof(b64);
    if (!proof) return std::nullopt;
    return jm::bitcoin::toHex(proof->txid_display) + ":" + std::to_string(proof->vout) + ":" +
           std::to_string(proof->locktime) + ":" + jm::bitcoin::toHex(proof->utxo_pub);
}

} // namespace

Orderbook::Orderbook(std::string taker_nick, std::size_t max_nicks) :
    m_takerNick(std::move(taker_nick)), m_maxNicks(std::clamp<std::size_t>(max_nicks, 1, MAX_NICKS)) {}

int Orderbook::rank(const std::string& nick) const {
    if (m_verified.count(nick)) return RANK_VERIFIED;
    // A proof whose coin the owner refused is worth no more than a plain answer.
    if (m_bonds.count(nick) && !m_refusedBonds.count(nick)) return RANK_PROOF;
    if (m_answered.count(nick)) return RANK_ANSWERED;
    return RANK_PUBLIC;
}

void Orderbook::reindex(const std::string& nick) {
    auto key = m_evictionKey.find(nick);
    if (!m_offers.count(nick)) {
        if (key != m_evictionKey.end()) {
            m_evictionOrder.erase({key->second.first, key->second.second, nick});
            m_evictionKey.erase(key);
        }
        return;
    }
    auto r = rank(nick);
    if (key != m_evictionKey.end()) {
        if (key->second.first == r) return;
        m_evictionOrder.erase({key->second.first, key->second.second, nick});
        key->second.first = r;
    } else {
        key = m_evictionKey.emplace(nick, std::make_pair(r, ++m_arrivals)).first;
    }
    m_evictionOrder.insert({r, key->second.second, nick});
}

bool Orderbook::makeRoom(int newcomer_rank) {
    if (m_offers.size() < m_maxNicks) return true;
    ++m_refused;
    if (m_evictionOrder.empty()) return false;
    auto lowest = *m_evictionOrder.begin();
    if (std::get<0>(lowest) >= newcomer_rank) return false;
    remove(std::get<2>(lowest));
    return true;
}

bool Orderbook::addOffer(const std::string& nick, const jm::protocol::Command& command, int newcomer_rank) {
    if (!jm::protocol::offerTypeFromName(command.name)) return false;
    auto offer = jm::protocol::parseOffer(command);
    if (!offer) return false;
    auto known = m_offers.find(nick);
    if (known == m_offers.end()) {
        if (!makeRoom(newcomer_rank)) return false;
        known = m_offers.emplace(nick, std::map<std::int64_t, jm::protocol::Offer>{}).first;
        reindex(nick);
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
    // A nick without offers leaves entirely: what it kept (bond, answer) would otherwise outlive
    // the MAX_NICKS limit, one cancelled nick after another.
    if (it->second.empty()) remove(nick);
}

std::optional<std::string> Orderbook::validBond(const std::string& nick, const jm::protocol::Command& command) const {
    auto b64 = jm::protocol::parseTbond(command.args);
    if (!b64) return std::nullopt;
    auto proof = jm::protocol::parseBondProof(*b64);
    if (!proof || !jm::protocol::verifyBondProof(*proof, m_takerNick, nick)) return std::nullopt;
    return *b64;
}

void Orderbook::onPublic(const std::string& nick, const std::vector<jm::protocol::Command>& commands) {
    for (const auto& c : commands) {
        if (c.name == "cancel")
            cancel(nick, c.args);
        else
            addOffer(nick, c, RANK_PUBLIC); // public offers never carry bonds (7.2)
    }
}

bool Orderbook::onPrivate(const std::string& nick, const std::vector<jm::protocol::Command>& commands) {
    // The rank a newcomer enters with: what the whole answer shows (the !tbond follows the offers).
    int newcomer_rank = RANK_ANSWERED;
    for (const auto& c : commands)
        if (c.name == "tbond" && validBond(nick, c)) newcomer_rank = RANK_PROOF;
    bool any = false;
    std::optional<std::string> bond;
    for (const auto& c : commands) {
        if (c.name == "cancel")
            cancel(nick, c.args);
        else if (c.name == "tbond") {
            if (auto b64 = validBond(nick, c)) bond = std::move(b64);
        } else
            any = addOffer(nick, c, newcomer_rank) || any;
    }
    if (any) m_answered.insert(nick);
    // A bond is kept only for a nick in the book (the book's limits bound the bonds too).
    if (bond && m_offers.count(nick)) {
        auto claim = bondClaim(*bond);
        if (auto old = m_bondClaims.find(*claim); old != m_bondClaims.end() && old->second != nick) {
            // The same bond under a new nick: the maker restarted; the old nick's offers go.
            auto old_nick = old->second;
            remove(old_nick);
        }
        if (auto mine = m_bonds.find(nick); mine != m_bonds.end()) {
            if (mine->second != *bond) {
                m_verified.erase(nick);
                m_refusedBonds.erase(nick);
            }
            if (auto old_claim = bondClaim(mine->second)) m_bondClaims.erase(*old_claim);
        }
        m_bonds[nick] = *bond;
        m_bondClaims[*claim] = nick;
    }
    reindex(nick);
    return any;
}

BookIntake Orderbook::onMessage(const jm::net::ChannelMessage& message) {
    const auto& line = message.line;
    if (line.from == m_takerNick) return BookIntake::Ignored;
    if (!message.is_private) {
        auto commands = jm::protocol::splitCommands(line.body);
        if (!commands) return BookIntake::Ignored;
        onPublic(line.from, *commands);
        return BookIntake::Public;
    }
    if (line.to != m_takerNick) return BookIntake::Ignored;
    auto body = jm::protocol::parseSignedBody(line.body);
    // Every private message is signed by the sender's nick key (protocol.md 6.3).
    if (!body || !jm::protocol::verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64) ||
        !jm::protocol::nickMatchesPubkeyHex(line.from, body->pubkey_hex))
        return BookIntake::Ignored;
    if (!jm::protocol::offerTypeFromName(body->first_command) && body->first_command != "tbond")
        return BookIntake::Ignored;
    bool first = !answered(line.from);
    if (!onPrivate(line.from, body->commands)) return BookIntake::Ignored;
    return first ? BookIntake::FirstAnswer : BookIntake::Answer;
}

void Orderbook::remove(const std::string& nick) {
    m_offers.erase(nick);
    if (auto b = m_bonds.find(nick); b != m_bonds.end()) {
        if (auto claim = bondClaim(b->second)) m_bondClaims.erase(*claim);
        m_bonds.erase(b);
    }
    m_verified.erase(nick);
    m_refusedBonds.erase(nick);
    m_answered.erase(nick);
    reindex(nick);
}

void Orderbook::setBondVerified(const std::string& nick, bool verified) {
    if (!m_bonds.count(nick)) return;
    if (verified) {
        m_verified.insert(nick);
        m_refusedBonds.erase(nick);
    } else {
        m_verified.erase(nick);
        m_refusedBonds.insert(nick);
    }
    reindex(nick);
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

} // namespace jm::market
