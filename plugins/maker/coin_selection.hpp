#pragma once

#include <jm/sdk/result.hpp>
#include <jm/wallet/utxo_set.hpp>

#include <cstdint>
#include <vector>

namespace jm::plugins::maker {

//! Chooses coins worth at least `target` from `coins` (one mixdepth's available coins), using at
//! most `max_inputs` of them: the smallest single coin that covers the target when there is one
//! (least change, fewest inputs), else the largest coins first, dropping those not needed.
//! Executor: any; pure. Errors: errc::insufficient_funds.
jm::sdk::Result<std::vector<jm::wallet::WalletUtxo>> selectCoins(std::vector<jm::wallet::WalletUtxo> coins,
                                                                 std::int64_t target, int max_inputs);

} // namespace jm::plugins::maker
