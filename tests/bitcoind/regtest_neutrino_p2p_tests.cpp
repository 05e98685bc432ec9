// The backend-neutrino lower layers against a real regtest Bitcoin Core over P2P on loopback
// (-blockfilterindex=1 -peerblockfilters=1): handshake with our codec, headers into our header
// chain, blocks, and Core's BIP158 filters and filter headers compared with our own GCS
// encoder. A blocking socket in the test stands in for the connection class that is not
// written yet. Skipped (exit 77) without bitcoind.
#include "chain_params.hpp"
#include "header_chain.hpp"
#include "p2p_framing.hpp"
#include "p2p_messages.hpp"

#include <util/bitcoind.hpp>
#include <util/setup.hpp>

#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <thread>

using namespace jm::plugins::backend_neutrino;
using namespace jm::test;
using jm::bitcoin::Network;
namespace json = boost::json;

namespace {

// A blocking P2P peer for the test: frames, reads and decodes with the codec under test.
class TestPeer {
public:
    explicit TestPeer(std::uint16_t port) : m_socket(m_io) {
        boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), port);
        for (int i = 0;; ++i) {
            boost::system::error_code ec;
            m_socket.connect(ep, ec);
            if (!ec) break;
            m_socket.close();
            if (i == 50) throw std::runtime_error("cannot connect to bitcoind's P2P port");
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    void send(const Message& m) {
        auto framed = frameMessage(Network::Regtest, commandOf(m), encodeMessage(m));
        boost::asio::write(m_socket, boost::asio::buffer(framed));
    }
    Message read() {
        Bytes head(MESSAGE_HEADER_SIZE);
        boost::asio::read(m_socket, boost::asio::buffer(head));
        auto header = parseMessageHeader(head, Network::Regtest);
        BOOST_REQUIRE_MESSAGE(header, header.error().message);
        Bytes payload(header->length);
        boost::asio::read(m_socket, boost::asio::buffer(payload));
        BOOST_REQUIRE(checkPayload(*header, payload));
        auto message = decodeMessage(header->command, payload);
        BOOST_REQUIRE_MESSAGE(message, message.error().message);
        if (auto ping = std::get_if<PingMessage>(&*message)) send(PongMessage{ping->nonce});
        return *message;
    }
    template <class T> T readUntil() {
        for (int i = 0; i < 1000; ++i) {
            auto m = read();
            if (auto t = std::get_if<T>(&m)) return *t;
        }
        BOOST_FAIL("expected message never came");
        return T{};
    }

private:
    boost::asio::io_context m_io;
    boost::asio::ip::tcp::socket m_socket;
};

} // namespace

BOOST_GLOBAL_FIXTURE(SkipWithoutBitcoind);

BOOST_AUTO_TEST_SUITE(neutrino_p2p_regtest)

