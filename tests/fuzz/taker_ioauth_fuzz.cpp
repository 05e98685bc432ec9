// The taker's checks of a maker's decrypted !ioauth on arbitrary text, with the backend's view
// of the declared coins made up from the input: never crashes, and whatever passes has distinct
// inputs, none of the taken ones, at most the allowed count, and a change of at least dust.
#include <coinjoin_tx.hpp>

#include <jm/bitcoin/script.hpp>
#include <jm/protocol/coinjoin_messages.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    std::string_view text(reinterpret_cast<const char*>(data + 3), size - 3);
    auto msg = jm::protocol::parseIoauth(text, 20);
    if (!msg) return 0;
    std::set<jm::bitcoin::OutPoint> taken;
    if (data[0] & 1 && !msg->utxos.empty()) taken.insert(msg->utxos.front().outpoint);
    // The encryption key text the maker signed: the input's own choice of a few.
    std::string encpk(64, "0af"[data[1] % 3]);
    auto checked = jm::plugins::taker::checkIoauth(*msg, encpk, jm::bitcoin::Network::Testnet, data[2] % 16, taken, {});
    if (!checked) return 0;
    std::set<jm::bitcoin::OutPoint> seen;
    for (const auto& u : msg->utxos)
        if (!seen.insert(u.outpoint).second || taken.count(u.outpoint)) __builtin_trap();
    if (msg->utxos.size() > static_cast<std::size_t>(data[2] % 16)) __builtin_trap();
    std::vector<std::optional<jm::chain::TxOutInfo>> coins;
    for (std::size_t i = 0; i < msg->utxos.size(); ++i)
        coins.push_back(jm::chain::TxOutInfo{static_cast<std::int64_t>(data[0]) * 1'000'000, jm::bitcoin::Script{},
                                             data[1] % 3, false});
    auto part = jm::plugins::taker::checkMakerCoins("J5m", *msg, coins, checked->first, checked->second, 50'000'000,
                                                    data[2], data[1]);
    if (part && part->change(50'000'000) < jm::protocol::DUST_THRESHOLD) __builtin_trap();
    return 0;
}
