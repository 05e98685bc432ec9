// P2pChainSource against in-test P2P peers (TestNode) serving real regtest blocks with filters
// built by the SDK's GCS encoder: sync, restart, reorg, relay, and peers that lie.
#include "p2p_chain_source.hpp"
#include "p2p_framing.hpp"
#include "p2p_test_node.hpp"

#include <jm/bitcoin/encoding.hpp>
#include <jm/net/peer_address.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions/message.hpp>
#include <boost/log/sinks/basic_sink_backend.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/test/unit_test.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

using namespace jm::plugins::backend_neutrino;
using namespace jm::test::neutrino;
using jm::bitcoin::Network;
using jm::sdk::errc;
using jm::sdk::Result;
using jm::sdk::testing::MemoryKvStore;

namespace {

std::shared_ptr<TestBlockChain> makeChain(std::size_t blocks, std::uint8_t salt = 0) {
    auto c = std::make_shared<TestBlockChain>(TestBlockChain::genesis());
    c->extend(blocks, salt);
    return c;
}

struct SourceFixture {
    boost::asio::io_context io;
    MemoryKvStore store;
    std::unique_ptr<P2pChainSource> source;
    std::vector<ChainChange> changes;
    std::vector<jm::bitcoin::Transaction> mempool;

    P2pChainSourceSettings settings(const std::vector<std::string>& peers) {
        P2pChainSourceSettings s;
        s.params = chainParams(Network::Regtest);
        s.peers.connection.network = Network::Regtest;
        s.peers.connection.connect_timeout = std::chrono::milliseconds{2000};
        s.peers.connection.handshake_timeout = std::chrono::milliseconds{2000};
        s.peers.reconnect.initial = std::chrono::milliseconds{100};
        s.peers.reconnect.jitter_max = std::chrono::milliseconds{50};
        s.peers.ban_duration = std::chrono::seconds{3600};
        for (const auto& p : peers)
            s.peers.peers.push_back(*jm::net::parsePeerAddress(p));
        s.request_timeout = std::chrono::milliseconds{3000};
        s.tick = std::chrono::milliseconds{20};
        s.cross_check_wait = std::chrono::milliseconds{500};
        return s;
    }
    std::size_t crossCheckPeers = 2;
    bool connectLearned = false;
    std::vector<SeedHost> seeds;
    std::size_t maxPeers = 8;
    std::size_t maxLearned = 1000;
    std::chrono::seconds banDuration{3600};
    std::chrono::milliseconds seedRetry{60'000};
    std::chrono::milliseconds pingInterval{60'000};
    std::chrono::milliseconds broadcastTimeout{60'000};
    std::chrono::milliseconds requestTimeout{3'000};
    std::chrono::milliseconds crossCheckWait{500};
    std::optional<std::chrono::milliseconds> reconnectMax;
    void open(const std::vector<std::string>& peers, bool start = true) {
        auto config = settings(peers);
        config.peers.connection.ping_interval = pingInterval;
        config.peers.connection.ping_timeout = pingInterval * 2;
        config.cross_check_peers = crossCheckPeers;
        config.peers.connect_learned = connectLearned;
        config.peers.dns_seeds = seeds;
        config.peers.max_peers = maxPeers;
        config.peers.max_learned = maxLearned;
        config.peers.ban_duration = banDuration;
        config.peers.seed_retry = seedRetry;
        config.broadcast_timeout = broadcastTimeout;
        config.request_timeout = requestTimeout;
        config.cross_check_wait = crossCheckWait;
        if (reconnectMax) config.peers.reconnect.max = *reconnectMax;
        auto s = P2pChainSource::open(boost::asio::make_strand(io), config, store);
        BOOST_REQUIRE_MESSAGE(s, s.error().message);
        source = std::move(*s);
        source->onChainChanged([this](const ChainChange& c) { changes.push_back(c); });
        source->onMempoolTransaction([this](const jm::bitcoin::Transaction& tx) { mempool.push_back(tx); });
        if (start) source->start();
    }
    void runFor(std::chrono::milliseconds time) {
        auto deadline = std::chrono::steady_clock::now() + time;
        while (std::chrono::steady_clock::now() < deadline) {
            io.restart();
            io.run_for(std::chrono::milliseconds{5});
        }
    }
    template <class P> bool runUntil(P pred, std::chrono::milliseconds limit = std::chrono::seconds{30}) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (!pred()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            io.restart();
            io.run_for(std::chrono::milliseconds{5});
        }
        return true;
    }
    bool syncedTo(const TestBlockChain& chain) {
        return source->synced() && source->verifiedHeight() == chain.height() &&
               source->headerAt(chain.height())->hash() == chain.hashes.back();
    }
    Result<std::vector<VerifiedFilter>> filters(std::uint32_t from, std::uint32_t to) {
        std::optional<Result<std::vector<VerifiedFilter>>> got;
        source->getFilters(from, to, [&](Result<std::vector<VerifiedFilter>> r) { got = std::move(r); });
        BOOST_REQUIRE(runUntil([&] { return got.has_value(); }));
        return std::move(*got);
    }
    Result<jm::bitcoin::Block> block(const jm::bitcoin::Hash256& hash) {
        std::optional<Result<jm::bitcoin::Block>> got;
        source->getBlock(hash, [&](Result<jm::bitcoin::Block> r) { got = std::move(r); });
        BOOST_REQUIRE(runUntil([&] { return got.has_value(); }));
        return std::move(*got);
    }
    void checkFilters(const TestBlockChain& chain, std::uint32_t from, std::uint32_t to) {
        auto got = filters(from, to);
        BOOST_REQUIRE_MESSAGE(got, got.error().message);
        BOOST_REQUIRE_EQUAL(got->size(), to - from + 1);
        for (std::uint32_t h = from; h <= to; ++h) {
            const auto& f = (*got)[h - from];
            BOOST_CHECK_EQUAL(f.height, h);
            BOOST_CHECK(f.block_hash == chain.hashes[h]);
            BOOST_CHECK(f.filter == chain.filters[h]);
        }
    }
};

// A loopback port nothing listens on (yet): a configured peer that comes later.
std::uint16_t unusedPort() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

jm::bitcoin::Transaction sampleTx(std::uint8_t tag) {
    jm::bitcoin::Transaction tx;
    jm::bitcoin::TxIn in;
    in.prevout.txid.fill(tag);
    in.witness.push_back({0x01, tag});
    tx.inputs.push_back(in);
    tx.outputs.push_back({12345, jm::bitcoin::Bytes{0x00, 0x14, 1,  2,  3,  4,  5,  6,  7,  8,  9,
                                                    10,   11,   12, 13, 14, 15, 16, 17, 18, 19, tag}});
    return tx;
}

// Warnings logged while it lives.
struct WarningCapture {
    struct Backend : boost::log::sinks::basic_sink_backend<boost::log::sinks::synchronized_feeding> {
        std::mutex mutex;
        std::vector<std::string> lines;
        void consume(const boost::log::record_view& rec) {
            auto severity = rec[jm::sdk::logSeverity];
            auto message = rec[boost::log::expressions::smessage];
            std::lock_guard lock(mutex);
            if (severity && *severity >= jm::sdk::Severity::warning && message) lines.push_back(*message);
        }
    };
    boost::shared_ptr<Backend> backend = boost::make_shared<Backend>();
    boost::shared_ptr<boost::log::sinks::synchronous_sink<Backend>> sink =
        boost::make_shared<boost::log::sinks::synchronous_sink<Backend>>(backend);
    WarningCapture() { boost::log::core::get()->add_sink(sink); }
    ~WarningCapture() { boost::log::core::get()->remove_sink(sink); }
    bool saw(const std::string& text) { return count(text) > 0; }
    std::size_t count(const std::string& text) {
        std::lock_guard lock(backend->mutex);
        return static_cast<std::size_t>(std::count_if(backend->lines.begin(), backend->lines.end(), [&](const auto& l) {
            return l.find(text) != std::string::npos;
        }));
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(p2p_chain_source_tests, SourceFixture)

BOOST_AUTO_TEST_CASE(test_chain_matches_regtest_genesis) {
    auto chain = TestBlockChain::genesis();
    BOOST_CHECK(chain.blocks[0].computeMerkleRoot() == chain.blocks[0].header.merkle_root);
    // Bitcoin Core v31 regtest, `getblockfilter <block 0>`.
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(chain.filters[0]), "014756c0");
    BOOST_CHECK_EQUAL(jm::bitcoin::toHexReversed(chain.filterHeaders[0]),
                      "485e301e4509d7f0d954bf5b529f3ecef68c5191fd0e635f775c1d0266dc5a2b");
}

BOOST_AUTO_TEST_CASE(sync_from_scratch_with_checkpoints) {
    auto chain = makeChain(2500);
    TestNode a(io, chain), b(io, chain);
    // Both peers must be ready for the checkpoints: on a loaded machine the second handshake
    // can take longer than the fixture's 500 ms (the wait ends as soon as both are ready).
    crossCheckWait = std::chrono::milliseconds{10'000};
    open({a.address(), b.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }, std::chrono::seconds{60}));
    BOOST_CHECK_EQUAL(source->filterHeaderCount(), 2501u);
    BOOST_CHECK_EQUAL(source->readyPeerCount(), 2u);
    BOOST_CHECK(a.cfcheckpts + b.cfcheckpts >= 2); // both asked for the checkpoints
    BOOST_REQUIRE(runUntil([&] { return !changes.empty() && changes.back().new_height == 2500; }));
    BOOST_CHECK_EQUAL(changes.front().fork_height, 0u);
    BOOST_CHECK(changes.back().new_tip == chain->hashes.back());
    for (const auto& c : changes)
        BOOST_CHECK(c.disconnected.empty());
    checkFilters(*chain, 0, 2500);
    auto blk = block(chain->hashes[150]);
    BOOST_REQUIRE_MESSAGE(blk, blk.error().message);
    BOOST_CHECK(blk->serialize() == chain->blocks[150].serialize());
    BOOST_CHECK(*source->heightOf(chain->hashes[150]) == 150u);
    // Beyond the verified chain: refused, not guessed.
    auto beyond = filters(2400, 2501);
    BOOST_REQUIRE(!beyond);
    BOOST_CHECK(beyond.error().code == make_error_code(errc::invalid_argument));
    jm::bitcoin::Hash256 unknown{};
    unknown.fill(9);
    auto missing = block(unknown);
    BOOST_REQUIRE(!missing);
    BOOST_CHECK(missing.error().code == make_error_code(errc::not_found));
}

BOOST_AUTO_TEST_CASE(restart_resumes_from_the_store) {
    auto chain = makeChain(300);
    std::uint16_t port = 0;
    {
        TestNode node(io, chain);
        port = node.port();
        open({node.address()});
        BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
        source.reset();
    }
    chain->extend(50);
    changes.clear();
    // The same peer (address) again: what it alone gave is not asked of it again.
    TestNode node(io, chain, Lie::None, 0, port);
    open({node.address()}, false);
    BOOST_CHECK_EQUAL(source->headerHeight(), 300u); // loaded before any peer
    BOOST_CHECK_EQUAL(source->verifiedHeight(), 300u);
    source->start();
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
    BOOST_REQUIRE(!node.getheaders.empty());
    BOOST_CHECK(node.getheaders.front().locator.front() == chain->hashes[300]);
    BOOST_REQUIRE(!node.cfheadersStarts.empty());
    BOOST_CHECK_EQUAL(node.cfheadersStarts.front(), 301u);
    // The chain change is posted: it may arrive a moment after the sync is seen (CI flake).
    BOOST_REQUIRE(runUntil([&] { return !changes.empty() && changes.back().new_height == 350; }));
    BOOST_CHECK_EQUAL(changes.front().fork_height, 300u);
    BOOST_CHECK_EQUAL(changes.back().new_height, 350u);
    checkFilters(*chain, 280, 350);
}

BOOST_AUTO_TEST_CASE(reorg_resyncs_filter_headers_from_the_fork) {
    auto a_chain = makeChain(40);
    TestNode node(io, a_chain);
    open({node.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*a_chain) && !changes.empty(); }));
    changes.clear();
    auto b_chain = std::make_shared<TestBlockChain>(a_chain->prefix(30));
    b_chain->extend(15, 7);
    node.setChain(b_chain);
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*b_chain) && !changes.empty(); }));
    BOOST_REQUIRE_EQUAL(changes.size(), 1u);
    const auto& c = changes.front();
    BOOST_CHECK_EQUAL(c.fork_height, 30u);
    BOOST_CHECK_EQUAL(c.new_height, 45u);
    BOOST_CHECK(c.new_tip == b_chain->hashes.back());
    BOOST_REQUIRE_EQUAL(c.disconnected.size(), 10u);
    for (std::size_t i = 0; i < 10; ++i)
        BOOST_CHECK(c.disconnected[i] == a_chain->hashes[40 - i]); // highest first
    checkFilters(*b_chain, 25, 45);
    auto gone = block(a_chain->hashes[35]);
    BOOST_REQUIRE(!gone);
    BOOST_CHECK(gone.error().code == make_error_code(errc::not_found));
    BOOST_CHECK(!source->heightOf(a_chain->hashes[35]));
}

