#pragma once

#include <jm/bitcoin/network.hpp>
#include <jm/chain/blockchain_backend.hpp>
#include <jm/chain/tx_watch.hpp>

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>

namespace jm::plugins::backend_core {

//! JSON accessors that accept any shape: a missing or mistyped member is null / empty / nullopt.
const boost::json::value* jsonMember(const boost::json::value& v, std::string_view key);
std::string jsonText(const boost::json::value& v, std::string_view key);
std::optional<std::int64_t> jsonInt(const boost::json::value& v, std::string_view key);

//! Readers of Bitcoin Core's RPC results. They never throw and never trust the shape: missing or
//! mistyped fields are skipped (lists) or reported (single objects). Executor: any; pure.

//! Bitcoin's JSON amounts (BTC with 8 decimals) to satoshis. Rounds the binary double to the
//! nearest satoshi: every amount up to 21 million BTC is within half a satoshi of its double.
//! Non-numbers and absurd values give nullopt.
std::optional<std::int64_t> satoshis(const boost::json::value& btc);
//! Whether Core's chain name ("main", "test", "testnet4", "signet", "regtest") is jmnode's network.
bool chainMatches(std::string_view core_chain, std::string_view network);

//! getblockchaininfo.
struct ChainState {
    std::string chain;
    std::int32_t blocks = 0;
    std::string best_hash;
    bool initial_block_download = false;
    double verification_progress = 1;
    bool pruned = false;
    std::int32_t prune_height = 0;
};
jm::sdk::Result<ChainState> readChainState(const boost::json::value& reply);

//! listunspent: entries with a bad txid, script or amount are skipped.
std::vector<jm::chain::ChainUtxo> readUnspent(const boost::json::value& reply);

//! listsinceblock with include_change (every wallet transaction, an entry per output): per-txid
//! history ordered by time, and every wallet script that was ever paid (change, and payments
//! between the wallet's own accounts, included). Transactions that can no longer confirm are
//! left out of the history: conflicted (negative confirmations), abandoned, replaced (an
//! unconfirmed one whose mempool conflict is in the mempool) and orphaned coinbases. Their
//! scripts still count as paid (the addresses were revealed).
struct WalletActivity {
    std::vector<jm::chain::WalletTx> history;
    std::set<jm::bitcoin::Script> receiving;
};
WalletActivity readWalletTransactions(const boost::json::value& reply, jm::bitcoin::Network network);

//! gettransaction (verbose) of a watched wallet transaction. `in_mempool_unknown` is set when it
//! is unconfirmed without a known conflict: only the mempool can tell whether it is still there.
//! `inputs` receives what it spends (from "decoded").
jm::chain::TxSighting readWalletTxSighting(const boost::json::value& reply, bool& in_mempool_unknown,
                                           std::vector<jm::bitcoin::OutPoint>& inputs);

//! getrawtransaction (verbose) of a watched transaction: in a block when it has confirmations
//! (the height from the tip's), else in the mempool; `inputs` receives what it spends.
//! Errors: errc::protocol_error when it has no txid.
jm::sdk::Result<jm::chain::TxSighting> readRawTxSighting(const boost::json::value& reply, std::int32_t tip_height,
                                                         std::vector<jm::bitcoin::OutPoint>& inputs);

//! getblock with verbosity 2: the block and what its transactions spend.
struct BlockSpends {
    std::string hash;
    std::string previous;
    std::int32_t height = 0;
    struct Tx {
        std::string txid;
        std::vector<jm::bitcoin::OutPoint> inputs;
    };
    std::vector<Tx> txs;
};
//! Errors: errc::protocol_error without hash or height.
jm::sdk::Result<BlockSpends> readBlockSpends(const boost::json::value& reply);

//! gettxspendingprevout: the first spender other than `txid` (its txid and block hash, "" when
//! unconfirmed), or nullopt when no other transaction spends those outputs.
std::optional<std::pair<std::string, std::string>> readOtherSpender(const boost::json::value& reply,
                                                                    const std::string& txid);

//! gettxout: nullopt for null (spent or unknown). Errors: errc::protocol_error when malformed.
jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> readTxOut(const boost::json::value& reply);

//! One descriptor of a Core wallet (listdescriptors).
struct DescriptorState {
    std::int64_t end = 1;       //!< end of its range (exclusive; 1 unranged)
    std::int64_t next = 0;      //!< one past the highest index Core saw paid (ranged)
    std::int64_t timestamp = 0; //!< the import's rescan start (unix seconds)
};
//! listdescriptors: descriptor text without checksum -> its state.
std::map<std::string, DescriptorState> readDescriptors(const boost::json::value& reply);

//! importdescriptors: empty when every import succeeded, else Core's first reason.
std::string importFailure(const boost::json::value& reply);

} // namespace jm::plugins::backend_core
