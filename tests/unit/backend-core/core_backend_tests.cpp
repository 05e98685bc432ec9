// The Bitcoin Core backend against an HTTP server answering with Bitcoin Core's JSON-RPC replies
// (success and every error class), no bitcoind needed.
#include "fake_core.hpp"

#include <jm/bitcoin/descriptor.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/events.hpp>

using namespace jm::test::core;

BOOST_AUTO_TEST_SUITE(core_backend_tests)

BOOST_AUTO_TEST_CASE(amounts_and_chain_names) {
    BOOST_CHECK_EQUAL(satoshis(json::value(0.00012)).value(), 12'000);
    BOOST_CHECK_EQUAL(satoshis(json::value(20999999.97690000)).value(), 2'099'999'997'690'000);
    BOOST_CHECK_EQUAL(satoshis(json::value(1)).value(), 100'000'000);
    BOOST_CHECK_EQUAL(satoshis(json::value(0.1)).value(), 10'000'000);
    BOOST_CHECK(!satoshis(json::value("1.0")));
    BOOST_CHECK(!satoshis(json::value(1e300)));
    BOOST_CHECK(!satoshis(json::value(nullptr)));
    BOOST_CHECK(chainMatches("main", "mainnet"));
    BOOST_CHECK(chainMatches("test", "testnet"));
    BOOST_CHECK(chainMatches("testnet4", "testnet"));
    BOOST_CHECK(chainMatches("regtest", "regtest"));
    BOOST_CHECK(!chainMatches("main", "regtest"));
}

BOOST_AUTO_TEST_CASE(readers_skip_or_refuse_malformed_replies) {
    // listunspent: one good entry among broken ones.
    auto unspent = json::parse(R"([
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "vout": 0, "amount": 0.5,
         "scriptPubKey": "0014751e76e8199196d454941c45d1b3a323f1433bd6", "confirmations": 2},
        {"txid": "zz", "vout": 0, "amount": 0.5, "scriptPubKey": "00"},
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "vout": -1, "amount": 1,
         "scriptPubKey": "00"},
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "vout": 1, "amount": "1",
         "scriptPubKey": "00"},
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "vout": 2, "amount": -3,
         "scriptPubKey": "00"},
        5, null, []])");
    auto utxos = readUnspent(unspent);
    BOOST_REQUIRE_EQUAL(utxos.size(), 1u);
    BOOST_CHECK_EQUAL(utxos[0].value, 50'000'000);
    BOOST_CHECK(readUnspent(json::parse("{}")).empty());
    // listsinceblock: bad entries ignored, receive addresses collected; what left the wallet is
    // every output of a transaction spending its coins plus the fee.
    auto activity = readWalletTransactions(json::parse(R"({"transactions": [
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "category": "receive",
         "amount": 0.5, "vout": 1, "address": "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "confirmations": 1},
        {"txid": "short", "category": "receive", "amount": 1},
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "category": "send",
         "amount": -0.2, "vout": 0, "fee": -0.0001, "address": "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
        {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "category": "send",
         "amount": -0.5, "vout": 1, "fee": -0.0001, "address": "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
        {"category": "receive"}, "x"]})"),
                                           jm::bitcoin::Network::Regtest);
    BOOST_REQUIRE_EQUAL(activity.history.size(), 1u);
    BOOST_CHECK_EQUAL(activity.history[0].received, 50'000'000);
    BOOST_CHECK_EQUAL(activity.history[0].spent, 70'010'000);
    BOOST_CHECK_EQUAL(activity.receiving.size(), 1u);
    BOOST_CHECK(readWalletTransactions(json::parse("[]"), jm::bitcoin::Network::Regtest).history.empty());
    BOOST_CHECK(
        readWalletTransactions(json::parse(R"({"transactions": 3})"), jm::bitcoin::Network::Regtest).history.empty());
    // Watched-transaction lookups.
    bool unsure = false;
    std::vector<jm::bitcoin::OutPoint> spent;
    auto seen = readWalletTxSighting(json::parse(R"({"confirmations": "x", "decoded": {"vin": 3}})"), unsure, spent);
    BOOST_CHECK(spent.empty());
    BOOST_CHECK(seen.where == jm::chain::TxSighting::Where::Mempool && unsure);
    seen = readWalletTxSighting(json::parse(R"({"confirmations": -2, "walletconflicts": [5, "zz"]})"), unsure, spent);
    BOOST_CHECK(seen.where == jm::chain::TxSighting::Where::Conflicted && !unsure);
    BOOST_CHECK_EQUAL(seen.confirmations, 2);
    BOOST_CHECK_EQUAL(seen.conflicting_txid, "");
    std::vector<jm::bitcoin::OutPoint> inputs;
    BOOST_CHECK(!readRawTxSighting(json::parse(R"({"vin": []})"), 100, inputs));
    auto raw =
        readRawTxSighting(json::parse(R"({"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "vin": [{"coinbase": "00"}, {"txid": "zz", "vout": 0},
                {"txid": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "vout": 3}],
        "confirmations": 2, "blockhash": "ab"})"),
                          100, inputs);
    BOOST_REQUIRE(raw);
    BOOST_CHECK(raw->where == jm::chain::TxSighting::Where::Chain);
    BOOST_CHECK_EQUAL(raw->height, 99);
    BOOST_REQUIRE_EQUAL(inputs.size(), 1u);
    BOOST_CHECK_EQUAL(inputs[0].vout, 3u);
    BOOST_CHECK(!readBlockSpends(json::parse(R"({"hash": "00", "height": 1, "tx": []})")));
    BOOST_CHECK(!readBlockSpends(
        json::parse(R"({"hash": "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87", "height": 1})")));
    BOOST_CHECK(!readOtherSpender(json::parse(R"([{"txid": "aa", "vout": 0}, {"spendingtxid": 7}])"), ""));
    BOOST_CHECK(!readOtherSpender(json::parse("{}"), ""));
    // gettxout, getblockchaininfo, listdescriptors, importdescriptors.
    BOOST_CHECK(!readTxOut(json::parse(R"({"value": "x"})")));
    BOOST_CHECK(!readTxOut(json::parse(R"({"value": 1, "scriptPubKey": {"hex": "zz"}})")));
    BOOST_CHECK(readTxOut(json::value(nullptr)).value() == std::nullopt);
    BOOST_CHECK(!readChainState(json::parse(R"({"chain": "regtest"})")));
    BOOST_CHECK(!readChainState(json::parse("[]")));
    auto have = readDescriptors(json::parse(R"({"descriptors": [{"desc": "addr(x)#abc"}, {"desc": "wpkh(k/0/*)#q",
        "range": [0, 999]}, {"desc": 5}, {"range": [0, 1]}]})"));
    BOOST_CHECK_EQUAL(have.size(), 2u);
    BOOST_CHECK_EQUAL(have["wpkh(k/0/*)"].end, 1000);
    BOOST_CHECK_EQUAL(have["addr(x)"].end, 1);
    BOOST_CHECK_EQUAL(importFailure(json::parse(R"([{"success": true}])")), "");
    BOOST_CHECK_EQUAL(importFailure(json::parse(R"([{"success": false, "error": {"message": "bad"}}])")), "bad");
    BOOST_CHECK(!importFailure(json::parse("{}")).empty());
}

