#pragma once

#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/chain/blockchain_backend.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! A transaction relevant to a wallet, where the light client found it.
struct WalletTxRecord {
    jm::bitcoin::Transaction tx;
    std::int32_t height = -1;     //!< -1: unconfirmed (relayed by a peer or broadcast here)
    jm::bitcoin::Hash256 block{}; //!< confirmed: the block (internal order)
    std::int64_t time = 0;        //!< block time, or when first seen
    bool coinbase = false;
};

//! One wallet as the light client tracks it: its scripts (ranges derived from the xpubs, kept
//! `gap` scripts ahead of the highest one used, and single scripts), which of them were matched
//! against the filters since the birthday (`covered`), how far the filters were scanned, and the
//! relevant transactions. From these it derives what a full node's wallet reports (UTXOs, used
//! scripts, range usage, history) the way backend-core does. Persisted in the plugin's store
//! (one key for the state, one per transaction) so a restart resumes where the scan stopped.
//! Executor: not thread-safe; the backend's strand.
class WalletState {
public:
    //! An empty state scanning from `from_height` (nothing scanned yet).
    WalletState(std::string wallet_id, std::int32_t from_height, std::uint32_t gap);

    //! The stored state of `wallet_id`, or nullopt when there is none (or it is unreadable: then
    //! it is scanned again from the birthday). Errors: storage errors.
    static jm::sdk::Result<std::optional<WalletState>> load(jm::sdk::KvStore& store, const std::string& wallet_id,
                                                            std::uint32_t gap);
    //! Writes the state and the transactions changed since the last save (one atomic batch).
    jm::sdk::Result<void> save(jm::sdk::KvStore& store);
    //! Removes everything stored for `wallet_id`.
    static jm::sdk::Result<void> erase(jm::sdk::KvStore& store, const std::string& wallet_id);

    //! Starts watching what `request` asks for (ranges derived up to max(end, used + gap)).
    //! Scripts not watched before are uncovered until a pass over [fromHeight, scannedHeight]
    //! matched them. Errors: errc::invalid_argument for an unusable xpub.
    jm::sdk::Result<void> track(const jm::chain::WatchRequest& request);

    const std::string& walletId() const { return m_walletId; }
    std::int32_t fromHeight() const { return m_from; }
    //! The last block whose filter was matched against every covered script; fromHeight() - 1
    //! before the first.
    std::int32_t scannedHeight() const { return m_scanned; }
    const jm::bitcoin::Hash256& scannedHash() const { return m_scannedHash; }
    void setScanned(std::int32_t height, const jm::bitcoin::Hash256& hash);

    //! Every covered script (the queries of a pass that continues the scan).
    std::vector<jm::bitcoin::Bytes> coveredScripts() const;
    //! The scripts not covered yet, and a mark to hand to markCovered once a pass over
    //! [fromHeight, scannedHeight] matched them.
    struct Uncovered {
        std::vector<jm::bitcoin::Bytes> scripts;
        std::vector<std::uint32_t> range_ends;
        std::set<jm::bitcoin::Script> singles;
    };
    Uncovered uncovered() const;
    void markCovered(const Uncovered& mark);
    //! Everything is covered (before the first block was scanned nothing needs a second pass).
    void coverAll();
    bool hasUncovered() const;
    //! Every script watched (covered or not).
    std::vector<jm::bitcoin::Bytes> allScripts() const;