BOOST_AUTO_TEST_CASE(broadcast_and_mempool_relay) {
    auto chain = makeChain(20);
    TestNode node(io, chain);
    open({node.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
    auto tx = sampleTx(1);
    std::optional<Result<void>> sent;
    source->broadcast(tx, [&](Result<void> r) { sent = r; });
    BOOST_CHECK(!sent); // never inline
    BOOST_REQUIRE(runUntil([&] { return sent.has_value(); }));
    BOOST_CHECK_MESSAGE(*sent, sent->error().message);
    BOOST_REQUIRE_EQUAL(node.received.size(), 1u);
    BOOST_CHECK(node.received[0].serialize() == tx.serialize());

    auto relayed = sampleTx(2);
    node.announceTx(relayed);
    BOOST_REQUIRE(runUntil([&] { return !mempool.empty(); }));
    BOOST_CHECK(mempool[0].txid() == relayed.txid());
    node.announceTx(relayed); // announced again: fetched once
    auto other = sampleTx(3);
    node.announceTx(other);
    BOOST_REQUIRE(runUntil([&] { return mempool.size() == 2; }));
    BOOST_CHECK(mempool[1].txid() == other.txid());
}

// A peer announcing transactions it never sends: its requests are given up after the request
// timeout (another peer's announcement then fetches the transaction), and it holds at most
// max_peer_tx_inflight of the requests, so other peers' transactions still come.
BOOST_AUTO_TEST_CASE(a_peer_withholding_announced_transactions_cannot_stop_relay) {
    auto chain = makeChain(10);
    TestNode honest(io, chain), withholder(io, chain, Lie::WithholdTxs);
    requestTimeout = std::chrono::milliseconds{1000};
    open({honest.address(), withholder.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && source->readyPeerCount() == 2; }));
    auto flood = [&](std::uint8_t tag, const jm::bitcoin::Transaction* first) {
        InvMessage inv;
        if (first) inv.items.push_back(InvItem{MSG_TX, first->txid()});
        for (std::uint32_t i = 0; i < 1000; ++i) {
            jm::bitcoin::Hash256 h{};
            std::memcpy(h.data(), &i, sizeof i);
            h[31] = tag;
            inv.items.push_back(InvItem{MSG_TX, h});
        }
        withholder.sendToAll(inv);
    };
    auto withheld = sampleTx(1);
    flood(0xe1, &withheld);
    runFor(std::chrono::milliseconds{1500}); // its requests expire
    honest.announceTx(withheld);
    BOOST_REQUIRE(runUntil([&] { return mempool.size() == 1; }, std::chrono::seconds{10}));
    BOOST_CHECK(mempool[0].txid() == withheld.txid());
    flood(0xe2, nullptr);
    runFor(std::chrono::milliseconds{100});
    auto other = sampleTx(2);
    honest.announceTx(other);
    BOOST_REQUIRE(runUntil([&] { return mempool.size() == 2; }, std::chrono::seconds{5}));
    BOOST_CHECK(mempool[1].txid() == other.txid());
}

BOOST_AUTO_TEST_CASE(broadcast_is_done_only_when_the_peer_has_processed_the_transaction) {
    // The peer fetches the transaction but never answers the ping sent after it: nothing proves
    // it was processed, so the broadcast must not report success (it times out instead).
    auto chain = makeChain(5);
    TestNode node(io, chain, Lie::NoPong);
    broadcastTimeout = std::chrono::milliseconds{1500};
    open({node.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
    std::optional<Result<void>> sent;
    source->broadcast(sampleTx(5), [&](Result<void> r) { sent = r; });
    BOOST_REQUIRE(runUntil([&] { return !node.received.empty(); }));
    BOOST_REQUIRE(runUntil([&] { return sent.has_value(); }));
    BOOST_REQUIRE(!*sent);
    BOOST_CHECK(sent->error().code == make_error_code(errc::timeout));
}

BOOST_AUTO_TEST_CASE(broadcast_without_peers_is_unavailable) {
    open({"127.0.0.1:1"});
    std::optional<Result<void>> sent;
    source->broadcast(sampleTx(4), [&](Result<void> r) { sent = r; });
    BOOST_REQUIRE(runUntil([&] { return sent.has_value(); }));
    BOOST_REQUIRE(!*sent);
    BOOST_CHECK(sent->error().code == make_error_code(errc::unavailable));
}

BOOST_AUTO_TEST_CASE(peer_without_compact_filters_is_dropped_not_banned) {
    auto chain = makeChain(10);
    TestNode plain(io, chain, Lie::NoServices), good(io, chain);
    open({plain.address(), good.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && plain.connections >= 2; }));
    BOOST_CHECK_EQUAL(source->readyPeerCount(), 1u);
    BOOST_CHECK(!source->isBanned(plain.address()));
    BOOST_CHECK(plain.getheaders.empty());
}

BOOST_AUTO_TEST_CASE(only_peer_without_compact_filters_is_the_reason_given) {
    // The user's only peer runs without -peerblockfilters: what the wallet scan reports after
    // waiting names that peer and the setting, and a good peer clears it.
    auto chain = makeChain(10);
    TestNode plain(io, chain, Lie::NoServices);
    open({plain.address()});
    BOOST_REQUIRE(runUntil([&] { return plain.connections >= 1 && !source->unavailableReason().empty(); }));
    auto why = source->unavailableReason();
    BOOST_CHECK_MESSAGE(why.find(plain.address()) != std::string::npos, why);
    BOOST_CHECK_MESSAGE(why.find("does not serve compact block filters") != std::string::npos, why);
    BOOST_CHECK_MESSAGE(why.find("-peerblockfilters=1") != std::string::npos, why);
    BOOST_CHECK(!source->synced());
}

BOOST_AUTO_TEST_CASE(peer_not_answering_pings_is_dropped_and_retried) {
    auto chain = makeChain(10);
    TestNode silent(io, chain, Lie::NoPong), good(io, chain);
    pingInterval = std::chrono::milliseconds{100};
    open({silent.address(), good.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && silent.connections >= 2; }));
    BOOST_CHECK(!source->isBanned(silent.address()));
    BOOST_CHECK_EQUAL(good.connections, 1u); // answered every ping: kept
}

BOOST_AUTO_TEST_CASE(learned_addresses_are_used_only_when_allowed) {
    auto chain = makeChain(10);
    TestNode configured(io, chain), advertised(io, chain);
    configured.advertise = {advertised.port()};
    open({configured.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && source->peers().learnedCount() == 1; }));
    io.restart();
    io.run_for(std::chrono::milliseconds{200});
    BOOST_CHECK_EQUAL(advertised.connections, 0u);
    source.reset();

    connectLearned = true;
    open({configured.address()});
    BOOST_REQUIRE(runUntil([&] { return advertised.connections == 1 && source->readyPeerCount() == 2; }));
}