BOOST_AUTO_TEST_CASE(rpc_reply_parsing) {
    BOOST_CHECK(std::holds_alternative<RpcFailure>(parseRpcReply(401, "")));
    BOOST_CHECK(std::holds_alternative<RpcFailure>(parseRpcReply(200, "<html>")));
    BOOST_CHECK(std::holds_alternative<RpcFailure>(parseRpcReply(200, R"({"id": 1})")));
    auto err =
        parseRpcReply(500, R"({"result": null, "error": {"code": -26, "message": "min relay fee not met"}, "id": 1})");
    BOOST_REQUIRE(std::holds_alternative<RpcFailure>(err));
    BOOST_CHECK_EQUAL(*std::get<RpcFailure>(err).rpc_code, -26);
    BOOST_CHECK(toBackendError(std::get<RpcFailure>(err), "sendrawtransaction").code == jm::sdk::errc::rejected);
    auto ok = parseRpcReply(200, R"({"result": 42, "error": null, "id": 1})");
    BOOST_REQUIRE(std::holds_alternative<json::value>(ok));
    BOOST_CHECK_EQUAL(std::get<json::value>(ok).as_int64(), 42);
}

BOOST_AUTO_TEST_CASE(config_defaults_follow_the_network) {
    json::object config;
    BOOST_REQUIRE(
        CoreSettings::schema().validate(config, "$", *std::make_unique<std::vector<jm::sdk::ConfigProblem>>()));
    auto regtest = CoreSettings::fromConfig(config, "regtest").value();
    BOOST_CHECK_EQUAL(regtest.rpc.port, 18443);
    BOOST_CHECK(regtest.rpc.cookie_file.string().ends_with(".bitcoin/regtest/.cookie"));
    BOOST_CHECK_EQUAL(CoreSettings::fromConfig(config, "mainnet").value().rpc.port, 8332);
    BOOST_CHECK(
        CoreSettings::fromConfig(config, "mainnet").value().rpc.cookie_file.string().ends_with(".bitcoin/.cookie"));
    config["rpc_user"] = "only-user";
    BOOST_CHECK(!CoreSettings::fromConfig(config, "regtest"));
    config["rpc_user"] = "";
    config["rpc_host"] = "localhost";
    BOOST_CHECK(!CoreSettings::fromConfig(config, "regtest"));
}

