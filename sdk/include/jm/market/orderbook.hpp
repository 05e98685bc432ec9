#pragma once

#include <jm/net/directory_client.hpp>
#include <jm/protocol/commands.hpp>
#include <jm/protocol/line.hpp>
#include <jm/sdk/export.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace jm::market {

//! One offer in the book.
struct BookOffer {
    std::string counterparty;
    jm::protocol::Offer offer;
};

//! What a message did to the book (Orderbook::onMessage).
enum class BookIntake {
    Ignored,     //!< not for the book (another command, our own, addressed to someone else, bad signature)
    Public,      //!< public offers or cancels were applied
    Answer,      //!< a signed private answer to our !orderbook held at least one offer
    FirstAnswer, //!< the same, and it is the first answer of that nick
};

//! The market's offers as a taker or a watcher collects them (protocol.md 7): public
//! announcements and private answers to its !orderbook, keyed (nick, oid) so that the same offer
//! arriving through several directories is kept once (14.2); !cancel removes one; a nick whose
//! last offer goes leaves the book. A fidelity-bond proof (strictly 252 bytes of base64,
//! signatures valid for our nick and the sender's) is kept per nick that has offers, and a bond
//! claimed by a second nick replaces the first nick's offers and bond (NG, 14.2). The bond's coin
//! is checked by the owner, through the backend (see bond_check.hpp), which reports the result
//! with setBondVerified(). Malformed commands are skipped one by one: what is well formed still
//! counts.
//! Limits against floods: MAX_OFFERS_PER_NICK offers per nick and MAX_NICKS nicks. A full book
//! does not go to whoever came first: nicks are ranked (a verified bond, then a proof whose
//! signatures verify, then a private answer, then public announcements only) and a newcomer of a
//! higher rank evicts the oldest nick of the lowest rank, so that a Sybil flood of free public
//! nicks cannot keep honest makers out.
//! Executor: not thread-safe; the owner's strand.
class JM_SDK_API Orderbook {
public:
    static constexpr std::size_t MAX_OFFERS_PER_NICK = 32;
    static constexpr std::size_t MAX_NICKS = 5000;

    //! `taker_nick`: ours; a bond proof is kept only when its signatures verify for it (a proof
    //! replayed from another maker or made for another taker is worthless and must not evict
    //! the maker that owns the bond). `max_nicks` (tests use small ones) is capped at MAX_NICKS.
    explicit Orderbook(std::string taker_nick = {}, std::size_t max_nicks = MAX_NICKS);

    //! The commands of a public message from `nick`: offers and cancels (others are ignored).
    void onPublic(const std::string& nick, const std::vector<jm::protocol::Command>& commands);
    //! The commands of a signed private message from `nick` answering our !orderbook: offers,
    //! cancels and !tbond. Returns whether it held at least one offer (the nick "answered").
    bool onPrivate(const std::string& nick, const std::vector<jm::protocol::Command>& commands);
    //! A message as a directory client delivered it: public commands, or a private message to
    //! our nick whose signature (by the sender's nick key, protocol.md 6.3) verifies and whose
    //! first command is an offer or !tbond. Anything else is ignored.
    BookIntake onMessage(const jm::net::ChannelMessage& message);
    //! The nick left every directory: its offers and bond go.
    void remove(const std::string& nick);
    //! The owner's verdict on the nick's bond coin (true: the coin is the bond and counts; false:
    //! refused, the nick ranks as a plain answer until it sends another proof).
    void setBondVerified(const std::string& nick, bool verified);

    std::vector<BookOffer> offers() const;
    std::optional<jm::protocol::Offer> offer(const std::string& nick, std::int64_t oid) const;
    //! The base64 proof a nick sent, if any.
    std::optional<std::string> bondProof(const std::string& nick) const;
    //! Nicks with at least one offer.
    std::set<std::string> makers() const;
    bool contains(const std::string& nick) const { return m_offers.count(nick) != 0; }
    bool answered(const std::string& nick) const { return m_answered.count(nick) != 0; }
    std::size_t answeredCount() const { return m_answered.size(); }
    std::size_t nickCount() const { return m_offers.size(); }
    const std::string& takerNick() const { return m_takerNick; }
    //! Nicks refused or evicted because the book was full (since construction).
    std::uint64_t refusedNicks() const { return m_refused; }

private:
    //! The eviction rank of a nick (higher stays).
    int rank(const std::string& nick) const;
    void reindex(const std::string& nick);
    //! Room for a new nick of rank `rank`: true if there was room or a lower-ranked nick went.
    bool makeRoom(int rank);
    bool addOffer(const std::string& nick, const jm::protocol::Command& command, int newcomer_rank);
    void cancel(const std::string& nick, std::string_view args);
    std::optional<std::string> validBond(const std::string& nick, const jm::protocol::Command& command) const;

    std::string m_takerNick;
    std::size_t m_maxNicks;
    std::map<std::string, std::map<std::int64_t, jm::protocol::Offer>> m_offers;
    std::map<std::string, std::string> m_bonds;      //!< nick -> base64 proof
    std::map<std::string, std::string> m_bondClaims; //!< claim -> nick
    std::set<std::string> m_verified;                //!< nicks whose bond coin the owner verified
    std::set<std::string> m_refusedBonds;            //!< nicks whose bond coin the owner refused
    std::set<std::string> m_answered;
    //! Eviction order: (rank, arrival, nick), and each nick's key in it.
    std::set<std::tuple<int, std::uint64_t, std::string>> m_evictionOrder;
    std::map<std::string, std::pair<int, std::uint64_t>> m_evictionKey;
    std::uint64_t m_arrivals = 0;
    std::uint64_t m_refused = 0;
};

} // namespace jm::market
