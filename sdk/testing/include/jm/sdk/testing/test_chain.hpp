#pragma once

#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/tx_watch.hpp>
#include <jm/sdk/event_bus.hpp>

#include <map>
#include <mutex>
#include <set>

namespace jm::sdk::testing {

//! A TEST DOUBLE of a blockchain backend, for CI and plugin authors' tests: an in-process chain
//! with a UTXO set and a mempool. It accepts a transaction only when every input exists and is
//! unspent (or spent by unconfirmed transactions it then replaces, when it pays more fee), every
//! P2WPKH / P2WSH (single key) witness signature verifies against the spent output (BIP143), the
//! fee is positive and it is final in the next block (nLockTime as Core checks it: a height must
//! be at most the tip's; block i has time 1'700'000'000 + 600 i); it mines blocks on demand,
//! drops mempool transactions on request and publishes the same chain.* bus events as a real
//! backend. Also the engine of the backend-sim plugin (a simulated chain, regtest only), which is
//! why it lives in a static library a shipped plugin can link.
//! Executor: thread-safe; completions are posted to the executor given.
class TestChain final : public jm::chain::BlockchainBackend {
public:
    //! `bus` (optional) receives chain.block_connected/1 and chain.tx_status/1 events.
    explicit TestChain(EventBus* bus = nullptr);

    //! Creates coins out of nothing (like a coinbase, without maturity) paying `script`;
    //! they confirm with the next mined block. Returns the outpoint.
    jm::bitcoin::OutPoint fund(const jm::bitcoin::Script& script, std::int64_t value);
    //! Mines `blocks` blocks, the first including the whole mempool.
    void mine(int blocks = 1);
    //! Disconnects the last `blocks` blocks: their transactions go back to the mempool, as after
    //! a reorganisation to an empty branch (blocks mined afterwards get new hashes).
    void reorg(int blocks);
    //! Accepts a transaction into the mempool, with the reason it was refused otherwise. A
    //! transaction spending outputs that unconfirmed ones spend replaces them (and their
    //! descendants) when its fee is higher than theirs together.
    jm::sdk::Result<std::string> submit(const jm::bitcoin::Bytes& tx);
    //! Removes an unconfirmed transaction and its descendants from the mempool, as a node
    //! evicting or expiring them does. Errors: errc::not_found when it is not in the mempool.
    jm::sdk::Result<void> drop(const std::string& txid);
    //! Watches `ahead` scripts past each requested range's end, like Bitcoin Core's keypool: coins
    //! and uses there are reported too.
    void setWatchAhead(std::uint32_t ahead);
    //! The last scanWallet request (what a wallet asked to watch, its birthday).
    jm::chain::WatchRequest lastRequest() const;
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
    void watchTransaction(std::string txid, std::int32_t final_depth) override;
    void unwatchTransaction(std::string txid) override;

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
        bool funding = false;
    };
    std::string hashAt(std::int32_t height) const;
    jm::sdk::Result<std::string> submitLocked(const jm::bitcoin::Transaction& tx, bool funding);
    //! The output an input spends, from the transactions accepted so far.
    const jm::bitcoin::TxOut* prevOut(const jm::bitcoin::OutPoint& op) const;
    std::int64_t feeOf(const Entry& e) const;
    //! Unconfirmed `txids` and every unconfirmed descendant.
    std::set<std::string> withDescendants(std::set<std::string> txids) const;
    //! Takes unconfirmed transactions out of the mempool; their inputs become unspent again.
    void evict(const std::set<std::string>& txids, const std::string& replaced_by);
    jm::chain::TxSighting sightingOf(const std::string& txid) const;
    //! Publishes what changed for every watch and forgets finished ones.
    void updateWatches();

    mutable std::mutex m_mutex;
    EventBus* m_bus;
    std::int32_t m_height = 0;
    std::vector<std::string> m_blockHashes; //!< by height; [0] is the genesis block
    std::uint64_t m_blocksMined = 0;
    std::int64_t m_feeRate = 2000;
    std::uint64_t m_fundingCounter = 0;
    std::uint32_t m_watchAhead = 0;
    std::map<jm::bitcoin::OutPoint, Coin> m_utxos;
    std::map<jm::bitcoin::OutPoint, std::string> m_spentBy; //!< by accepted transactions
    std::map<std::string, Entry> m_txs;                     //!< accepted (mempool or chain) by display txid
    std::map<std::string, std::string> m_replacedBy;
    std::set<jm::bitcoin::Script> m_paid; //!< every script an accepted transaction ever paid
    std::map<std::string, jm::chain::TxWatch> m_watches;
    jm::chain::WatchRequest m_lastRequest;
};

} // namespace jm::sdk::testing