    //! True when `tx` pays a watched script or spends an output of the wallet's transactions that
    //! pays one.
    bool relevant(const jm::bitcoin::Transaction& tx) const;
    //! False when an input of `tx` spends one of the wallet's P2WPKH or single-key P2WSH
    //! outputs without a valid signature for it (other scripts cannot be checked and pass).
    bool spendsAreSigned(const jm::bitcoin::Transaction& tx) const;
    //! Records a relevant transaction (again: updates where it is). A confirmed one drops the
    //! unconfirmed ones spending the same outputs (and their descendants); an unconfirmed one
    //! conflicting with a confirmed one is refused (false), and replaces unconfirmed ones it
    //! conflicts with. Widens ranges whose used end moved closer than `gap` to their end.
    bool apply(const WalletTxRecord& record);
    //! Forgets the transactions of blocks above `fork_height` and moves the scan back there.
    void disconnectAbove(std::int32_t fork_height, const jm::bitcoin::Hash256& fork_hash);
    //! Forgets transactions whose block is not at its height in the best chain (`inBestChain`).
    template <class F> void dropStale(F inBestChain) {
        std::vector<jm::bitcoin::Hash256> gone;
        for (const auto& [txid, r] : m_txs)
            if (r.height >= 0 && !inBestChain(r.block, r.height)) gone.push_back(txid);
        for (const auto& txid : gone)
            forget(txid);
    }

    //! The scan as backend/1 reports it at `tip` for the ranges of `request`.
    jm::chain::WalletScan result(const jm::chain::ChainTip& tip, const jm::chain::WatchRequest& request) const;

    //! What the wallet knows of one outpoint: its output while unspent, nullopt when spent, or
    //! errc::not_found when the outpoint is not an output of the wallet's paying it.
    jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> txOut(const jm::bitcoin::OutPoint& outpoint,
                                                               std::int32_t tip_height) const;

    const std::map<jm::bitcoin::Hash256, WalletTxRecord>& transactions() const { return m_txs; }
    const WalletTxRecord* find(const jm::bitcoin::Hash256& txid) const;
    //! Unconfirmed transactions dropped for a conflict: txid -> the transaction that won.
    const std::map<jm::bitcoin::Hash256, jm::bitcoin::Hash256>& conflicts() const { return m_conflicts; }

private:
    struct Range {
        std::string xpub;
        std::uint32_t branch = 0;
        std::optional<jm::bitcoin::ExtendedKey> key; //!< xpub/branch
        std::uint32_t derived = 0;                   //!< scripts [0, derived) watched
        std::uint32_t covered = 0;                   //!< scripts [0, covered) matched since the birthday
        std::uint32_t used_end = 0;
    };
    bool watched(const jm::bitcoin::Script& script) const;
    bool owns(const jm::bitcoin::OutPoint& outpoint) const;
    jm::sdk::Result<void> deriveTo(std::size_t range, std::uint32_t end);
    void noteUse(const jm::bitcoin::Script& script);
    void noteUses(const jm::bitcoin::Transaction& tx);
    void insert(const jm::bitcoin::Hash256& txid, WalletTxRecord record);
    //! Drops a transaction and every unconfirmed one spending its outputs.
    void forget(const jm::bitcoin::Hash256& txid, const jm::bitcoin::Hash256* replaced_by = nullptr);
    std::int32_t confirmations(const WalletTxRecord& r, std::int32_t tip_height) const;

    std::string m_walletId;
    std::int32_t m_from = 0;
    std::int32_t m_scanned = -1;
    jm::bitcoin::Hash256 m_scannedHash{};
    std::uint32_t m_gap = 0;
    std::vector<Range> m_ranges;
    std::map<jm::bitcoin::Script, std::pair<std::size_t, std::uint32_t>> m_positions; //!< range, index
    std::set<jm::bitcoin::Script> m_singles;
    std::set<jm::bitcoin::Script> m_coveredSingles;
    std::map<jm::bitcoin::Hash256, WalletTxRecord> m_txs;
    //! Which of m_txs spend an outpoint (coinbase inputs left out).
    std::map<jm::bitcoin::OutPoint, std::set<jm::bitcoin::Hash256>> m_spenders;
    std::map<jm::bitcoin::Hash256, jm::bitcoin::Hash256> m_conflicts;
    std::set<jm::bitcoin::Hash256> m_dirty;  //!< changed since the last save
    std::set<jm::bitcoin::Hash256> m_erased; //!< forgotten since the last save
};

} // namespace jm::plugins::backend_neutrino
