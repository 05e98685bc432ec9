// reportBalance: the wallet.balance_changed/1 event a sync calls for, against the balance the
// node last reported (kept in the wallet's own store).
#include <jm/wallet/balance_report.hpp>

#include <charconv>
#include <set>

namespace jm::wallet {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {

constexpr std::string_view BALANCE_KEY = "wallet/reported/balance";
// One key per transaction already reflected in the recorded balance: a sync then tells the new
// ones by a point lookup each, without rewriting a growing list.
constexpr std::string_view TX_PREFIX = "wallet/reported/tx/";
// No wallet holds more than every bitcoin (UtxoSet::replace refuses such replies too).
constexpr std::int64_t MAX_SATS = 2'100'000'000'000'000;

std::optional<std::int64_t> parseBalance(std::string_view text) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > MAX_SATS) return std::nullopt;
    return v;
}

} // namespace

Result<std::optional<events::BalanceChanged>> reportBalance(jm::sdk::KvStore& store, const SyncResult& result,
                                                            std::string_view instance,
                                                            const IsOwnCoinjoin& is_own_coinjoin) {
    std::int64_t balance = 0;
    for (const auto& u : result.utxos) {
        if (u.value < 0 || u.value > MAX_SATS || balance > MAX_SATS - u.value)
            return fail(errc::invalid_argument, "the sync reported an impossible wallet balance");
        balance += u.value;
    }
    auto stored = store.get(BALANCE_KEY);
    if (!stored) return stored.error();
    std::optional<std::int64_t> previous;
    bool damaged = false;
    if (stored->has_value()) {
        previous = parseBalance(**stored);
        damaged = !previous;
    }

    jm::sdk::WriteBatch batch;
    std::set<std::string_view> kinds;
    std::set<std::string_view> seen; // a history may list a transaction twice
    for (const auto& tx : result.history) {
        if (!seen.insert(tx.txid).second) continue;
        auto key = std::string(TX_PREFIX) + tx.txid;
        auto known = store.get(key);
        if (!known) return known.error();
        if (known->has_value()) continue;
        batch.put(key, "");
        if (is_own_coinjoin && is_own_coinjoin(tx.txid))
            kinds.insert("CoinJoin");
        else if (tx.spent == 0)
            kinds.insert("received");
        else if (tx.received < tx.spent)
            kinds.insert("sent");
        else
            kinds.insert(""); // spent wallet coins and got more back: not one of the above
    }
    if (previous != balance) batch.put(BALANCE_KEY, std::to_string(balance));
    if (!batch.empty())
        if (auto w = store.write(batch); !w) return w.error();
    if (damaged) return fail(errc::corrupt_data, "the wallet's reported-balance record was damaged; it is reset");
    if (!previous || *previous == balance) return std::optional<events::BalanceChanged>{};
    events::BalanceChanged e;
    e.instance = std::string(instance);
    e.balance = balance;
    e.change = balance - *previous;
    e.reason = kinds.size() == 1 ? std::string(*kinds.begin()) : "";
    return std::optional<events::BalanceChanged>(std::move(e));
}

} // namespace jm::wallet