BOOST_AUTO_TEST_CASE(headers_blocks_and_filters_match_core) {
    auto port = freeLoopbackPort();
    // The later -port and -listen override the harness's defaults (the last value wins).
    Bitcoind core(*findBitcoinCore(),
                  {"-listen=1", "-port=" + std::to_string(port), "-bind=127.0.0.1:" + std::to_string(port),
                   "-blockfilterindex=1", "-peerblockfilters=1"});
    // A block whose transaction spends a coin: its filter holds the spent output's script.
    auto address = core.cli({"getnewaddress", "", "bech32"}, "miner");
    core.cli({"sendtoaddress", address, "1.5"}, "miner");
    core.mine(2);
    for (int i = 0; i < 100; ++i) {
        auto info = core.cliJson({"getindexinfo", "basic block filter index"});
        if (info.as_object().contains("basic block filter index") &&
            info.at("basic block filter index").at("synced").as_bool())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto tip_hash = *jm::bitcoin::hashFromDisplayHex(core.cli({"getbestblockhash"}));
    auto tip_height = static_cast<std::uint32_t>(std::stoul(core.cli({"getblockcount"})));

    TestPeer peer(port);
    VersionMessage version;
    version.services = NODE_WITNESS;
    version.timestamp = std::time(nullptr);
    version.nonce = 0x5eed;
    version.user_agent = "/jmnode-test/";
    version.relay = false;
    peer.send(version);
    auto theirs = peer.readUntil<VersionMessage>();
    BOOST_CHECK(theirs.services & NODE_COMPACT_FILTERS); // -peerblockfilters announces BIP157
    BOOST_CHECK_EQUAL(static_cast<std::uint32_t>(theirs.start_height), tip_height);
    peer.send(VerackMessage{});
    peer.readUntil<VerackMessage>();

    // Headers into our header chain.
    jm::sdk::testing::MemoryKvStore store;
    auto chain = HeaderChain::open(chainParams(Network::Regtest), store);
    BOOST_REQUIRE(chain);
    peer.send(GetHeadersMessage{PROTOCOL_VERSION, chain->locator(), Hash256{}});
    auto headers = peer.readUntil<HeadersMessage>();
    BOOST_REQUIRE_EQUAL(headers.headers.size(), tip_height);
    auto accepted = chain->acceptHeaders(headers.headers, std::time(nullptr));
    BOOST_REQUIRE_MESSAGE(accepted, accepted.error().message);
    BOOST_CHECK(chain->tip().hash == tip_hash);

    // Filter headers of the whole chain, then each filter with its block.
    peer.send(GetCFHeadersMessage{0, 1, tip_hash});
    auto cfheaders = peer.readUntil<CFHeadersMessage>();
    BOOST_REQUIRE_EQUAL(cfheaders.filter_hashes.size(), tip_height);
    auto genesis_filter = core.cliJson({"getblockfilter", chain->atHeight(0)->header.hashHex()});
    BOOST_CHECK(cfheaders.prev_filter_header ==
                *jm::bitcoin::hashFromDisplayHex(genesis_filter.at("header").as_string()));
    peer.send(GetCFiltersMessage{0, 1, tip_hash});
    std::map<Hash256, Bytes> filters;
    for (std::uint32_t i = 0; i < tip_height; ++i) {
        auto f = peer.readUntil<CFilterMessage>();
        filters[f.block_hash] = f.filter;
    }
    Hash256 filter_header = cfheaders.prev_filter_header;
    std::size_t with_spends = 0;
    for (std::uint32_t h = 1; h <= tip_height; ++h) {
        const auto& entry = *chain->atHeight(h);
        BOOST_TEST_CONTEXT("height " << h) {
            peer.send(GetDataMessage{{InvItem{MSG_WITNESS_BLOCK, entry.hash}}});
            auto block = peer.readUntil<BlockMessage>().block;
            BOOST_REQUIRE(block.header == entry.header);
            BOOST_CHECK(block.computeMerkleRoot() == entry.header.merkle_root);
            std::vector<jm::bitcoin::Script> spent;
            if (block.transactions.size() > 1) {
                ++with_spends;
                auto verbose = core.cliJson({"getblock", entry.header.hashHex(), "3"});
                for (const auto& tx : verbose.at("tx").as_array())
                    for (const auto& in : tx.at("vin").as_array())
                        if (in.as_object().contains("prevout"))
                            spent.push_back(
                                *jm::bitcoin::fromHex(in.at("prevout").at("scriptPubKey").at("hex").as_string()));
            }
            auto ours = jm::bitcoin::buildBasicFilter(block, spent);
            BOOST_REQUIRE(filters.count(entry.hash));
            BOOST_CHECK_EQUAL(jm::bitcoin::toHex(ours.encoded()), jm::bitcoin::toHex(filters[entry.hash]));
            auto hash = jm::bitcoin::blockFilterHash(ours.encoded());
            BOOST_CHECK(hash == cfheaders.filter_hashes[h - 1]);
            filter_header = jm::bitcoin::blockFilterHeader(hash, filter_header);
            auto decoded = jm::bitcoin::decodeBasicFilter(entry.hash, filters[entry.hash]);
            BOOST_REQUIRE(decoded);
            for (const auto& tx : block.transactions)
                for (const auto& out : tx.outputs)
                    if (!out.script_pubkey.empty() && out.script_pubkey[0] != 0x6a)
                        BOOST_CHECK(decoded->match(out.script_pubkey));
        }
    }
    BOOST_CHECK_EQUAL(with_spends, 1u);
    auto core_tip_filter = core.cliJson({"getblockfilter", core.cli({"getbestblockhash"})});
    BOOST_CHECK_EQUAL(jm::bitcoin::toHexReversed(filter_header), core_tip_filter.at("header").as_string());

    // The checkpoint message agrees too (no 1000-block interval yet: an empty list).
    peer.send(GetCFCheckptMessage{0, tip_hash});
    auto checkpt = peer.readUntil<CFCheckptMessage>();
    BOOST_CHECK(checkpt.stop_hash == tip_hash);
    BOOST_CHECK(checkpt.filter_headers.empty());
}

BOOST_AUTO_TEST_SUITE_END()
