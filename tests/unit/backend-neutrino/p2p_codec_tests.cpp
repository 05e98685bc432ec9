#include "p2p_framing.hpp"
#include "p2p_messages.hpp"

#include <jm/bitcoin/encoding.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::plugins::backend_neutrino;
using jm::bitcoin::Network;
using jm::sdk::errc;

namespace {

Hash256 hashOf(std::uint8_t b) {
    Hash256 h{};
    h.fill(b);
    return h;
}

Bytes testnetBlock(std::size_t index) {
    auto v = jm::test::loadVectors("bip158.json");
    return *jm::bitcoin::fromHex(v.at("rows").as_array()[index + 1].as_array()[2].as_string());
}

// One of each message we decode, with non-trivial fields.
std::vector<Message> sampleMessages() {
    VersionMessage version;
    version.services = NODE_NETWORK | NODE_WITNESS | NODE_COMPACT_FILTERS;
    version.timestamp = 1'700'000'000;
    version.addr_recv.ip[15] = 1;
    version.addr_recv.port = 18444;
    version.nonce = 0x0123456789abcdefULL;
    version.user_agent = "/jmnode:0.1/";
    version.start_height = 101;
    version.relay = true;
    AddrMessage addr{{AddrEntry{1'700'000'000, NetAddress{NODE_NETWORK, {}, 8333}}}};
    AddrV2Message addrv2{{AddrV2Entry{1, NODE_COMPACT_FILTERS, 1, Bytes{127, 0, 0, 1}, 18444},
                          AddrV2Entry{2, 0, 4, Bytes(32, 0xaa), 9050}, AddrV2Entry{3, 0, 42, Bytes(7, 1), 1}}};
    InvItem item{MSG_WITNESS_BLOCK, hashOf(3)};
    auto block = jm::bitcoin::parseBlock(testnetBlock(8)); // segwit transactions
    BOOST_REQUIRE(block);
    return {version,
            VerackMessage{},
            SendHeadersMessage{},
            GetAddrMessage{},
            PingMessage{42},
            PongMessage{43},
            addr,
            addrv2,
            InvMessage{{item, InvItem{MSG_TX, hashOf(4)}}},
            GetDataMessage{{item}},
            NotFoundMessage{{item}},
            GetHeadersMessage{PROTOCOL_VERSION, {hashOf(5), hashOf(6)}, Hash256{}},
            HeadersMessage{{block->header, block->header}},
            GetCFiltersMessage{0, 100, hashOf(7)},
            GetCFHeadersMessage{0, 1, hashOf(8)},
            CFilterMessage{0, hashOf(9), Bytes{0x01, 0x9d, 0xfc, 0xa8}},
            CFHeadersMessage{0, hashOf(10), hashOf(11), {hashOf(12), hashOf(13)}},
            GetCFCheckptMessage{0, hashOf(14)},
            CFCheckptMessage{0, hashOf(15), {hashOf(16)}},
            BlockMessage{*block},
            TxMessage{block->transactions.back()}};
}

void requireProtocolError(std::string_view command, const Bytes& payload, const std::string& what) {
    auto r = decodeMessage(command, payload);
    BOOST_REQUIRE_MESSAGE(!r, command << " accepted " << jm::bitcoin::toHex(payload));
    BOOST_CHECK(r.error().code == errc::protocol_error);
    BOOST_CHECK_MESSAGE(r.error().message.find(what) != std::string::npos, r.error().message);
}

Bytes withCount(std::uint64_t n, std::size_t item_size) {
    Bytes out;
    jm::bitcoin::writeCompactSize(out, n);
    out.resize(out.size() + static_cast<std::size_t>(n) * item_size, 0);
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(p2p_framing_tests)

BOOST_AUTO_TEST_CASE(verack_matches_core_bytes) {
    // A regtest verack as Bitcoin Core sends it: magic, "verack", length 0, sha256d("")[0..4].
    auto framed = frameMessage(Network::Regtest, "verack", {});
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(framed), "fabfb5da76657261636b000000000000000000005df6e0e2");
    auto header = parseMessageHeader(framed, Network::Regtest);
    BOOST_REQUIRE(header);
    BOOST_CHECK_EQUAL(header->command, "verack");
    BOOST_CHECK_EQUAL(header->length, 0u);
    BOOST_CHECK(checkPayload(*header, {}));
}

BOOST_AUTO_TEST_CASE(magic_per_network) {
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(networkMagic(Network::Mainnet)), "f9beb4d9");
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(networkMagic(Network::Testnet)), "0b110907");
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(networkMagic(Network::Signet)), "0a03cf40");
    BOOST_CHECK_EQUAL(jm::bitcoin::toHex(networkMagic(Network::Regtest)), "fabfb5da");
    auto framed = frameMessage(Network::Mainnet, "ping", Bytes(8, 1));
    auto wrong = parseMessageHeader(ByteView(framed).first(24), Network::Regtest);
    BOOST_REQUIRE(!wrong);
    BOOST_CHECK(wrong.error().code == errc::protocol_error);
    BOOST_CHECK_NE(wrong.error().message.find("magic"), std::string::npos);
    BOOST_CHECK(parseMessageHeader(ByteView(framed).first(24), Network::Mainnet));
}

BOOST_AUTO_TEST_CASE(malformed_headers_are_refused) {
    auto good = frameMessage(Network::Regtest, "ping", Bytes(8, 1));
    auto check = [](Bytes header, const std::string& what) {
        auto r = parseMessageHeader(header, Network::Regtest);
        BOOST_REQUIRE_MESSAGE(!r, "accepted " << jm::bitcoin::toHex(header));
        BOOST_CHECK(r.error().code == errc::protocol_error);
        BOOST_CHECK_MESSAGE(r.error().message.find(what) != std::string::npos, r.error().message);
    };
    Bytes h(good.begin(), good.begin() + 24);
    check(Bytes(h.begin(), h.end() - 1), "need 24");
    Bytes empty = h;
    std::fill(empty.begin() + 4, empty.begin() + 16, 0);
    check(empty, "empty command");
    Bytes unprintable = h;
    unprintable[5] = 0x01;
    check(unprintable, "printable");
    Bytes after_nul = h;
    after_nul[14] = 'x'; // "ping\0...x"
    check(after_nul, "padding");
    Bytes huge = h;
    huge[16] = 0x01, huge[17] = 0x09, huge[18] = 0x3d, huge[19] = 0x00; // 4,000,001
    check(huge, "exceeds");
    Bytes limit = h;
    limit[16] = 0x00, limit[17] = 0x09, limit[18] = 0x3d, limit[19] = 0x00; // 4,000,000 exactly
    BOOST_CHECK(parseMessageHeader(limit, Network::Regtest));
}

BOOST_AUTO_TEST_CASE(payload_checksum_and_length) {
    auto framed = frameMessage(Network::Regtest, "ping", Bytes(8, 1));
    auto header = parseMessageHeader(ByteView(framed).first(24), Network::Regtest);
    BOOST_REQUIRE(header);
    Bytes payload(framed.begin() + 24, framed.end());
    BOOST_CHECK(checkPayload(*header, payload));
    payload[3] ^= 1;
    auto r = checkPayload(*header, payload);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("checksum"), std::string::npos);
    payload.pop_back();
    r = checkPayload(*header, payload);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("header says"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(p2p_message_tests)

BOOST_AUTO_TEST_CASE(every_message_round_trips) {
    for (const auto& message : sampleMessages()) {
        auto command = commandOf(message);
        BOOST_TEST_CONTEXT(command) {
            auto payload = encodeMessage(message);
            auto decoded = decodeMessage(command, payload);
            BOOST_REQUIRE_MESSAGE(decoded, decoded.error().message);
            BOOST_CHECK(*decoded == message);
            BOOST_CHECK(encodeMessage(*decoded) == payload);
        }
    }
}

BOOST_AUTO_TEST_CASE(every_truncation_and_trailing_byte_is_refused) {
    for (const auto& message : sampleMessages()) {
        auto command = commandOf(message);
        auto payload = encodeMessage(message);
        if (payload.empty()) continue; // verack, sendheaders, getaddr
        BOOST_TEST_CONTEXT(command) {
            // Version may end early (no relay byte) and may carry later fields: checked below.
            std::size_t min_len = command == "version" ? payload.size() - 1 : payload.size();
            std::size_t step = std::max<std::size_t>(1, payload.size() / 64);
            for (std::size_t cut = 0; cut < min_len; cut += step) {
                Bytes t(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(cut));
                auto r = decodeMessage(command, t);
                BOOST_CHECK_MESSAGE(!r, "truncated at " << cut << " accepted");
                if (!r) BOOST_CHECK(r.error().code == errc::protocol_error);
            }
            if (command != "version") {
                Bytes longer = payload;
                longer.push_back(0);
                BOOST_CHECK(!decodeMessage(command, longer));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(version_relay_and_extensions) {
    VersionMessage v;
    v.relay = false;
    v.user_agent = "/Satoshi:31.0.0/";
    auto payload = encodeMessage(v);
    payload.pop_back(); // no relay byte: BIP37 says the peer wants relay
    auto decoded = decodeMessage("version", payload);
    BOOST_REQUIRE(decoded);
    BOOST_CHECK(std::get<VersionMessage>(*decoded).relay);
    payload.push_back(0);
    payload.push_back(0xee); // a field of a later protocol version
    decoded = decodeMessage("version", payload);
    BOOST_REQUIRE(decoded);
    BOOST_CHECK(!std::get<VersionMessage>(*decoded).relay);
    v.user_agent.assign(MAX_USER_AGENT_LENGTH + 1, 'a');
    requireProtocolError("version", encodeMessage(v), "user agent");
}

BOOST_AUTO_TEST_CASE(counts_above_the_limits_are_refused) {
    requireProtocolError("inv", withCount(MAX_INV_ITEMS + 1, 36), "item count");
    BOOST_CHECK(decodeMessage("inv", withCount(MAX_INV_ITEMS, 36)));
    requireProtocolError("getdata", withCount(MAX_INV_ITEMS + 1, 36), "item count");
    requireProtocolError("addr", withCount(MAX_ADDR_ITEMS + 1, 30), "address count");
    BOOST_CHECK(decodeMessage("addr", withCount(MAX_ADDR_ITEMS, 30)));
    requireProtocolError("headers", withCount(MAX_HEADERS_ITEMS + 1, 81), "header count");
    BOOST_CHECK(decodeMessage("headers", withCount(MAX_HEADERS_ITEMS, 81)));
    Bytes locator{0x70, 0x11, 0x01, 0x00};
    auto hashes = withCount(MAX_LOCATOR_HASHES + 1, 32);
    locator.insert(locator.end(), hashes.begin(), hashes.end());
    locator.resize(locator.size() + 32);
    requireProtocolError("getheaders", locator, "locator");
    Bytes cfheaders(65, 0);
    auto many = withCount(MAX_CFHEADERS_ITEMS + 1, 32);
    cfheaders.insert(cfheaders.end(), many.begin(), many.end());
    requireProtocolError("cfheaders", cfheaders, "filter hash count");
    // A count the bytes cannot hold is refused before allocating.
    requireProtocolError("inv", Bytes{0xfe, 0xff, 0xff, 0x00, 0x00}, "item count");
    requireProtocolError("cfcheckpt", Bytes(33, 0), "checkpoint count");
}

BOOST_AUTO_TEST_CASE(field_rules) {
    // A header followed by a non-zero transaction count.
    HeadersMessage headers{{jm::bitcoin::BlockHeader{}}};
    auto payload = encodeMessage(headers);
    payload.back() = 1;
    requireProtocolError("headers", payload, "transaction count");
    // BIP155 fixed sizes of known networks.
    AddrV2Message addr{{AddrV2Entry{0, 0, 1, Bytes{1, 2, 3}, 1}}};
    requireProtocolError("addrv2", encodeMessage(addr), "network 1");
    addr.entries[0] = AddrV2Entry{0, 0, 99, Bytes(MAX_ADDRV2_ADDR_SIZE + 1, 0), 1};
    requireProtocolError("addrv2", encodeMessage(addr), "address size");
    // Non-canonical compact sizes.
    requireProtocolError("inv", Bytes{0xfd, 0x01, 0x00}, "item count");
    // ping is exactly a nonce.
    requireProtocolError("ping", Bytes(7, 0), "nonce");
    requireProtocolError("pong", Bytes(9, 0), "trailing");
    // A cfilter whose length runs past the payload.
    CFilterMessage cfilter{0, hashOf(1), Bytes(10, 1)};
    payload = encodeMessage(cfilter);
    payload.pop_back();
    requireProtocolError("cfilter", payload, "filter length");
    // Blocks and transactions reuse the SDK parsers; their errors become protocol errors.
    requireProtocolError("block", Bytes(81, 0), "p2p block");
    requireProtocolError("tx", Bytes(9, 0), "p2p tx");
}

BOOST_AUTO_TEST_CASE(unknown_and_ignored_commands) {
    for (std::string command : {"reject", "feefilter", "sendcmpct", "wtxidrelay", "sendaddrv2", "mystery"}) {
        auto m = decodeMessage(command, Bytes{1, 2, 3});
        BOOST_REQUIRE(m);
        BOOST_REQUIRE(std::holds_alternative<IgnoredMessage>(*m));
        BOOST_CHECK_EQUAL(commandOf(*m), command);
    }
}

BOOST_AUTO_TEST_SUITE_END()