BOOST_AUTO_TEST_CASE(dns_seed_hosts_give_the_peers) {
    // "localhost" resolves through /etc/hosts (no network): 127.0.0.1 answers, ::1 (if listed)
    // is refused and forgotten. No peer is configured at all.
    auto chain = makeChain(10);
    TestNode node(io, chain);
    seeds = {SeedHost{"localhost", node.port(), false}};
    open({});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
    BOOST_CHECK_EQUAL(node.connections, 1u);
    BOOST_CHECK_GE(source->peers().seedRounds(), 1u);
    BOOST_CHECK(source->peers().seededCount() >= 1);
}

BOOST_AUTO_TEST_CASE(seeds_are_asked_again_while_they_give_no_peer) {
    // Nothing listens at the seed's address at first: the candidate is forgotten, the lookup is
    // repeated every seed_retry, and the peer is found once it listens.
    auto chain = makeChain(10);
    std::uint16_t port = 0;
    {
        boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port(); // free once closed
    }
    seeds = {SeedHost{"localhost", port, false}};
    seedRetry = std::chrono::milliseconds{200};
    open({});
    BOOST_REQUIRE(runUntil([&] { return source->peers().seedRounds() >= 3; }));
    BOOST_CHECK_EQUAL(source->readyPeerCount(), 0u);
    // Said plainly, also to whoever asks for data meanwhile.
    BOOST_CHECK_NE(source->peers().noPeerReason().find("no peer can be found"), std::string::npos);
    std::optional<Result<void>> sent;
    source->broadcast(sampleTx(9), [&](Result<void> r) { sent = r; });
    BOOST_REQUIRE(runUntil([&] { return sent.has_value(); }));
    BOOST_REQUIRE(!*sent);
    BOOST_CHECK_NE(sent->error().message.find("no peer can be found"), std::string::npos);
    TestNode node(io, chain, Lie::None, 0, port);
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
    BOOST_CHECK_EQUAL(node.connections, 1u);
    BOOST_CHECK(source->peers().noPeerReason().empty());
}

