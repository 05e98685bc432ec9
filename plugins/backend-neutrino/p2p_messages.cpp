#include "p2p_messages.hpp"
#include "p2p_framing.hpp"
#include "wire_reader.hpp"

#include <jm/bitcoin/transaction.hpp>

namespace jm::plugins::backend_neutrino {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {

template <class> inline constexpr bool ALWAYS_FALSE = false;

class Decoder {
public:
    Decoder(std::string_view command, ByteView payload) : m_command(command), r(payload) {}

    jm::sdk::Error bad(const std::string& why) const {
        return fail(errc::protocol_error, "p2p " + m_command + ": " + why + " at byte " + std::to_string(r.pos()));
    }
    Result<void> end() const {
        if (r.left()) return bad(std::to_string(r.left()) + " trailing bytes");
        return {};
    }
    // A count that must be at most `max` and fit in the bytes left at `min_item` bytes each.
    bool count(std::uint64_t& n, std::size_t max, std::size_t min_item) {
        return r.compactSize(n) && n <= max && n <= r.left() / min_item;
    }
    bool netAddress(NetAddress& a) { return r.u64(a.services) && r.bytes(a.ip.data(), 16) && r.u16be(a.port); }

    Result<std::vector<InvItem>> invItems() {
        std::uint64_t n;
        if (!count(n, MAX_INV_ITEMS, 36)) return bad("invalid item count");
        std::vector<InvItem> items(static_cast<std::size_t>(n));
        for (auto& item : items)
            if (!r.u32(item.type) || !r.hash(item.hash)) return bad("truncated item");
        if (auto e = end(); !e) return e.error();
        return items;
    }

    // Layout shared by getcfilters and getcfheaders.
    template <class T> Result<Message> filterRange() {
        T m;
        if (!r.u8(m.filter_type) || !r.u32(m.start_height) || !r.hash(m.stop_hash)) return bad("truncated");
        if (auto e = end(); !e) return e.error();
        return Message{m};
    }

