#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/kv_store.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jm::plugins::maker {

//! A coin of the wallet held for one CoinJoin: no other session may use it.
struct CoinLock {
    jm::bitcoin::OutPoint outpoint;
    std::string taker;
    //! Set once the maker signed a transaction spending the coin: the lock then lasts until that
    //! transaction confirms (or `expires`); before that a restart forgets the lock (nothing was
    //! signed, so nothing can be double-spent).
    std::string txid;
    std::int64_t expires = 0; //!< unix seconds
    bool isSigned() const { return !txid.empty(); }
};

//! A CoinJoin the maker signed, kept until the chain settles it: what to record as earnings
//! and which coins stay locked meanwhile.
struct SignedCoinjoin {
    std::string txid;
    std::string taker;
    std::int64_t cj_amount = 0;
    std::int64_t real_cjfee = 0;
    std::int64_t txfee = 0;
    int mixdepth = 0;    //!< the inputs' (and change's) mixdepth
    int cj_mixdepth = 0; //!< the CoinJoin output's mixdepth
    std::vector<jm::bitcoin::OutPoint> inputs;
    std::int64_t inputs_total = 0;
    std::string cj_address;
    std::string change_address;
    std::int64_t signed_at = 0; //!< unix seconds
    std::int64_t expires = 0;   //!< unix seconds: given up after this if never seen
    bool seen = false;          //!< seen on the network (mempool or chain)
};

//! One CoinJoin that paid the maker, as `jmnode maker status` lists it.
struct Earning {
    std::int64_t time = 0; //!< unix seconds of the first sighting
    std::string txid;
    std::int64_t cj_amount = 0;
    std::int64_t fee_earned = 0; //!< real_cjfee - txfee
    std::int64_t real_cjfee = 0;
    std::int64_t txfee = 0;
    int mixdepth = 0;
    int cj_mixdepth = 0;
    int inputs = 0;
    bool confirmed = false;
};

//! Everything the maker must not forget across a crash, in its instance's KvStore: the
//! commitment blacklist, coin locks, signed CoinJoins and earnings. Every write that guards
//! money or privacy is synced (fsync) before the maker acts on it.
//! The blacklist has two parts: commitments this maker answered (kept for ever; each cost a
//! taker a valid PoDLE) and commitments learned from anyone's !hp2 (free to send, so kept up to
//! `max_learned`, the oldest forgotten first, and written without fsync: losing one in a crash
//! only weakens advice from others).
//! Executor: the maker's strand (the store itself is thread-safe; writes block on fsync).
//! Errors: storage errors from the KvStore; errc::corrupt_data for an entry that cannot be read.
class MakerStore {
public:
    //! Commitments learned from !hp2 kept by default (about 10 MB on disk).
    static constexpr std::size_t MAX_LEARNED_COMMITMENTS = 100'000;

    explicit MakerStore(jm::sdk::KvStore& store, std::size_t max_learned = MAX_LEARNED_COMMITMENTS) :
        m_store(store), m_maxLearned(max_learned) {}

    //! Whether `commitment` (64 lower-case hex) was used before (by us or announced by !hp2).
    jm::sdk::Result<bool> isBlacklisted(std::string_view commitment) const;
    //! Adds to the blacklist of commitments this maker answered (synced; idempotent).
    jm::sdk::Result<void> blacklist(std::string_view commitment);
    //! Adds a commitment someone announced (!hp2) to the learned part (not synced; idempotent),
    //! forgetting the oldest learned ones beyond `max_learned`. True when it was not known.
    jm::sdk::Result<bool> learn(std::string_view commitment);
    //! Commitments blacklisted in all (answered + learned).
    jm::sdk::Result<std::size_t> blacklistSize();

    //! Every lock, unreadable entries kept as signed locks that expire at `now` + a day.
    jm::sdk::Result<std::vector<CoinLock>> locks(std::int64_t now) const;
    //! Writes `locks` and blacklists `commitment` in one synced batch: the state the maker must
    //! have on disk before it reveals coins and addresses in !ioauth.
    jm::sdk::Result<void> lockForSession(const std::vector<CoinLock>& locks, std::string_view commitment);
    //! Records a signed CoinJoin and turns its inputs' locks into signed ones (one synced batch),
    //! before the signatures leave.
    jm::sdk::Result<void> recordSigned(const SignedCoinjoin& coinjoin, const std::vector<CoinLock>& locks);
    //! Removes locks (synced).
    jm::sdk::Result<void> unlock(const std::vector<jm::bitcoin::OutPoint>& outpoints);

    jm::sdk::Result<std::vector<SignedCoinjoin>> signedCoinjoins() const;
    jm::sdk::Result<void> updateSigned(const SignedCoinjoin& coinjoin);
    //! Forgets a signed CoinJoin and the locks of its inputs (synced).
    jm::sdk::Result<void> settle(const SignedCoinjoin& coinjoin);

    //! Adds or updates the earning of `e.txid` (synced).
    jm::sdk::Result<void> recordEarning(const Earning& e);
    //! Every earning, oldest first.
    jm::sdk::Result<std::vector<Earning>> earnings() const;

private:
    //! Counts the learned entries and finds the next sequence number (once).
    jm::sdk::Result<void> loadLearned();
    jm::sdk::Result<void> forgetOldestLearned(std::size_t count);

    jm::sdk::KvStore& m_store;
    std::size_t m_maxLearned;
    bool m_learnedLoaded = false;
    std::size_t m_learned = 0;
    std::uint64_t m_nextLearned = 0;
};

} // namespace jm::plugins::maker
