#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>
#include <jm/wallet/wallet.hpp>

#include <map>
#include <vector>

namespace jm::wallet {

//! A wallet-owned output, as a blockchain backend reports it.
struct WalletUtxo {
    jm::bitcoin::OutPoint outpoint;
    std::int64_t value = 0; //!< satoshis
    jm::bitcoin::Script script_pubkey;
    int mixdepth = 0;
    std::uint32_t branch = 0;
    std::uint32_t index = 0;
    int confirmations = 0; //!< 0 = in the mempool
    bool frozen = false;   //!< set by UtxoSet from the persisted freeze list
};

//! Per-mixdepth balance split the way a user needs it. `confirmed` is the only part a payment
//! may spend or a maker may offer as liquidity.
struct Balance {
    std::int64_t confirmed = 0;   //!< spendable now (>= the minimum confirmations, not frozen, not a bond)
    std::int64_t unconfirmed = 0; //!< below the minimum confirmations, not frozen, not a bond
    std::int64_t frozen = 0;      //!< frozen by the user, any confirmations (bonds excluded)
    //! Fidelity-bond coins (mixdepth 0's timelocked branch), any confirmations, frozen or not:
    //! locked until their locktime, and even after it they need their timelock script to be
    //! spent, so payments never select them and they are never offered as maker liquidity.
    std::int64_t bonds = 0;
    std::int64_t total() const { return confirmed + unconfirmed + frozen + bonds; }
};

//! The wallet's UTXOs, grouped by mixdepth. The list itself comes from the backend (replace());
//! the user's freeze marks are persisted in the wallet's store so they survive restarts and
//! resyncs. Coin selection never mixes mixdepths (that would link them on chain) and never
//! spends frozen coins or fidelity bonds. Executor: not thread-safe; use from one strand.
class JM_SDK_API UtxoSet {
public:
    //! `store` holds the freeze marks and must outlive the set.
    explicit UtxoSet(jm::sdk::KvStore& store, int min_confirmations = 1);

    //! Replaces the known UTXOs (a sync result); freeze marks are re-applied. Nothing changes on
    //! error. Errors: errc::invalid_argument for a mixdepth below zero or a value outside
    //! 0..21e6 BTC (a backend reply that cannot be true); storage errors reading the freeze list.
    jm::sdk::Result<void> replace(std::vector<WalletUtxo> utxos);
    //! UTXOs of one mixdepth, largest first.
    std::vector<WalletUtxo> utxos(int mixdepth) const;
    Balance balance(int mixdepth) const;
    //! Freezes/unfreezes an output (persisted with a synced write). Errors: unknown output;
    //! storage errors.
    jm::sdk::Result<void> freeze(const jm::bitcoin::OutPoint& outpoint);
    jm::sdk::Result<void> unfreeze(const jm::bitcoin::OutPoint& outpoint);

    //! Chooses spendable coins (confirmed, not frozen, not bonds) of `mixdepth` worth at least
    //! `target` satoshis: the smallest
    //! single coin that covers it if there is one, else largest-first, then drops coins that
    //! are not needed. Errors: errc::insufficient_funds naming what is spendable.
    jm::sdk::Result<std::vector<WalletUtxo>> selectCoins(int mixdepth, std::int64_t target) const;
    //! Every spendable coin of `mixdepth` (for sweeps): confirmed, not frozen, not a bond.
    std::vector<WalletUtxo> spendable(int mixdepth) const;

private:
    bool isSpendable(const WalletUtxo& u) const {
        return !u.frozen && u.confirmations >= m_minConfirmations && u.branch != BRANCH_FIDELITY_BOND;
    }

    jm::sdk::KvStore& m_store;
    int m_minConfirmations;
    std::map<int, std::vector<WalletUtxo>> m_byMixdepth;
};

} // namespace jm::wallet
