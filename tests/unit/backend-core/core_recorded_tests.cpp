// The backend on replies recorded from Bitcoin Core v31 (tests/data/core_rpc, see each file's
// "source"): a wallet restored after seven payments that each spent the previous change, a
// payment replaced by bumpfee, a broadcast of a transaction already mined, an immature coinbase.
#include "fake_core.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet_sync.hpp>

using namespace jm::test::core;

namespace {

json::value recordedResult(const std::string& name) { return std::get<json::value>(replay(name)); }

void replayAll(FakeCore& core, const std::vector<std::pair<std::string, std::string>>& methods) {
    for (const auto& [method, file] : methods) {
        auto r = recordedReply(file);
        core.recorded(method, r.at("status").to_number<int>(), std::string(r.at("body").as_string()));
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(core_recorded_tests)

// Issue 18.1. listtransactions (what the backend read before) has no entry for the change
// outputs nor for the payment to mixdepth 2 (every output the wallet's own); listsinceblock with
// include_change has them, and Core's next_index says internal/6 was used.
BOOST_AUTO_TEST_CASE(a_wallet_restored_after_change_was_spent_seven_times) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet =
        jm::wallet::Wallet::create(store, {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                   jm::bitcoin::Bytes(16, 0x51), "", "pw")
            .value();
    auto change6 = wallet.addressAt(0, jm::wallet::BRANCH_INTERNAL, 6).value().address;
    auto old_view = recordedResult("restore_listtransactions").as_array();
    for (const auto& t : old_view)
        BOOST_CHECK(jsonText(t, "address") != change6);
    BOOST_CHECK_EQUAL(old_view.size(), 7u); // 1 receive, 6 payments out: the seventh is missing

    FakeCore core;
    replayAll(core, {{"getblockchaininfo", "restore_getblockchaininfo"},
                     {"listwallets", "restore_listwallets"},
                     {"listdescriptors", "restore_listdescriptors"},
                     {"listunspent", "restore_listunspent"},
                     {"listsinceblock", "restore_listsinceblock"}});
    // A new data directory: no import is recorded as rescanned, so it is repeated (answers not
    // recorded: they carry nothing the scan reads).
    core.result("importdescriptors", json::array{json::object{{"success", true}}});
    core.result("rescanblockchain", json::object{{"start_height", 0}, {"stop_height", 109}});
    core.result("getwalletinfo", json::object{{"scanning", false}});
    Harness h(core);
    std::promise<jm::sdk::Result<jm::wallet::SyncResult>> done;
    jm::wallet::WalletSync::run(wallet, *h.backend, {}, {}, h.ctx.executor(),
                                [&](jm::sdk::Result<jm::wallet::SyncResult> r) { done.set_value(std::move(r)); });
    auto r = done.get_future().get();
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().message));
    std::map<int, std::int64_t> balance;
    for (const auto& u : r->utxos)
        balance[u.mixdepth] += u.value;
    BOOST_CHECK_EQUAL(balance[0], 92'998'026); // the change on internal/6
    BOOST_CHECK_EQUAL(balance[2], 1'000'000);  // the payment to mixdepth 2
    BOOST_CHECK_EQUAL(wallet.nextIndex(0, jm::wallet::BRANCH_INTERNAL).value(), 7u);
    BOOST_CHECK_EQUAL(wallet.nextIndex(2, jm::wallet::BRANCH_EXTERNAL).value(), 1u);
    // History: the receive, seven payments (the last one moves 1'000'000 + fee out of mixdepth
    // 0 and 1'000'000 into mixdepth 2), each with what left the wallet, fee included.
    BOOST_REQUIRE_EQUAL(r->history.size(), 8u);
    std::int64_t net = 0;
    for (const auto& t : r->history)
        net += t.received - t.spent;
    BOOST_CHECK_EQUAL(net, 92'998'026 + 1'000'000);
}

// Issue 21.3 and 21.4: the replaced payment is left out of history, and a watch sees it
// conflicted by its replacement (in the mempool, then confirmed).
BOOST_AUTO_TEST_CASE(a_payment_replaced_by_bumpfee) {
    auto replaced_tx = recordedResult("replaced_gettransaction");
    auto replacement_tx = recordedResult("replacement_gettransaction");
    auto a = jsonText(replaced_tx, "txid");
    auto b = jsonText(replacement_tx, "txid");
    auto history = readWalletTransactions(recordedResult("replaced_listsinceblock"), jm::bitcoin::Network::Regtest);
    BOOST_REQUIRE_EQUAL(history.history.size(), 1u);
    BOOST_CHECK_EQUAL(history.history[0].txid, b);
    BOOST_CHECK_EQUAL(history.history[0].received, 20'000'000);

    bool unsure = false;
    std::vector<jm::bitcoin::OutPoint> inputs;
    auto s = readWalletTxSighting(replaced_tx, unsure, inputs);
    BOOST_CHECK(s.where == jm::chain::TxSighting::Where::Conflicted);
    BOOST_CHECK_EQUAL(s.conflicting_txid, b);
    BOOST_CHECK_EQUAL(s.confirmations, 0);
    BOOST_CHECK(!inputs.empty());
    s = readWalletTxSighting(recordedResult("replaced_conflicted_gettransaction"), unsure, inputs);
    BOOST_CHECK(s.where == jm::chain::TxSighting::Where::Conflicted);
    BOOST_CHECK_EQUAL(s.conflicting_txid, b);
    BOOST_CHECK_EQUAL(s.confirmations, 1);
    s = readWalletTxSighting(replacement_tx, unsure, inputs);
    BOOST_CHECK(s.where == jm::chain::TxSighting::Where::Mempool && unsure);
    // The mempool's word: not there, its input spent by the replacement.
    BOOST_CHECK(std::get<RpcFailure>(replay("replaced_getmempoolentry")).rpc_code == -5);
    auto spender = readOtherSpender(recordedResult("replaced_gettxspendingprevout"), a);
    BOOST_REQUIRE(spender);
    BOOST_CHECK_EQUAL(spender->first, b);
    // Outside the wallet: the replacement in the mempool, then found in its block.
    auto raw = readRawTxSighting(recordedResult("replacement_getrawtransaction"), 110, inputs);
    BOOST_REQUIRE(raw);
    BOOST_CHECK(raw->where == jm::chain::TxSighting::Where::Mempool);
    BOOST_CHECK(!inputs.empty());
    auto block = readBlockSpends(recordedResult("replacement_block"));
    BOOST_REQUIRE(block);
    BOOST_CHECK(std::any_of(block->txs.begin(), block->txs.end(), [&](const auto& t) { return t.txid == b; }));
    BOOST_CHECK(std::get<RpcFailure>(replay("getrawtransaction_notxindex")).rpc_code == -5);
}

// Issue 21.6: a retried broadcast of a transaction already mined is a success.
BOOST_AUTO_TEST_CASE(a_broadcast_of_a_mined_transaction_succeeds) {
    auto sent_again = recordedReply("sendrawtransaction_mined");
    auto hex = std::string(sent_again.at("params").as_array()[0].as_string());
    FakeCore core;
    core.recorded("sendrawtransaction", sent_again.at("status").to_number<int>(),
                  std::string(sent_again.at("body").as_string()));
    Harness h(core);
    auto tx = jm::bitcoin::fromHex(hex).value();
    auto sent = h.wait<std::string>([&](auto ex, auto cb) { h.backend->broadcast(tx, ex, cb); });
    BOOST_REQUIRE_MESSAGE(sent.has_value(), (sent ? std::string() : sent.error().message));
    BOOST_CHECK_EQUAL(*sent, jsonText(recordedResult("replacement_gettransaction"), "txid"));
}

// Issue 21.6: an immature coinbase is marked in history.
BOOST_AUTO_TEST_CASE(an_immature_coinbase_is_marked) {
    auto activity = readWalletTransactions(recordedResult("immature_listsinceblock"), jm::bitcoin::Network::Regtest);
    auto immature =
        std::count_if(activity.history.begin(), activity.history.end(), [](const auto& t) { return t.immature; });
    BOOST_CHECK_EQUAL(immature, 1);
    BOOST_CHECK_EQUAL(activity.history.size(), 2u); // the replacement and the coinbase
}

BOOST_AUTO_TEST_SUITE_END()
