#include <jm/wallet/utxo_set.hpp>

#include <algorithm>

namespace jm::wallet {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
std::string freezeKey(const jm::bitcoin::OutPoint& o) { return "wallet/frozen/" + o.toString(); }
} // namespace

UtxoSet::UtxoSet(jm::sdk::KvStore& store, int min_confirmations) :
    m_store(store), m_minConfirmations(min_confirmations) {}

jm::sdk::Result<void> UtxoSet::replace(std::vector<WalletUtxo> utxos) {
    std::map<int, std::vector<WalletUtxo>> grouped;
    for (auto& u : utxos) {
        if (u.mixdepth < 0) return fail(errc::invalid_argument, "negative mixdepth in a UTXO");
        // Bounded values keep every sum below INT64_MAX (21e6 BTC x many coins still fits).
        if (u.value < 0 || u.value > jm::bitcoin::MAX_MONEY)
            return fail(errc::invalid_argument,
                        "UTXO " + u.outpoint.toString() + " has an impossible value " + std::to_string(u.value));
        auto frozen = m_store.get(freezeKey(u.outpoint));
        if (!frozen) return frozen.error();
        u.frozen = frozen->has_value();
        grouped[u.mixdepth].push_back(std::move(u));
    }
    for (auto& [m, list] : grouped)
        std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
            return a.value != b.value ? a.value > b.value : a.outpoint < b.outpoint;
        });
    m_byMixdepth = std::move(grouped);
    return {};
}

std::vector<WalletUtxo> UtxoSet::utxos(int mixdepth) const {
    auto it = m_byMixdepth.find(mixdepth);
    return it == m_byMixdepth.end() ? std::vector<WalletUtxo>{} : it->second;
}

Balance UtxoSet::balance(int mixdepth) const {
    Balance b;
    for (const auto& u : utxos(mixdepth)) {
        if (u.branch == BRANCH_FIDELITY_BOND)
            b.bonds += u.value;
        else if (u.frozen)
            b.frozen += u.value;
        else if (u.confirmations >= m_minConfirmations)
            b.confirmed += u.value;
        else
            b.unconfirmed += u.value;
    }
    return b;
}

jm::sdk::Result<void> UtxoSet::freeze(const jm::bitcoin::OutPoint& outpoint) {
    for (auto& [m, list] : m_byMixdepth)
        for (auto& u : list)
            if (u.outpoint == outpoint) {
                if (auto r = m_store.put(freezeKey(outpoint), "1", {true}); !r) return r;
                u.frozen = true;
                return {};
            }
    return fail(errc::not_found, "no wallet UTXO " + outpoint.toString());
}

jm::sdk::Result<void> UtxoSet::unfreeze(const jm::bitcoin::OutPoint& outpoint) {
    for (auto& [m, list] : m_byMixdepth)
        for (auto& u : list)
            if (u.outpoint == outpoint) {
                if (auto r = m_store.erase(freezeKey(outpoint), {true}); !r) return r;
                u.frozen = false;
                return {};
            }
    return fail(errc::not_found, "no wallet UTXO " + outpoint.toString());
}

std::vector<WalletUtxo> UtxoSet::spendable(int mixdepth) const {
    std::vector<WalletUtxo> out;
    for (const auto& u : utxos(mixdepth))
        if (isSpendable(u)) out.push_back(u);
    return out;
}

jm::sdk::Result<std::vector<WalletUtxo>> UtxoSet::selectCoins(int mixdepth, std::int64_t target) const {
    if (target <= 0) return fail(errc::invalid_argument, "the amount to select must be positive");
    auto coins = spendable(mixdepth); // largest first
    std::int64_t available = 0;
    for (const auto& c : coins)
        available += c.value;
    if (available < target)
        return fail(errc::insufficient_funds, "mixdepth " + std::to_string(mixdepth) + " has " +
                                                  std::to_string(available) + " sat spendable, " +
                                                  std::to_string(target) + " needed");
    // One coin that covers the target on its own: the smallest such (least change, fewest inputs).
    for (auto it = coins.rbegin(); it != coins.rend(); ++it)
        if (it->value >= target) return std::vector<WalletUtxo>{*it};
    std::vector<WalletUtxo> chosen;
    std::int64_t sum = 0;
    for (const auto& c : coins) {
        chosen.push_back(c);
        sum += c.value;
        if (sum >= target) break;
    }
    // Drop the smallest coins that are not needed to stay at or above the target.
    for (auto it = chosen.end(); it != chosen.begin();) {
        --it;
        if (sum - it->value >= target) {
            sum -= it->value;
            it = chosen.erase(it);
        }
    }
    return chosen;
}

} // namespace jm::wallet
