#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>
#include <jm/sdk/service_registry.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jm::chain {

//! Completion of an asynchronous service call: always invoked on the executor the caller passed,
//! never before the call returned.
template <class T> using Callback = std::function<void(jm::sdk::Result<T>)>;

//! The best block.
struct ChainTip {
    std::int32_t height = 0;
    std::string hash; //!< display-order hex
};

//! An unspent output as the chain reports it (gettxout): for checking a counterparty's coins.
struct TxOutInfo {
    std::int64_t value = 0; //!< satoshis
    jm::bitcoin::Script script_pubkey;
    std::int32_t confirmations = 0; //!< 0 = in the mempool
    bool coinbase = false;
};

//! An unspent output paying one of a wallet's watched scripts.
struct ChainUtxo {
    jm::bitcoin::OutPoint outpoint;
    std::int64_t value = 0;
    jm::bitcoin::Script script_pubkey;
    std::int32_t confirmations = 0;
};

//! One wallet transaction, for history: the net effect on the watched scripts. Transactions
//! that can no longer confirm (replaced, or conflicting with a confirmed one) are left out.
struct WalletTx {
    std::string txid;          //!< display-order hex
    std::int64_t received = 0; //!< satoshis paid to watched scripts (change included)
    //! Satoshis of watched outputs it spent: what left the wallet, the fee included, so
    //! received - spent is the wallet's net change.
    std::int64_t spent = 0;
    std::int32_t confirmations = 0;
    std::int64_t time = 0; //!< unix seconds (block time, or first seen)
    bool immature = false; //!< a coinbase that cannot be spent yet (fewer than 100 confirmations)
};

//! One branch of one account: the scripts wpkh(xpub/branch/i) for i in [0, end).
struct WatchRange {
    std::string xpub;
    std::uint32_t branch = 0;
    std::uint32_t end = 0;
};

//! What a wallet wants watched. The backend imports what it does not watch yet (rescanning from
//! the birthday) and never needs private keys. The birthday is `birthday_time` when set, else
//! the block at `birthday_height`.
struct WatchRequest {
    std::string wallet_id; //!< stable per wallet (e.g. a hash of its first xpub)
    std::vector<WatchRange> ranges;
    std::vector<jm::bitcoin::Script> scripts; //!< single scripts (fidelity-bond addresses)
    std::int32_t birthday_height = 0;
    std::int64_t birthday_time = 0; //!< unix seconds; 0 = unknown (then birthday_height counts)
};

//! How far a watched range is used, as the backend knows it: one past the highest index that
//! was ever paid (0: none). A backend that watches ahead of the requested end (Bitcoin Core
//! keeps 1000 scripts past the last used one) reports uses beyond it, so the wallet can widen
//! its window to what the backend already knows.
struct RangeUsage {
    std::string xpub;
    std::uint32_t branch = 0;
    std::uint32_t used_end = 0;
};

//! A wallet scan: every watched script that ever received coins, the unspent outputs and the
//! transactions.
struct WalletScan {
    ChainTip tip;
    std::vector<jm::bitcoin::Script> used_scripts;
    std::vector<ChainUtxo> utxos;
    std::vector<WalletTx> history;
    std::vector<RangeUsage> ranges; //!< per requested range (any order; missing = nothing known)
};

//! Where a counterparty says its coin is: the script it pays and the height of the block that
//! created it. NG peers send it in extended utxo strings (neutrino_compat, protocol.md 14.1);
//! a light client needs it because it keeps no UTXO set.
struct OutPointHint {
    jm::bitcoin::Script script_pubkey;
    std::int32_t height = 0;
};

//! What a backend can do, so the roles know which utxo form they need from peers.
struct BackendCapabilities {
    //! true: getTxOut finds any unspent outpoint by itself (a full node's UTXO set). false: a
    //! light client, which finds a counterparty's coin only with an OutPointHint.
    bool any_outpoint_lookup = true;
};

//! Progress of a long operation: a fraction in [0, 1] and a short description.
using Progress = std::function<void(double fraction, const std::string& what)>;

//! The blockchain as JoinMarket needs it: wallet tracking, UTXO checks of counterparties,
//! broadcasting and fee estimates. Provided by backend plugins (Bitcoin Core RPC, Neutrino) and by
//! the SDK's TestChain. Publishes chain.* events on the bus (jm/sdk/events.hpp).
//! Executor: every member may be called from any strand; completions run on the executor given.
//! Errors: errc::unavailable (node unreachable, still syncing), errc::permission_denied (auth),
//! errc::rejected (a transaction the node refused, with its reason), errc::invalid_config (wrong
//! network, pruned past the wallet's birthday), errc::unsupported (an RPC method missing).
class JM_SDK_API BlockchainBackend : public jm::sdk::Service {
public:
    static constexpr std::string_view service_kind = "backend/1";
    ~BlockchainBackend() override;

    virtual void tip(jm::sdk::Executor ex, Callback<ChainTip> done) = 0;
    //! Makes sure everything in `request` is watched (importing and rescanning as needed,
    //! reporting progress), then returns the scan.
    virtual void scanWallet(WatchRequest request, Progress progress, jm::sdk::Executor ex,
                            Callback<WalletScan> done) = 0;
    //! The unspent output, or nullopt when it is spent or never existed (mempool included).
    virtual void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                          Callback<std::optional<TxOutInfo>> done) = 0;
    //! What this backend can do. The default: a full node (any outpoint can be looked up).
    //! Executor: any; never blocks.
    virtual BackendCapabilities capabilities() const;
    //! getTxOut helped by the creator block and script the peer claimed. A backend that looks up
    //! any outpoint ignores the hint (the default forwards to getTxOut, so a wrong hint changes
    //! nothing); a light client checks the claimed block for the output and the blocks since for
    //! a spend, and answers nullopt when the hint is wrong. Errors as getTxOut, plus
    //! errc::unsupported when this backend needs a hint and got none.
    virtual void getTxOutHinted(jm::bitcoin::OutPoint outpoint, std::optional<OutPointHint> hint, jm::sdk::Executor ex,
                                Callback<std::optional<TxOutInfo>> done);
    //! A transaction's serialisation (any transaction the node can find).
    virtual void getTransaction(std::string txid, jm::sdk::Executor ex, Callback<jm::bitcoin::Bytes> done) = 0;
    //! Broadcasts; the txid on success, errc::rejected with the node's reason otherwise.
    virtual void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, Callback<std::string> done) = 0;
    //! Fee rate in satoshis per 1000 virtual bytes for confirmation within `target_blocks`.
    virtual void estimateFee(int target_blocks, jm::sdk::Executor ex, Callback<std::int64_t> done) = 0;
    //! Publishes chain.tx_status/1 events (jm/sdk/events.hpp) for this transaction, the
    //! wallet's or any other, from now on: its state when first found, each new depth until
    //! `final_depth` confirmations (that event is final and the watch ends), reorganisations,
    //! conflicts (replacement or double spend) and disappearance. Watching a watched txid again
    //! changes its final depth. Executor: any.
    virtual void watchTransaction(std::string txid, std::int32_t final_depth) = 0;
    //! Stops watching (nothing more is published or polled for it). Executor: any.
    virtual void unwatchTransaction(std::string txid) = 0;
};

} // namespace jm::chain
