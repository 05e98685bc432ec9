// P2pChainSource (backend-neutrino's P2P light client) against a real regtest Bitcoin Core with
// -blockfilterindex=1 -peerblockfilters=1 over loopback: sync of 200+ blocks, filters equal to
// Core's getblockfilter, a broadcast transaction in Core's mempool, a new block and a relayed
// mempool transaction seen. Skipped (exit 77) without bitcoind.
#include "p2p_chain_source.hpp"

#include <util/bitcoind.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/net/peer_address.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

using namespace jm::plugins::backend_neutrino;
using namespace jm::test;
using jm::bitcoin::Network;
using jm::sdk::Result;

namespace {

template <class P> bool runUntil(boost::asio::io_context& io, P pred, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        io.restart();
        io.run_for(std::chrono::milliseconds{10});
    }
    return true;
}

bool inMempool(Bitcoind& core, const std::string& txid) {
    try {
        core.cli({"getmempoolentry", txid});
        return true;
    } catch (const std::runtime_error&) { // not in the mempool (yet)
        return false;
    }
}

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(neutrino_sync_regtest)

BOOST_AUTO_TEST_CASE(sync_filters_broadcast_and_relay_with_core) {
    auto port = freeLoopbackPort();
    Bitcoind core(*findBitcoinCore(),
                  {"-listen=1", "-port=" + std::to_string(port), "-bind=127.0.0.1:" + std::to_string(port),
                   "-blockfilterindex=1", "-peerblockfilters=1"});
    core.mine(110);
    auto address = core.cli({"getnewaddress", "", "bech32"}, "miner");
    for (int i = 0; i < 5; ++i)
        core.cli({"sendtoaddress", address, "0.5"}, "miner");
    core.mine(100); // 210 blocks, one with spends (its filter holds spent scripts)
    for (int i = 0; i < 200; ++i) {
        auto info = core.cliJson({"getindexinfo", "basic block filter index"});
        if (info.as_object().contains("basic block filter index") &&
            info.at("basic block filter index").at("synced").as_bool())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto tip = static_cast<std::uint32_t>(std::stoul(core.cli({"getblockcount"})));
    BOOST_REQUIRE_GE(tip, 210u);

    boost::asio::io_context io;
    jm::sdk::testing::MemoryKvStore store;
    P2pChainSourceSettings settings;
    settings.params = chainParams(Network::Regtest);
    settings.peers.connection.network = Network::Regtest;
    settings.peers.peers.push_back(*jm::net::parsePeerAddress("127.0.0.1:" + std::to_string(port)));
    settings.tick = std::chrono::milliseconds{50};
    auto opened = P2pChainSource::open(boost::asio::make_strand(io), settings, store);
    BOOST_REQUIRE_MESSAGE(opened, opened.error().message);
    auto& source = **opened;
    std::vector<ChainChange> changes;
    std::vector<jm::bitcoin::Transaction> mempool;
    source.onChainChanged([&](const ChainChange& c) { changes.push_back(c); });
    source.onMempoolTransaction([&](const jm::bitcoin::Transaction& tx) { mempool.push_back(tx); });
    source.start();
    BOOST_REQUIRE(runUntil(
        io, [&] { return source.synced() && source.verifiedHeight() == tip; }, std::chrono::seconds{60}));
    BOOST_CHECK(source.headerAt(tip)->hashHex() == core.cli({"getbestblockhash"}));

    std::optional<Result<std::vector<VerifiedFilter>>> filters;
    source.getFilters(0, tip, [&](Result<std::vector<VerifiedFilter>> r) { filters = std::move(r); });
    BOOST_REQUIRE(runUntil(
        io, [&] { return filters.has_value(); }, std::chrono::seconds{60}));
    BOOST_REQUIRE_MESSAGE(*filters, filters->error().message);
    BOOST_REQUIRE_EQUAL((*filters)->size(), tip + 1);
    for (std::uint32_t h = 0; h <= tip; ++h) {
        const auto& f = (**filters)[h];
        auto hash = jm::bitcoin::toHexReversed(f.block_hash);
        BOOST_CHECK_EQUAL(hash, core.cli({"getblockhash", std::to_string(h)}));
        auto theirs = core.cliJson({"getblockfilter", hash});
        BOOST_CHECK_EQUAL(jm::bitcoin::toHex(f.filter), theirs.at("filter").as_string());
    }

    // A block through getBlock: Core's serialisation, merkle root checked.
    std::optional<Result<jm::bitcoin::Block>> block;
    auto block_hash = *jm::bitcoin::hashFromDisplayHex(core.cli({"getblockhash", "111"}));
    source.getBlock(block_hash, [&](Result<jm::bitcoin::Block> r) { block = std::move(r); });
    BOOST_REQUIRE(runUntil(
        io, [&] { return block.has_value(); }, std::chrono::seconds{30}));
    BOOST_REQUIRE_MESSAGE(*block, block->error().message);
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex((*block)->serialize()),
                      core.cli({"getblock", core.cli({"getblockhash", "111"}), "0"}));

    // A payment signed by Core's wallet but not sent by it: our broadcast puts it in the mempool.
    auto dest = core.cli({"getnewaddress", "", "bech32"}, "miner");
    auto raw = core.cli({"createrawtransaction", "[]", "{\"" + dest + "\":1.25}"}, "miner");
    auto funded = core.cliJson({"fundrawtransaction", raw}, "miner").at("hex").as_string();
    auto signed_hex =
        core.cliJson({"signrawtransactionwithwallet", std::string(funded)}, "miner").at("hex").as_string();
    auto tx = jm::bitcoin::parseTransaction(*jm::bitcoin::fromHex(signed_hex));
    BOOST_REQUIRE(tx);
    BOOST_REQUIRE(!inMempool(core, tx->txidHex()));
    std::optional<Result<void>> sent;
    source.broadcast(*tx, [&](Result<void> r) { sent = r; });
    BOOST_REQUIRE(runUntil(
        io, [&] { return sent.has_value(); }, std::chrono::seconds{60}));
    BOOST_REQUIRE_MESSAGE(*sent, sent->error().message);
    BOOST_REQUIRE(runUntil(
        io, [&] { return inMempool(core, tx->txidHex()); }, std::chrono::seconds{30}));

    // Core relays its wallet's next transaction to us (version relay=true).
    auto relayed = core.cli({"sendtoaddress", dest, "0.75"}, "miner");
    BOOST_REQUIRE(runUntil(
        io,
        [&] {
            return std::any_of(mempool.begin(), mempool.end(), [&](const auto& t) { return t.txidHex() == relayed; });
        },
        std::chrono::seconds{90}));

    // A new block: announced, verified, reported.
    changes.clear();
    core.mine(1);
    BOOST_REQUIRE(runUntil(
        io, [&] { return !changes.empty() && changes.back().new_height == tip + 1; }, std::chrono::seconds{60}));
    BOOST_CHECK_EQUAL(changes.back().fork_height, tip);
    BOOST_CHECK(changes.back().disconnected.empty());
    source.stop();
}

BOOST_AUTO_TEST_SUITE_END()
