#include "coin_selection.hpp"

#include <algorithm>

namespace jm::plugins::maker {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::wallet::WalletUtxo;

jm::sdk::Result<std::vector<WalletUtxo>> selectCoins(std::vector<WalletUtxo> coins, std::int64_t target,
                                                     int max_inputs) {
    if (target <= 0) return fail(errc::invalid_argument, "nothing to select");
    std::sort(coins.begin(), coins.end(), [](const auto& a, const auto& b) {
        return a.value != b.value ? a.value > b.value : a.outpoint < b.outpoint;
    });
    for (auto it = coins.rbegin(); it != coins.rend(); ++it)
        if (it->value >= target) return std::vector<WalletUtxo>{*it};
    std::vector<WalletUtxo> chosen;
    std::int64_t sum = 0;
    for (const auto& c : coins) {
        if (sum >= target || static_cast<int>(chosen.size()) >= max_inputs) break;
        chosen.push_back(c);
        sum += c.value;
    }
    if (sum < target)
        return fail(errc::insufficient_funds, std::to_string(target) + " sat needed, " + std::to_string(sum) +
                                                  " sat in at most " + std::to_string(max_inputs) + " coins");
    for (auto it = chosen.end(); it != chosen.begin();) {
        --it;
        if (sum - it->value >= target) {
            sum -= it->value;
            it = chosen.erase(it);
        }
    }
    return chosen;
}

} // namespace jm::plugins::maker
