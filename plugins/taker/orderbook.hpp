#pragma once

#include <jm/protocol/commands.hpp>
#include <jm/protocol/line.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::taker {

//! One offer in the book.
struct BookOffer {
    std::string counterparty;
    jm::protocol::Offer offer;
};

//! The offers a taker collects (protocol.md 7): public announcements and private answers to its
//! !orderbook, keyed (nick, oid) so that the same offer arriving through several directories is
//! kept once (14.2); !cancel removes one; a fidelity-bond proof (strictly 252 bytes of base64,
//! signatures valid for our nick and the sender's) is kept per nick, and a bond claimed by a
//! second nick replaces the first nick's offers and bond (NG, 14.2). The bond's coin is checked
//! later, through the backend. Malformed commands are skipped one by one: what is well formed still counts.
//! Limits against floods: MAX_OFFERS_PER_NICK offers per nick, MAX_NICKS nicks.
//! Executor: not thread-safe; the taker's strand.
class Orderbook {
public:
    static constexpr std::size_t MAX_OFFERS_PER_NICK = 32;
    static constexpr std::size_t MAX_NICKS = 5000;

    //! `taker_nick`: ours; a bond proof is kept only when its signatures verify for it (a proof
    //! replayed from another maker or made for another taker is worthless and must not evict
    //! the maker that owns the bond).
    explicit Orderbook(std::string taker_nick = {}) : m_takerNick(std::move(taker_nick)) {}

    //! The commands of a public message from `nick`: offers and cancels (others are ignored).
    void onPublic(const std::string& nick, const std::vector<jm::protocol::Command>& commands);
    //! The commands of a signed private message from `nick` answering our !orderbook: offers,
    //! cancels and !tbond. Returns whether it held at least one offer (the nick "answered").
    bool onPrivate(const std::string& nick, const std::vector<jm::protocol::Command>& commands);
    //! The nick left every directory: its offers and bond go.
    void remove(const std::string& nick);

    std::vector<BookOffer> offers() const;
    std::optional<jm::protocol::Offer> offer(const std::string& nick, std::int64_t oid) const;
    //! The base64 proof a nick sent, if any.
    std::optional<std::string> bondProof(const std::string& nick) const;
    //! Nicks with at least one offer.
    std::set<std::string> makers() const;
    bool answered(const std::string& nick) const { return m_answered.count(nick) != 0; }
    std::size_t answeredCount() const { return m_answered.size(); }

private:
    bool addOffer(const std::string& nick, const jm::protocol::Command& command);
    void cancel(const std::string& nick, std::string_view args);

    std::string m_takerNick;
    std::map<std::string, std::map<std::int64_t, jm::protocol::Offer>> m_offers;
    std::map<std::string, std::string> m_bonds;      //!< nick -> base64 proof
    std::map<std::string, std::string> m_bondClaims; //!< claim -> nick
    std::set<std::string> m_answered;
};

} // namespace jm::plugins::taker
