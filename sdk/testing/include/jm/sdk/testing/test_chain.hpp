#pragma once

#include <jm/chain/blockchain_backend.hpp>
#include <jm/sdk/event_bus.hpp>

#include <map>
#include <mutex>
#include <set>

namespace jm::sdk::testing {

//! A TEST DOUBLE of a blockchain backend, for CI and plugin authors' tests: an in-process chain
//! with a UTXO set and a mempool. It accepts a transaction only when every input exists and is
//! unspent, every P2WPKH / P2WSH (single key) witness signature verifies against the spent
//! output (BIP143), the fee is positive and it is final in the next block (nLockTime as Core
//! checks it: a height must be at most the tip's; block i has time 1'700'000'000 + 600 i);
//! it mines blocks on demand and publishes the same
//! chain.* bus events as a real backend. Never loaded by `jmnode run`.
//! Executor: thread-safe; completions are posted to the executor given.
class TestChain final : public jm::chain::BlockchainBackend {
public:
    //! `bus` (optional) receives chain.block_connected/1 and chain.tx_* events.
    explicit TestChain(EventBus* bus = nullptr);

    //! Creates coins out of nothing (like a coinbase, without maturity) paying `script`;
    //! they confirm with the next mined block. Returns the outpoint.
    jm::bitcoin::OutPoint fund(const jm::bitcoin::Script& script, std::int64_t value);
    //! Mines `blocks` blocks, the first including the whole mempool.
    void mine(int blocks = 1);
    //! Disconnects the last `blocks` blocks: their transactions go back to the mempool (watched
    //! ones are published as chain.tx_reorged/1), as after a reorganisation to an empty branch.
    void reorg(int blocks);
    //! Accepts a transaction into the mempool, with the reason it was refused otherwise.
    jm::sdk::Result<std::string> submit(const jm::bitcoin::Bytes& tx);
    std::int32_t height() const;
    void setFeeRate(std::int64_t sat_per_kvb);
    std::size_t mempoolSize() const;

    void tip(Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override;
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override;
    void getTxOut(jm::bitcoin::OutPoint outpoint, Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override;
    void getTransaction(std::string txid, Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override;
    void broadcast(jm::bitcoin::Bytes tx, Executor ex, jm::chain::Callback<std::string> done) override;
    void estimateFee(int target_blocks, Executor ex, jm::chain::Callback<std::int64_t> done) override;
    void watchTransaction(std::string txid) override;

private:
    struct Coin {
        jm::bitcoin::TxOut out;
        std::int32_t height = -1; //!< -1 = mempool
        bool coinbase = false;
    };
    struct Entry {
        jm::bitcoin::Transaction tx;
        std::int32_t height = -1;
        std::int64_t time = 0;
    };
    std::string hashAt(std::int32_t height) const;
    jm::sdk::Result<std::string> submitLocked(const jm::bitcoin::Transaction& tx, bool funding);

    mutable std::mutex m_mutex;
    EventBus* m_bus;
    std::int32_t m_height = 0;
    std::int64_t m_feeRate = 2000;
    std::uint64_t m_fundingCounter = 0;
    std::map<jm::bitcoin::OutPoint, Coin> m_utxos;
    std::map<std::string, Entry> m_txs; //!< every accepted transaction by display txid
    std::set<std::string> m_watched;
};

} // namespace jm::sdk::testing
