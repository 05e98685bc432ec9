#pragma once

#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>
#include <jm/wallet/events.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <functional>
#include <optional>
#include <string_view>

namespace jm::wallet {

//! Whether a transaction (display-order txid) is a CoinJoin the role itself took part in.
using IsOwnCoinjoin = std::function<bool(std::string_view txid)>;

//! Compares the total balance a sync found (every UTXO of `result`, any mixdepth, confirmed or
//! not) with the one last recorded in the wallet's store, records the new one, and returns the
//! wallet.balance_changed/1 event to publish when it moved; nullopt when it did not, and on the
//! first call for a wallet (nothing to compare with: the balance is only recorded, so a node's
//! first start is no "change"). The record lives in the wallet's store, not the role's, so a
//! change made while the node was down is reported at the next start, and it is reported once
//! whichever role syncs first.
//! The reason comes from the transactions of `result.history` the record did not know yet:
//! "CoinJoin" when they are all CoinJoins of the role (`is_own_coinjoin`, may be empty),
//! "received" when none of them spent a wallet coin, "sent" when each of them took more than it
//! paid back; "" for a mixture or when no new transaction explains the change (one dropped
//! from the mempool).
//! Executor: the wallet's strand (the store's reads and writes block briefly; not synced: a
//! record lost in a crash costs one repeated message, never money).
//! Errors: storage errors; errc::corrupt_data for a damaged record, which is replaced by this
//! sync's balance (the next call compares with that).
JM_SDK_API jm::sdk::Result<std::optional<events::BalanceChanged>>
reportBalance(jm::sdk::KvStore& wallet_store, const SyncResult& result, std::string_view instance,
              const IsOwnCoinjoin& is_own_coinjoin = {});

} // namespace jm::wallet