BOOST_AUTO_TEST_CASE(max_peers_bounds_the_connections_to_learned_addresses) {
    auto chain = makeChain(10);
    TestNode configured(io, chain);
    std::vector<std::unique_ptr<TestNode>> learned;
    for (int i = 0; i < 4; ++i) {
        learned.push_back(std::make_unique<TestNode>(io, chain));
        configured.advertise.push_back(learned.back()->port());
    }
    connectLearned = true;
    maxPeers = 3;
    open({configured.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && source->readyPeerCount() == 3; }));
    runFor(std::chrono::milliseconds{300});
    BOOST_CHECK_EQUAL(source->peers().connectionCount(), 3u);
    BOOST_CHECK_EQUAL(source->readyPeerCount(), 3u);
    std::size_t used = 0;
    TestNode* connected = nullptr;
    for (auto& n : learned)
        if (n->connections > 0) {
            ++used;
            connected = n.get();
        }
    BOOST_CHECK_EQUAL(used, 2u);
    BOOST_CHECK_EQUAL(source->peers().learnedCount(), 4u);
    // A learned peer goes away: its slot goes to a candidate not tried yet, still 3 in all.
    BOOST_REQUIRE(connected);
    for (auto& n : learned)
        if (n.get() == connected) n.reset();
    BOOST_REQUIRE(runUntil([&] {
        std::size_t now_used = 0;
        for (auto& n : learned)
            if (n && n->connections > 0) ++now_used;
        return now_used == 2 && source->readyPeerCount() == 3;
    }));
    runFor(std::chrono::milliseconds{200});
    BOOST_CHECK_EQUAL(source->peers().connectionCount(), 3u);
}