    std::string m_command;
    WireReader r;
};

Result<Message> decodeVersion(Decoder& d) {
    VersionMessage m;
    std::uint64_t services;
    if (!d.r.i32(m.version) || !d.r.u64(services) || !d.r.i64(m.timestamp) || !d.netAddress(m.addr_recv) ||
        !d.netAddress(m.addr_from) || !d.r.u64(m.nonce))
        return d.bad("truncated");
    m.services = services;
    Bytes agent;
    if (!d.r.varBytes(agent, MAX_USER_AGENT_LENGTH)) return d.bad("invalid user agent");
    m.user_agent.assign(agent.begin(), agent.end());
    if (!d.r.i32(m.start_height)) return d.bad("truncated start height");
    std::uint8_t relay = 1; // absent: BIP37 says relay
    if (d.r.left()) d.r.u8(relay);
    m.relay = relay != 0;
    return Message{m}; // later protocol versions may append fields: not an error
}

Result<Message> decodeAddr(Decoder& d) {
    std::uint64_t n;
    if (!d.count(n, MAX_ADDR_ITEMS, 30)) return d.bad("invalid address count");
    AddrMessage m;
    m.entries.resize(static_cast<std::size_t>(n));
    for (auto& e : m.entries)
        if (!d.r.u32(e.time) || !d.netAddress(e.addr)) return d.bad("truncated address");
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

// BIP155: the address sizes of known networks are fixed.
bool addrV2SizeOk(std::uint8_t network, std::size_t size) {
    switch (static_cast<AddrV2Network>(network)) {
    case AddrV2Network::Ipv4:
        return size == 4;
    case AddrV2Network::Ipv6:
        return size == 16;
    case AddrV2Network::TorV2:
        return size == 10;
    case AddrV2Network::TorV3:
    case AddrV2Network::I2p:
        return size == 32;
    case AddrV2Network::Cjdns:
        return size == 16;
    }
    return true; // unknown networks: bounded by MAX_ADDRV2_ADDR_SIZE, skipped by the caller
}

Result<Message> decodeAddrV2(Decoder& d) {
    std::uint64_t n;
    // Smallest entry: time(4) services(1) network(1) size(1) port(2).
    if (!d.count(n, MAX_ADDR_ITEMS, 9)) return d.bad("invalid address count");
    AddrV2Message m;
    m.entries.resize(static_cast<std::size_t>(n));
    for (auto& e : m.entries) {
        if (!d.r.u32(e.time) || !d.r.compactSize(e.services) || !d.r.u8(e.network)) return d.bad("truncated address");
        if (!d.r.varBytes(e.addr, MAX_ADDRV2_ADDR_SIZE)) return d.bad("invalid address size");
        if (!addrV2SizeOk(e.network, e.addr.size()))
            return d.bad("address of " + std::to_string(e.addr.size()) + " bytes for network " +
                         std::to_string(e.network));
        if (!d.r.u16be(e.port)) return d.bad("truncated port");
    }
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

Result<Message> decodeGetHeaders(Decoder& d) {
    GetHeadersMessage m;
    std::uint64_t n;
    if (!d.r.u32(m.version)) return d.bad("truncated");
    if (!d.count(n, MAX_LOCATOR_HASHES, 32)) return d.bad("invalid locator size");
    m.locator.resize(static_cast<std::size_t>(n));
    for (auto& h : m.locator)
        d.r.hash(h);
    if (!d.r.hash(m.hash_stop)) return d.bad("truncated stop hash");
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

Result<Message> decodeHeaders(Decoder& d) {
    std::uint64_t n;
    if (!d.count(n, MAX_HEADERS_ITEMS, 81)) return d.bad("invalid header count");
    HeadersMessage m;
    m.headers.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
        auto h = jm::bitcoin::parseBlockHeaderPrefix(d.r.rest());
        if (!h) return d.bad("truncated header");
        d.r.skip(jm::bitcoin::BlockHeader::SIZE);
        std::uint64_t txs;
        if (!d.r.compactSize(txs) || txs != 0) return d.bad("header with a transaction count");
        m.headers.push_back(*h);
    }
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

Result<Message> decodeCFilter(Decoder& d) {
    CFilterMessage m;
    if (!d.r.u8(m.filter_type) || !d.r.hash(m.block_hash)) return d.bad("truncated");
    if (!d.r.varBytes(m.filter, MAX_PAYLOAD_SIZE)) return d.bad("invalid filter length");
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

Result<Message> decodeCFHeaders(Decoder& d) {
    CFHeadersMessage m;
    std::uint64_t n;
    if (!d.r.u8(m.filter_type) || !d.r.hash(m.stop_hash) || !d.r.hash(m.prev_filter_header)) return d.bad("truncated");
    if (!d.count(n, MAX_CFHEADERS_ITEMS, 32)) return d.bad("invalid filter hash count");
    m.filter_hashes.resize(static_cast<std::size_t>(n));
    for (auto& h : m.filter_hashes)
        d.r.hash(h);
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

Result<Message> decodeCFCheckpt(Decoder& d) {
    CFCheckptMessage m;
    std::uint64_t n;
    if (!d.r.u8(m.filter_type) || !d.r.hash(m.stop_hash)) return d.bad("truncated");
    if (!d.count(n, MAX_PAYLOAD_SIZE / 32, 32)) return d.bad("invalid checkpoint count");
    m.filter_headers.resize(static_cast<std::size_t>(n));
    for (auto& h : m.filter_headers)
        d.r.hash(h);
    if (auto e = d.end(); !e) return e.error();
    return Message{m};
}

Result<Message> decodeNonce(Decoder& d, bool ping) {
    std::uint64_t nonce;
    if (!d.r.u64(nonce)) return d.bad("truncated nonce");
    if (auto e = d.end(); !e) return e.error();
    if (ping) return Message{PingMessage{nonce}};
    return Message{PongMessage{nonce}};
}

} // namespace

Result<Message> decodeMessage(std::string_view command, ByteView payload) {
    Decoder d(command, payload);
    if (command == "version") return decodeVersion(d);
    if (command == "verack") return Message{VerackMessage{}};
    if (command == "sendheaders") return Message{SendHeadersMessage{}};
    if (command == "getaddr") return Message{GetAddrMessage{}};
    if (command == "ping") return decodeNonce(d, true);
    if (command == "pong") return decodeNonce(d, false);
    if (command == "addr") return decodeAddr(d);
    if (command == "addrv2") return decodeAddrV2(d);
    if (command == "inv" || command == "getdata" || command == "notfound") {
        auto items = d.invItems();
        if (!items) return items.error();
        if (command == "inv") return Message{InvMessage{std::move(*items)}};
        if (command == "getdata") return Message{GetDataMessage{std::move(*items)}};
        return Message{NotFoundMessage{std::move(*items)}};
    }
    if (command == "getheaders") return decodeGetHeaders(d);
    if (command == "headers") return decodeHeaders(d);
    if (command == "getcfilters") return d.filterRange<GetCFiltersMessage>();
    if (command == "getcfheaders") return d.filterRange<GetCFHeadersMessage>();
    if (command == "cfilter") return decodeCFilter(d);
    if (command == "cfheaders") return decodeCFHeaders(d);
    if (command == "getcfcheckpt") {
        GetCFCheckptMessage m;
        if (!d.r.u8(m.filter_type) || !d.r.hash(m.stop_hash)) return d.bad("truncated");
        if (auto e = d.end(); !e) return e.error();
        return Message{m};
    }
    if (command == "cfcheckpt") return decodeCFCheckpt(d);
    if (command == "block") {
        auto block = jm::bitcoin::parseBlock(payload);
        if (!block) return fail(errc::protocol_error, "p2p block: " + block.error().message);
        return Message{BlockMessage{std::move(*block)}};
    }
    if (command == "tx") {
        auto tx = jm::bitcoin::parseTransaction(payload);
        if (!tx) return fail(errc::protocol_error, "p2p tx: " + tx.error().message);
        return Message{TxMessage{std::move(*tx)}};
    }
    return Message{IgnoredMessage{std::string(command)}};
}

std::string commandOf(const Message& message) {
    return std::visit(
        [](const auto& m) -> std::string {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, VersionMessage>)
                return "version";
            else if constexpr (std::is_same_v<T, VerackMessage>)
                return "verack";
            else if constexpr (std::is_same_v<T, SendHeadersMessage>)
                return "sendheaders";
            else if constexpr (std::is_same_v<T, GetAddrMessage>)
                return "getaddr";
            else if constexpr (std::is_same_v<T, PingMessage>)
                return "ping";
            else if constexpr (std::is_same_v<T, PongMessage>)
                return "pong";
            else if constexpr (std::is_same_v<T, AddrMessage>)
                return "addr";
            else if constexpr (std::is_same_v<T, AddrV2Message>)
                return "addrv2";
            else if constexpr (std::is_same_v<T, InvMessage>)
                return "inv";
            else if constexpr (std::is_same_v<T, GetDataMessage>)
                return "getdata";
            else if constexpr (std::is_same_v<T, NotFoundMessage>)
                return "notfound";
            else if constexpr (std::is_same_v<T, GetHeadersMessage>)
                return "getheaders";
            else if constexpr (std::is_same_v<T, HeadersMessage>)
                return "headers";
            else if constexpr (std::is_same_v<T, GetCFiltersMessage>)
                return "getcfilters";
            else if constexpr (std::is_same_v<T, GetCFHeadersMessage>)
                return "getcfheaders";
            else if constexpr (std::is_same_v<T, CFilterMessage>)
                return "cfilter";
            else if constexpr (std::is_same_v<T, CFHeadersMessage>)
                return "cfheaders";
            else if constexpr (std::is_same_v<T, GetCFCheckptMessage>)
                return "getcfcheckpt";
            else if constexpr (std::is_same_v<T, CFCheckptMessage>)
                return "cfcheckpt";
            else if constexpr (std::is_same_v<T, BlockMessage>)
                return "block";
            else if constexpr (std::is_same_v<T, TxMessage>)
                return "tx";
            else if constexpr (std::is_same_v<T, IgnoredMessage>)
                return m.command;
            else
                static_assert(ALWAYS_FALSE<T>);
        },
        message);
}

namespace {

void writeNetAddress(Bytes& out, const NetAddress& a) {
    writeLe(out, a.services, 8);
    out.insert(out.end(), a.ip.begin(), a.ip.end());
    writeU16be(out, a.port);
}

void writeInv(Bytes& out, const std::vector<InvItem>& items) {
    jm::bitcoin::writeCompactSize(out, items.size());
    for (const auto& item : items) {
        writeLe(out, item.type, 4);
        writeHash(out, item.hash);
    }
}

void writeHashes(Bytes& out, const std::vector<Hash256>& hashes) {
    jm::bitcoin::writeCompactSize(out, hashes.size());
    for (const auto& h : hashes)
        writeHash(out, h);
}

} // namespace

Bytes encodeMessage(const Message& message) {
    Bytes out;
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, VersionMessage>) {
                writeLe(out, static_cast<std::uint32_t>(m.version), 4);
                writeLe(out, m.services, 8);
                writeLe(out, static_cast<std::uint64_t>(m.timestamp), 8);
                writeNetAddress(out, m.addr_recv);
                writeNetAddress(out, m.addr_from);
                writeLe(out, m.nonce, 8);
                writeVarBytes(out, jm::bitcoin::asBytes(m.user_agent));
                writeLe(out, static_cast<std::uint32_t>(m.start_height), 4);
                out.push_back(m.relay ? 1 : 0);
            } else if constexpr (std::is_same_v<T, PingMessage> || std::is_same_v<T, PongMessage>) {
                writeLe(out, m.nonce, 8);
            } else if constexpr (std::is_same_v<T, AddrMessage>) {
                jm::bitcoin::writeCompactSize(out, m.entries.size());
                for (const auto& e : m.entries) {
                    writeLe(out, e.time, 4);
                    writeNetAddress(out, e.addr);
                }
            } else if constexpr (std::is_same_v<T, AddrV2Message>) {
                jm::bitcoin::writeCompactSize(out, m.entries.size());
                for (const auto& e : m.entries) {
                    writeLe(out, e.time, 4);
                    jm::bitcoin::writeCompactSize(out, e.services);
                    out.push_back(e.network);
                    writeVarBytes(out, e.addr);
                    writeU16be(out, e.port);
                }
            } else if constexpr (std::is_same_v<T, InvMessage> || std::is_same_v<T, GetDataMessage> ||
                                 std::is_same_v<T, NotFoundMessage>) {
                writeInv(out, m.items);
            } else if constexpr (std::is_same_v<T, GetHeadersMessage>) {
                writeLe(out, m.version, 4);
                writeHashes(out, m.locator);
                writeHash(out, m.hash_stop);
            } else if constexpr (std::is_same_v<T, HeadersMessage>) {
                jm::bitcoin::writeCompactSize(out, m.headers.size());
                for (const auto& h : m.headers) {
                    auto raw = h.serialize();
                    out.insert(out.end(), raw.begin(), raw.end());
                    out.push_back(0);
                }
            } else if constexpr (std::is_same_v<T, GetCFiltersMessage> || std::is_same_v<T, GetCFHeadersMessage>) {
                out.push_back(m.filter_type);
                writeLe(out, m.start_height, 4);
                writeHash(out, m.stop_hash);
            } else if constexpr (std::is_same_v<T, CFilterMessage>) {
                out.push_back(m.filter_type);
                writeHash(out, m.block_hash);
                writeVarBytes(out, m.filter);
            } else if constexpr (std::is_same_v<T, CFHeadersMessage>) {
                out.push_back(m.filter_type);
                writeHash(out, m.stop_hash);
                writeHash(out, m.prev_filter_header);
                writeHashes(out, m.filter_hashes);
            } else if constexpr (std::is_same_v<T, GetCFCheckptMessage>) {
                out.push_back(m.filter_type);
                writeHash(out, m.stop_hash);
            } else if constexpr (std::is_same_v<T, CFCheckptMessage>) {
                out.push_back(m.filter_type);
                writeHash(out, m.stop_hash);
                writeHashes(out, m.filter_headers);
            } else if constexpr (std::is_same_v<T, BlockMessage>) {
                out = m.block.serialize();
            } else if constexpr (std::is_same_v<T, TxMessage>) {
                out = m.tx.serialize();
            }
            // verack, sendheaders, getaddr and ignored messages have no payload.
        },
        message);
    return out;
}

} // namespace jm::plugins::backend_neutrino
