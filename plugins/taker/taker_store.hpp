#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/taker/coinjoin_service.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jm::plugins::taker {

//! A CoinJoin the taker broadcast (or was about to), for the record.
struct CoinjoinRecord {
    std::string txid;
    std::int64_t cj_amount = 0;
    std::int64_t maker_fees = 0;
    std::int64_t mining_fee = 0;
    int mixdepth = 0;
    std::string destination;
    std::int64_t time = 0; //!< unix seconds
    //! Our own coins the signed transaction spends. Once it is handed out (broadcast, or !push
    //! to a maker) anyone holding it may broadcast it later, even after it left the mempool
    //! unconfirmed: a later CoinJoin of ours spends every one of them still unspent, so that the
    //! two conflict and at most one pays (TakerPlugin::chooseMakers). Empty in older records.
    std::vector<jm::bitcoin::OutPoint> inputs{};
};

//! What the taker must not forget across a crash, in its instance's KvStore: the commitments it
//! used (never used twice: each is written, synced, before the !fill that reveals it), the
//! external commitment openings and the CoinJoins it broadcast.
//! Executor: the taker's strand. Errors: storage errors; errc::corrupt_data for an unreadable entry.
class TakerStore {
public:
    explicit TakerStore(jm::sdk::KvStore& store) : m_store(store) {}

    jm::sdk::Result<bool> isUsed(std::string_view commitment) const;
    //! Records a commitment as used (synced; idempotent).
    jm::sdk::Result<void> markUsed(std::string_view commitment);
    jm::sdk::Result<std::size_t> usedCount() const;

    //! Adds or replaces external openings (synced).
    jm::sdk::Result<void> addExternal(const jm::taker::ExternalCommitment& c);
    jm::sdk::Result<std::vector<jm::taker::ExternalCommitment>> externals() const;

    //! Records a CoinJoin (synced), before it is broadcast; the broadcast waits for it.
    jm::sdk::Result<void> recordCoinjoin(const CoinjoinRecord& r);
    jm::sdk::Result<std::vector<CoinjoinRecord>> coinjoins() const;

private:
    jm::sdk::KvStore& m_store;
};

} // namespace jm::plugins::taker