namespace {
AddrMessage addrFlood(std::uint8_t net, std::size_t count, std::uint64_t services) {
    AddrMessage m;
    for (std::size_t i = 0; i < count; ++i) {
        AddrEntry e;
        e.time = 1'700'000'000;
        e.addr.services = services;
        e.addr.ip = {0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0,
                     0xff,
                     0xff,
                     10,
                     net,
                     static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i)};
        e.addr.port = 18444;
        m.entries.push_back(e);
    }
    return m;
}
} // namespace

BOOST_AUTO_TEST_CASE(an_addr_flood_is_bounded_and_deduplicated) {
    // connect_learned stays off: nothing outside loopback is ever dialled.
    auto chain = makeChain(5);
    TestNode node(io, chain);
    maxLearned = 100;
    open({node.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
    const auto wanted = NODE_NETWORK | NODE_COMPACT_FILTERS;
    node.sendToAll(addrFlood(1, 40, wanted));
    BOOST_REQUIRE(runUntil([&] { return source->peers().learnedCount() == 40; }));
    node.sendToAll(addrFlood(1, 40, wanted));       // the same again: nothing new
    node.sendToAll(addrFlood(2, 40, NODE_NETWORK)); // no compact filters: not useful
    node.sendToAll(PingMessage{1});
    runFor(std::chrono::milliseconds{200});
    BOOST_CHECK_EQUAL(source->peers().learnedCount(), 40u);
    for (std::uint8_t net = 3; net < 13; ++net) // 10 x 1000 more
        node.sendToAll(addrFlood(net, 1000, wanted));
    runFor(std::chrono::milliseconds{500});
    BOOST_CHECK_EQUAL(source->peers().learnedCount(), 100u); // the book's bound
    BOOST_CHECK_EQUAL(source->peers().connectionCount(), 1u);
    BOOST_CHECK(!source->isBanned(node.address())); // a large addr is not misbehaviour
}

BOOST_AUTO_TEST_CASE(a_ban_outlives_a_restart_and_ends) {
    auto chain = makeChain(10);
    TestNode honest(io, chain), liar(io, chain, Lie::BadChecksum);
    banDuration = std::chrono::seconds{3};
    open({honest.address(), liar.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && source->isBanned(liar.address()); }));
    source.reset();
    auto before = liar.connections;
    open({honest.address(), liar.address()});
    BOOST_CHECK(source->isBanned(liar.address())); // loaded before any connection
    BOOST_REQUIRE(runUntil([&] { return source->readyPeerCount() == 1; }));
    runFor(std::chrono::milliseconds{500});
    BOOST_CHECK_EQUAL(liar.connections, before); // not dialled while banned
    // The ban ends: the peer is tried again (and, lying again, banned again).
    BOOST_REQUIRE(runUntil([&] { return liar.connections > before; }, std::chrono::seconds{10}));
}

BOOST_AUTO_TEST_CASE(a_stored_ban_keeps_the_address_out_of_the_learned_and_seeded_ones) {
    auto chain = makeChain(5);
    TestNode configured(io, chain), banned(io, chain);
    configured.advertise = {banned.port()};
    auto end = std::chrono::duration_cast<std::chrono::seconds>(
                   (std::chrono::system_clock::now() + std::chrono::hours{1}).time_since_epoch())
                   .count();
    BOOST_REQUIRE(store.put("peerban/" + banned.address(), std::to_string(end) + " lied earlier"));
    BOOST_REQUIRE(store.put("peerban/127.0.0.1:9", "not a time"));
    BOOST_REQUIRE(store.put("peerban/127.0.0.1:10", "1000 long over"));
    connectLearned = true;
    seeds = {SeedHost{"127.0.0.1", banned.port(), false}};
    seedRetry = std::chrono::milliseconds{100};
    open({configured.address()});
    BOOST_CHECK(source->isBanned(banned.address()));
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && source->peers().seedRounds() >= 2; }));
    runFor(std::chrono::milliseconds{200});
    BOOST_CHECK_EQUAL(banned.connections, 0u);
    BOOST_CHECK_EQUAL(source->peers().learnedCount(), 0u);
    BOOST_CHECK_EQUAL(source->peers().seededCount(), 0u);
    // The unreadable and the ended records are gone from the store; the live one stays.
    BOOST_CHECK(!store.get("peerban/127.0.0.1:9")->has_value());
    BOOST_CHECK(!store.get("peerban/127.0.0.1:10")->has_value());
    BOOST_CHECK(store.get("peerban/" + banned.address())->has_value());
}

