#pragma once

#include <jm/bitcoin/network.hpp>
#include <jm/chain/blockchain_backend.hpp>

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

//! listtransactions: per-txid history in first-seen order, and the scripts that received.
struct WalletActivity {
    std::vector<jm::chain::WalletTx> history;
    std::set<jm::bitcoin::Script> receiving;
};
WalletActivity readTransactions(const boost::json::value& reply, jm::bitcoin::Network network);

//! gettxout: nullopt for null (spent or unknown). Errors: errc::protocol_error when malformed.
jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> readTxOut(const boost::json::value& reply);

//! listdescriptors: descriptor text without checksum -> end of its range (exclusive; 1 unranged).
std::map<std::string, std::int64_t> readDescriptors(const boost::json::value& reply);

//! importdescriptors: empty when every import succeeded, else Core's first reason.
std::string importFailure(const boost::json::value& reply);

} // namespace jm::plugins::backend_core