BOOST_AUTO_TEST_CASE(tip_and_wrong_network) {
    FakeCore core;
    core.result("getblockchaininfo", chainInfo());
    {
        Harness h(core);
        auto tip = h.wait<jm::chain::ChainTip>([&](auto ex, auto cb) { h.backend->tip(ex, cb); });
        BOOST_REQUIRE(tip);
        BOOST_CHECK_EQUAL(tip->height, 150);
        auto auth = core.server.received().front().headers.at("authorization");
        BOOST_CHECK_EQUAL(auth, "Basic " + jm::bitcoin::toBase64(jm::bitcoin::asBytes("jm:secret")));
    }
    core.result("getblockchaininfo", chainInfo("main"));
    Harness h(core);
    auto tip = h.wait<jm::chain::ChainTip>([&](auto ex, auto cb) { h.backend->tip(ex, cb); });
    BOOST_REQUIRE(!tip);
    BOOST_CHECK(tip.error().code == jm::sdk::errc::invalid_config);
    BOOST_CHECK_MESSAGE(tip.error().message.find("chain 'main'") != std::string::npos, tip.error().message);
}

BOOST_AUTO_TEST_CASE(unreachable_auth_refused_timeout_and_garbage) {
    {
        FakeCore core;
        core.status(401);
        Harness h(core);
        auto tip = h.wait<jm::chain::ChainTip>([&](auto ex, auto cb) { h.backend->tip(ex, cb); });
        BOOST_REQUIRE(!tip);
        BOOST_CHECK(tip.error().code == jm::sdk::errc::permission_denied);
    }
    {
        std::uint16_t closed_port;
        {
            FakeCore gone;
            closed_port = gone.server.port();
        }
        jm::sdk::testing::TestContext ctx("core", "regtest");
        FakeCore core; // only for the harness; the backend below points at the closed port
        Harness h(core);
        CoreSettings settings;
        settings.rpc.user = "u";
        settings.rpc.password = "p";
        settings.rpc.port = closed_port;
        settings.rpc.retries = 2;
        settings.rpc.retry_delay = std::chrono::milliseconds(10);
        h.onStrand([&] {
            h.backend = std::make_unique<CoreBackend>(h.ctx, settings);
            return 0;
        });
        auto tip = h.wait<jm::chain::ChainTip>([&](auto ex, auto cb) { h.backend->tip(ex, cb); });
        BOOST_REQUIRE(!tip);
        BOOST_CHECK(tip.error().code == jm::sdk::errc::unavailable);
        BOOST_CHECK_MESSAGE(tip.error().message.find("unreachable") != std::string::npos, tip.error().message);
    }
    {
        FakeCore core;
        core.server.misbehave(jm::test::HttpTestServer::Behaviour::Hang, 10);
        Harness h(core, "regtest", 1);
        auto tip = h.wait<jm::chain::ChainTip>([&](auto ex, auto cb) { h.backend->tip(ex, cb); });
        BOOST_REQUIRE(!tip);
        BOOST_CHECK(tip.error().code == jm::sdk::errc::unavailable);
        BOOST_CHECK_GE(core.server.attempts(), 2u); // retried once
    }
    {
        FakeCore core;
        core.server.setResponder([](const auto&) {
            return jm::test::HttpTestServer::Response{200, "<html>", "text/html"};
        });
        Harness h(core);
        auto tip = h.wait<jm::chain::ChainTip>([&](auto ex, auto cb) { h.backend->tip(ex, cb); });
        BOOST_REQUIRE(!tip);
        BOOST_CHECK(tip.error().code == jm::sdk::errc::protocol_error);
    }
}