// Each lie: the liar is banned and the honest peer completes the sync with the true filters.
void lyingPeerIsBanned(SourceFixture& f, Lie lie, std::size_t blocks, std::uint32_t lie_height) {
    BOOST_TEST_CONTEXT("lie " << static_cast<int>(lie)) {
        auto chain = makeChain(blocks);
        TestNode honest(f.io, chain), liar(f.io, chain, lie, lie_height);
        f.open({honest.address(), liar.address()});
        BOOST_REQUIRE(f.runUntil([&] { return f.syncedTo(*chain); }, std::chrono::seconds{60}));
        if (lie == Lie::BadFilter) // filters are fetched on request: ask until the liar served one
            for (int i = 0; i < 4 && !f.source->isBanned(liar.address()); ++i)
                f.checkFilters(*chain, 0, chain->height());
        BOOST_REQUIRE(f.runUntil([&] { return f.source->isBanned(liar.address()); }));
        BOOST_CHECK(!f.source->isBanned(honest.address()));
        f.checkFilters(*chain, 0, chain->height());
        f.source.reset();
    }
}

BOOST_AUTO_TEST_CASE(peer_sending_a_bad_header_is_banned) { lyingPeerIsBanned(*this, Lie::BadHeader, 30, 0); }

BOOST_AUTO_TEST_CASE(peer_lying_about_a_filter_header_is_banned) {
    // Block 5 has only a coinbase: the filter is fully known. 1200 blocks: the lie also shows
    // in the checkpoint at 1000, so the checkpoints disagree and every range is cross-checked.
    lyingPeerIsBanned(*this, Lie::BadFilterHeader, 1200, 5);
}

BOOST_AUTO_TEST_CASE(peer_omitting_an_output_script_in_a_block_with_spends_is_banned) {
    lyingPeerIsBanned(*this, Lie::BadFilterHeader, 120, 105);
}

BOOST_AUTO_TEST_CASE(peer_sending_a_filter_off_its_filter_headers_is_banned) {
    lyingPeerIsBanned(*this, Lie::BadFilter, 30, 7);
}

