// Bitcoin Core's answers as the backend reads them: the HTTP status and JSON-RPC envelope, then
// every result reader (unspent outputs, wallet transactions, watched-transaction lookups, blocks,
// spenders, txout, chain info, descriptors, imports).
// Invariants: nothing throws or crashes; amounts read are within the money range; history
// never has a negative amount.
#include <core_replies.hpp>
#include <rpc_client.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static constexpr unsigned STATUSES[] = {200, 401, 403, 404, 500};
    auto status = STATUSES[data[0] % 5];
    std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
    auto reply = jm::plugins::backend_core::parseRpcReply(status, body);
    auto* value = std::get_if<boost::json::value>(&reply);
    if (!value) {
        (void)jm::plugins::backend_core::toBackendError(std::get<jm::plugins::backend_core::RpcFailure>(reply), "x");
        return 0;
    }
    using namespace jm::plugins::backend_core;
    constexpr std::int64_t MAX_MONEY = 21'000'000LL * 100'000'000LL;
    for (const auto& u : readUnspent(*value))
        if (u.value < 0 || u.value > MAX_MONEY) __builtin_trap();
    for (const auto& t : readWalletTransactions(*value, jm::bitcoin::Network::Regtest).history)
        if (t.spent < 0 || t.txid.size() != 64) __builtin_trap();
    bool unsure = false;
    std::vector<jm::bitcoin::OutPoint> inputs;
    (void)readWalletTxSighting(*value, unsure, inputs);
    (void)readRawTxSighting(*value, 100, inputs);
    (void)readBlockSpends(*value);
    (void)readOtherSpender(*value, std::string(64, '0'));
    if (auto out = readTxOut(*value); out && *out && ((*out)->value < 0 || (*out)->value > MAX_MONEY)) __builtin_trap();
    (void)readChainState(*value);
    (void)readDescriptors(*value);
    (void)importFailure(*value);
    if (auto sats = satoshis(*value); sats && (*sats > MAX_MONEY || *sats < -MAX_MONEY)) __builtin_trap();
    return 0;
}