BOOST_AUTO_TEST_CASE(scan_refuses_a_syncing_node) {
    FakeCore core;
    core.result("getblockchaininfo", chainInfo("regtest", true));
    Harness h(core);
    jm::chain::WatchRequest req{"jm-test", {{TPUB, 0, 6}}, {}, 100};
    auto scan = h.wait<jm::chain::WalletScan>([&](auto ex, auto cb) { h.backend->scanWallet(req, {}, ex, cb); });
    BOOST_REQUIRE(!scan);
    BOOST_CHECK(scan.error().code == jm::sdk::errc::unavailable);
    BOOST_CHECK_MESSAGE(scan.error().message.find("still syncing") != std::string::npos, scan.error().message);
}

BOOST_AUTO_TEST_CASE(scan_creates_the_watch_only_wallet_and_imports_what_is_missing) {
    FakeCore core;
    core.result("getblockchaininfo", chainInfo());
    core.result("listwallets", json::array{});
    core.error("loadwallet", -18,
               "Wallet file verification failed. Failed to load database path. Path does not exist.");
    core.result("createwallet", json::object{{"name", "jm-test"}});
    FakeCoreWallet wallet(core);
    // Branch 1 is in Core already, from an import this backend never saw finish.
    wallet.add("wpkh(" + TPUB + "/1/*)", 10);
    core.result("listunspent",
                json::array{json::object{{"txid", "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87"},
                                         {"vout", 1},
                                         {"address", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
                                         {"amount", 0.5},
                                         {"confirmations", 3},
                                         {"scriptPubKey", "0014751e76e8199196d454941c45d1b3a323f1433bd6"},
                                         {"spendable", false},
                                         {"solvable", true},
                                         {"safe", true}}});
    core.result(
        "listsinceblock",
        json::object{{"transactions", json::array{json::object{
                                          {"address", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
                                          {"category", "receive"},
                                          {"amount", 0.5},
                                          {"vout", 1},
                                          {"confirmations", 3},
                                          {"txid", "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87"},
                                          {"time", 1700000000}}}},
                     {"lastblock", "00"}});
    Harness h(core);
    jm::chain::WatchRequest req{"jm-test", {{TPUB, 0, 6}, {TPUB, 1, 6}}, {}, 0};
    std::vector<double> progress;
    auto scan = h.wait<jm::chain::WalletScan>([&](auto ex, auto cb) {
        h.backend->scanWallet(
            req, [&](double f, const std::string&) { progress.push_back(f); }, ex, cb);
    });
    BOOST_REQUIRE_MESSAGE(scan.has_value(), (scan ? std::string() : scan.error().message));
    BOOST_CHECK(!core.lastCall("createwallet").empty());
    auto create_params = core.lastCall("createwallet").at("params").as_array();
    BOOST_CHECK_EQUAL(create_params[1].as_bool(), true); // disable_private_keys
    BOOST_CHECK_EQUAL(create_params[5].as_bool(), true); // descriptors
    // Branch 0 is imported; branch 1 again, since its rescan was never seen to finish (with the
    // range Core has: it refuses a narrower one).
    BOOST_REQUIRE_EQUAL(wallet.imported().size(), 1u);
    auto imports = wallet.imported()[0];
    BOOST_REQUIRE_EQUAL(imports.size(), 2u);
    BOOST_CHECK_EQUAL(imports[0].at("desc").as_string(),
                      jm::bitcoin::withDescriptorChecksum("wpkh(" + TPUB + "/0/*)").value());
    BOOST_CHECK_EQUAL(imports[0].at("range").as_array()[1].as_int64(), 5);
    BOOST_CHECK_EQUAL(imports[0].at("timestamp").as_string(), "now");
    BOOST_REQUIRE_EQUAL(wallet.rescanned().size(), 1u); // then a rescan from the genesis block
    BOOST_CHECK_EQUAL(wallet.rescanned()[0], 0);
    BOOST_CHECK_EQUAL(imports[1].at("range").as_array()[1].as_int64(), 9);
    BOOST_REQUIRE_EQUAL(scan->utxos.size(), 1u);
    BOOST_CHECK_EQUAL(scan->utxos[0].value, 50'000'000);
    BOOST_CHECK_EQUAL(scan->utxos[0].outpoint.toString(),
                      "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87:1");
    BOOST_CHECK_EQUAL(scan->used_scripts.size(), 1u);
    BOOST_REQUIRE_EQUAL(scan->history.size(), 1u);
    BOOST_CHECK_EQUAL(scan->history[0].received, 50'000'000);
    BOOST_CHECK_EQUAL(scan->tip.height, 150);
    BOOST_CHECK(!progress.empty());
    // Every wallet call went to the wallet's endpoint.
    for (const auto& r : core.server.received()) {
        auto method = json::parse(r.body).at("method").as_string();
        if (method == "listdescriptors" || method == "importdescriptors" || method == "listunspent" ||
            method == "listsinceblock")
            BOOST_CHECK_EQUAL(r.target, "/wallet/jm-test");
    }
    // Recorded as rescanned: the next scan imports nothing.
    scan = h.wait<jm::chain::WalletScan>([&](auto ex, auto cb) { h.backend->scanWallet(req, {}, ex, cb); });
    BOOST_REQUIRE(scan);
    BOOST_CHECK_EQUAL(wallet.imported().size(), 1u);
}

BOOST_AUTO_TEST_CASE(broadcast_rejection_method_missing_txout_and_fees) {
    FakeCore core;
    core.error("sendrawtransaction", -26, "min relay fee not met, 100 < 141");
    core.result("gettxout", nullptr);
    core.result("estimatesmartfee",
                json::object{{"errors", json::array{"Insufficient data or no feerate found"}}, {"blocks", 2}});
    Harness h(core);
    auto sent = h.wait<std::string>([&](auto ex, auto cb) { h.backend->broadcast({0x02, 0x00}, ex, cb); });
    BOOST_REQUIRE(!sent);
    BOOST_CHECK(sent.error().code == jm::sdk::errc::rejected);
    BOOST_CHECK_MESSAGE(sent.error().message.find("min relay fee not met") != std::string::npos, sent.error().message);

    jm::bitcoin::OutPoint op{};
    auto out = h.wait<std::optional<jm::chain::TxOutInfo>>([&](auto ex, auto cb) { h.backend->getTxOut(op, ex, cb); });
    BOOST_REQUIRE(out);
    BOOST_CHECK(!*out); // spent or unknown
    core.result("gettxout",
                json::object{{"bestblock", "00"},
                             {"confirmations", 7},
                             {"value", 1.25},
                             {"scriptPubKey", json::object{{"hex", "0014751e76e8199196d454941c45d1b3a323f1433bd6"}}},
                             {"coinbase", false}});
    out = h.wait<std::optional<jm::chain::TxOutInfo>>([&](auto ex, auto cb) { h.backend->getTxOut(op, ex, cb); });
    BOOST_REQUIRE(out && *out);
    BOOST_CHECK_EQUAL((*out)->value, 125'000'000);
    BOOST_CHECK_EQUAL((*out)->confirmations, 7);

    auto fee = h.wait<std::int64_t>([&](auto ex, auto cb) { h.backend->estimateFee(3, ex, cb); });
    BOOST_REQUIRE(fee);
    BOOST_CHECK_EQUAL(*fee, 10'000); // the fallback
    core.result("estimatesmartfee", json::object{{"feerate", 0.00012}, {"blocks", 3}});
    fee = h.wait<std::int64_t>([&](auto ex, auto cb) { h.backend->estimateFee(3, ex, cb); });
    BOOST_CHECK_EQUAL(*fee, 12'000);

    // A method this node does not have.
    auto tx = h.wait<jm::bitcoin::Bytes>([&](auto ex, auto cb) { h.backend->getTransaction("00", ex, cb); });
    BOOST_REQUIRE(!tx);
    BOOST_CHECK(tx.error().code == jm::sdk::errc::unsupported);
}

BOOST_AUTO_TEST_CASE(recorded_core_replies_are_read_as_core_meant_them) {
    auto info = readChainState(std::get<json::value>(replay("getblockchaininfo")));
    BOOST_REQUIRE(info);
    BOOST_CHECK_EQUAL(info->chain, "regtest");
    BOOST_CHECK(!info->initial_block_download);
    auto unspent = readUnspent(std::get<json::value>(replay("listunspent")));
    BOOST_CHECK_EQUAL(unspent.size(), 20u);
    for (const auto& u : unspent)
        BOOST_CHECK_EQUAL(u.value, 1'000'000);
    auto have = readDescriptors(std::get<json::value>(replay("listdescriptors")));
    BOOST_CHECK_GE(have.size(), 10u);
    auto txout = readTxOut(std::get<json::value>(replay("gettxout")));
    BOOST_REQUIRE(txout && *txout);
    BOOST_CHECK_EQUAL((*txout)->value, 1'000'000);
    BOOST_CHECK(readTxOut(std::get<json::value>(replay("gettxout_spent"))).value() == std::nullopt);
    BOOST_CHECK(!member_feerate(std::get<json::value>(replay("estimatesmartfee_none"))));
    BOOST_CHECK(importFailure(std::get<json::value>(replay("importdescriptors_invalid"))).find("checksum") !=
                std::string::npos);

    auto failure = [](const RpcResult& r) { return std::get<RpcFailure>(r); };
    BOOST_CHECK(toBackendError(failure(replay("loadwallet_missing")), "loadwallet").code == jm::sdk::errc::not_found);
    BOOST_CHECK(toBackendError(failure(replay("sendrawtransaction_bad")), "sendrawtransaction").code ==
                jm::sdk::errc::rejected);
    BOOST_CHECK(toBackendError(failure(replay("unknown_method")), "getnonsense").code == jm::sdk::errc::unsupported);
    BOOST_CHECK(toBackendError(failure(replay("auth_refused")), "getblockcount").code ==
                jm::sdk::errc::permission_denied);
}

BOOST_AUTO_TEST_SUITE_END()