BOOST_AUTO_TEST_CASE(peer_sending_unrequested_messages_is_banned) {
    lyingPeerIsBanned(*this, Lie::UnrequestedJunk, 30, 0);
}

BOOST_AUTO_TEST_CASE(peer_sending_a_bad_checksum_is_banned) { lyingPeerIsBanned(*this, Lie::BadChecksum, 30, 0); }

BOOST_AUTO_TEST_CASE(spent_script_lie_is_outvoted_by_two_honest_peers) {
    // A filter without a spent script passes every check a light client can make on the block;
    // two honest peers against one liar decide, and the liar is dropped (not banned).
    auto chain = makeChain(120);
    TestNode h1(io, chain), h2(io, chain), liar(io, chain, Lie::BadSpentScript, 105);
    crossCheckPeers = 3;
    open({h1.address(), h2.address(), liar.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }, std::chrono::seconds{60}));
    BOOST_CHECK(!source->isBanned(liar.address()));
    BOOST_CHECK(liar.connections >= 2); // dropped at least once, then back
    checkFilters(*chain, 100, 120);
}

BOOST_AUTO_TEST_CASE(a_lone_lying_peer_cannot_be_caught_but_the_user_is_warned) {
    // One peer omitting an output script (a wallet's payment) from block 105: with nobody to
    // compare with, its filter headers are taken, and the user is told they were not checked.
    auto chain = makeChain(120);
    TestNode liar(io, chain, Lie::BadFilterHeader, 105);
    WarningCapture warnings;
    open({liar.address()});
    BOOST_REQUIRE(runUntil([&] { return source->synced() && source->verifiedHeight() == chain->height(); },
                           std::chrono::seconds{60}));
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), chain->height() + 1); // genesis too
    BOOST_CHECK(warnings.saw("not cross-checked"));
    source.reset();
}

BOOST_AUTO_TEST_CASE(a_lone_peer_is_warned_about_once_not_per_round) {
    // A first sync on one peer takes many getcfheaders rounds (a thousand on mainnet): the
    // warning is said once for the unchecked span, not once per round.
    auto chain = makeChain(2100);
    TestNode peer(io, chain);
    WarningCapture warnings;
    open({peer.address()});
    BOOST_REQUIRE(runUntil([&] { return source->synced() && source->verifiedHeight() == chain->height(); },
                           std::chrono::seconds{60}));
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), chain->height() + 1);
    BOOST_CHECK_EQUAL(warnings.count("not cross-checked"), 1u);
    source.reset();
}

// The lone liar's filter headers are cross-checked when an honest peer connects: the lie (block
// 105's filter without its coinbase output, a wallet's payment) is found, the liar banned, the
// filter headers from 105 fetched again and the blocks from 105 reported disconnected, so the
// wallets rescan them with the true filters.
BOOST_AUTO_TEST_CASE(a_lone_liar_is_caught_once_an_honest_peer_connects) {
    auto chain = makeChain(120);
    TestNode liar(io, chain, Lie::BadFilterHeader, 105);
    auto honest_port = unusedPort();
    reconnectMax = std::chrono::milliseconds{200};
    open({liar.address(), "127.0.0.1:" + std::to_string(honest_port)});
    BOOST_REQUIRE(
        runUntil([&] { return source->synced() && source->verifiedHeight() == chain->height() && !changes.empty(); }));
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), chain->height() + 1);
    changes.clear();
    TestNode honest(io, chain, Lie::None, 0, honest_port);
    BOOST_REQUIRE(runUntil([&] { return source->isBanned(liar.address()); }));
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && !changes.empty(); }));
    BOOST_CHECK(!source->isBanned(honest.address()));
    const auto& change = changes.front();
    BOOST_CHECK_EQUAL(change.fork_height, 104u);
    BOOST_REQUIRE_EQUAL(change.disconnected.size(), chain->height() - 104);
    BOOST_CHECK(change.disconnected.front() == chain->hashes.back()); // highest first
    BOOST_CHECK(change.disconnected.back() == chain->hashes[105]);
    BOOST_CHECK_EQUAL(change.new_height, chain->height());
    checkFilters(*chain, 100, chain->height());
    // Below 105 the honest peer confirmed them; from 105 they are its word alone now.
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), chain->height() - 104);
}

BOOST_AUTO_TEST_CASE(a_lone_peers_filter_headers_are_confirmed_by_the_next_peer) {
    auto chain = makeChain(2100); // more than one getcfheaders (2000) to cross-check
    TestNode first(io, chain);
    auto second_port = unusedPort();
    reconnectMax = std::chrono::milliseconds{200};
    open({first.address(), "127.0.0.1:" + std::to_string(second_port)});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && !changes.empty(); }, std::chrono::seconds{60}));
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), chain->height() + 1);
    BOOST_CHECK(store.get("fhunchecked")->has_value());
    auto changes_before = changes.size();
    TestNode second(io, chain, Lie::None, 0, second_port);
    BOOST_REQUIRE(runUntil([&] { return source->singlePeerFilterHeaders() == 0; }));
    BOOST_CHECK(!store.get("fhunchecked")->has_value());
    BOOST_CHECK(second.cfheadersStarts.size() >= 2);
    BOOST_CHECK(!source->isBanned(first.address()) && !source->isBanned(second.address()));
    for (auto i = changes_before; i < changes.size(); ++i) // nothing to rescan
        BOOST_CHECK(changes[i].disconnected.empty());
}

// What one peer alone gave stays flagged across a restart: a different peer checks it then, and
// with its supplier gone the block decides (the stored filter misses an output of it).
BOOST_AUTO_TEST_CASE(unchecked_filter_headers_are_cross_checked_after_a_restart) {
    auto chain = makeChain(120);
    {
        TestNode liar(io, chain, Lie::BadFilterHeader, 105);
        open({liar.address()});
        BOOST_REQUIRE(runUntil([&] { return source->synced() && source->verifiedHeight() == chain->height(); }));
        source.reset();
    }
    changes.clear();
    TestNode honest(io, chain);
    open({honest.address()});
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), chain->height() + 1);
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain) && !changes.empty(); }));
    BOOST_CHECK_EQUAL(changes.front().fork_height, 104u);
    BOOST_CHECK_EQUAL(changes.front().disconnected.size(), chain->height() - 104);
    checkFilters(*chain, 100, chain->height());
    BOOST_CHECK(!source->isBanned(honest.address()));
}

BOOST_AUTO_TEST_CASE(filter_headers_from_two_agreeing_peers_are_not_flagged) {
    auto chain = makeChain(1100);
    TestNode h1(io, chain), h2(io, chain);
    WarningCapture warnings;
    crossCheckWait = std::chrono::seconds{20}; // a slow (sanitizer) build: wait for both peers
    open({h1.address(), h2.address()});
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }, std::chrono::seconds{60}));
    BOOST_CHECK_EQUAL(source->singlePeerFilterHeaders(), 0u);
    BOOST_CHECK(!warnings.saw("not cross-checked"));
}

// A full headers message (2000) means "there are more"; one of headers we all have already
// must not make us ask again, or a peer answering each getheaders with the same old 2000
// headers keeps us in a getheaders loop at network speed.
BOOST_AUTO_TEST_CASE(a_peer_repeating_known_headers_does_not_loop_us) {
    auto chain = makeChain(2000);
    TestNode repeater(io, chain, Lie::RepeatHeaders);
    open({repeater.address()});
    BOOST_REQUIRE(runUntil([&] { return source->headerHeight() == chain->height(); }));
    runFor(std::chrono::milliseconds{1000});
    BOOST_CHECK_LE(repeater.getheaders.size(), 3u);
    BOOST_REQUIRE(runUntil([&] { return syncedTo(*chain); }));
}

BOOST_AUTO_TEST_CASE(peer_flooding_getdata_without_reading_the_answers_is_dropped) {
    // A hostile peer that completes the handshake, then sends getdata of 50,000 unknown items
    // again and again and never reads: each answer (notfound) is as large as the request, and
    // queued answers must not grow without bound.
    namespace asio = boost::asio;
    asio::io_context attacker_io;
    asio::ip::tcp::acceptor acceptor(attacker_io, {asio::ip::make_address("127.0.0.1"), 0});
    auto port = acceptor.local_endpoint().port();
    std::atomic<bool> stop{false}, flooded{false};
    std::thread attacker([&] {
        asio::ip::tcp::socket socket(attacker_io);
        boost::system::error_code ec;
        acceptor.accept(socket, ec);
        if (ec) return;
        auto sendMsg = [&](const Message& m) {
            auto bytes = frameMessage(Network::Regtest, commandOf(m), encodeMessage(m));
            asio::write(socket, asio::buffer(bytes), ec);
        };
        VersionMessage v;
        v.services = NODE_NETWORK | NODE_WITNESS | NODE_COMPACT_FILTERS;
        v.nonce = 42;
        sendMsg(v);
        sendMsg(VerackMessage{});
        GetDataMessage flood;
        for (std::uint32_t i = 0; i < MAX_INV_ITEMS; ++i) {
            jm::bitcoin::Hash256 h{};
            std::memcpy(h.data(), &i, sizeof i);
            flood.items.push_back(InvItem{MSG_TX, h});
        }
        for (int i = 0; i < 40 && !ec && !stop; ++i)
            sendMsg(flood);
        flooded = true;
        while (!stop)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
    requestTimeout = std::chrono::milliseconds{120'000}; // it never answers getheaders either
    open({"127.0.0.1:" + std::to_string(port)});
    BOOST_REQUIRE(runUntil([&] { return source->readyPeerCount() == 1; }, std::chrono::seconds{10}));
    bool dropped = runUntil([&] { return flooded && source->readyPeerCount() == 0; }, std::chrono::seconds{20});
    stop = true;
    source.reset();
    attacker.join();
    BOOST_CHECK_MESSAGE(dropped, "the flooding peer is still connected");
}

BOOST_AUTO_TEST_SUITE_END()
