#pragma once

#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/result.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Bytes;
using jm::bitcoin::ByteView;
using jm::bitcoin::Hash256;

//! Service bits (BIP111/144/157/159).
enum ServiceFlags : std::uint64_t {
    NODE_NETWORK = 1,
    NODE_BLOOM = 1 << 2,
    NODE_WITNESS = 1 << 3,
    NODE_COMPACT_FILTERS = 1 << 6,
    NODE_NETWORK_LIMITED = 1 << 10,
};

//! Protocol version we speak: 70016 (wtxidrelay); BIP157 needs 70015 or later from peers.
constexpr std::int32_t PROTOCOL_VERSION = 70016;

// Bounds from Core's net_processing: larger counts are misbehaviour.
constexpr std::size_t MAX_ADDR_ITEMS = 1000;
constexpr std::size_t MAX_INV_ITEMS = 50000;
constexpr std::size_t MAX_LOCATOR_HASHES = 101;
constexpr std::size_t MAX_HEADERS_ITEMS = 2000;
constexpr std::size_t MAX_CFHEADERS_ITEMS = 2000;
constexpr std::size_t MAX_USER_AGENT_LENGTH = 256;
constexpr std::size_t MAX_ADDRV2_ADDR_SIZE = 512;

//! A peer address in the version/addr layout: 16-byte IPv6 (IPv4-mapped for IPv4), port in
//! network byte order.
struct NetAddress {
    std::uint64_t services = 0;
    std::array<std::uint8_t, 16> ip{};
    std::uint16_t port = 0;
    bool operator==(const NetAddress&) const = default;
};

struct VersionMessage {
    std::int32_t version = PROTOCOL_VERSION;
    std::uint64_t services = 0;
    std::int64_t timestamp = 0;
    NetAddress addr_recv;
    NetAddress addr_from;
    std::uint64_t nonce = 0;
    std::string user_agent;
    std::int32_t start_height = 0;
    bool relay = false; //!< absent on the wire means true for old peers; we always send it
    bool operator==(const VersionMessage&) const = default;
};

//! Messages without payload we act on.
struct VerackMessage {
    bool operator==(const VerackMessage&) const = default;
};
struct SendHeadersMessage {
    bool operator==(const SendHeadersMessage&) const = default;
};
struct GetAddrMessage {
    bool operator==(const GetAddrMessage&) const = default;
};
struct PingMessage {
    std::uint64_t nonce = 0;
    bool operator==(const PingMessage&) const = default;
};
struct PongMessage {
    std::uint64_t nonce = 0;
    bool operator==(const PongMessage&) const = default;
};

struct AddrEntry {
    std::uint32_t time = 0;
    NetAddress addr;
    bool operator==(const AddrEntry&) const = default;
};
struct AddrMessage {
    std::vector<AddrEntry> entries;
    bool operator==(const AddrMessage&) const = default;
};

//! BIP155 network ids.
enum class AddrV2Network : std::uint8_t { Ipv4 = 1, Ipv6 = 2, TorV2 = 3, TorV3 = 4, I2p = 5, Cjdns = 6 };
struct AddrV2Entry {
    std::uint32_t time = 0;
    std::uint64_t services = 0;
    std::uint8_t network = 0;
    Bytes addr;
    std::uint16_t port = 0;
    bool operator==(const AddrV2Entry&) const = default;
};
//! addrv2: entries of unknown networks are kept (their size is bounded) and left to the caller
//! to skip, as BIP155 asks.
struct AddrV2Message {
    std::vector<AddrV2Entry> entries;
    bool operator==(const AddrV2Message&) const = default;
};

//! Inventory types (with the witness flag where we ask for witness data).
enum InvType : std::uint32_t {
    MSG_TX = 1,
    MSG_BLOCK = 2,
    MSG_FILTERED_BLOCK = 3,
    MSG_CMPCT_BLOCK = 4,
    MSG_WTX = 5,
    MSG_WITNESS_FLAG = 1u << 30,
    MSG_WITNESS_TX = MSG_TX | MSG_WITNESS_FLAG,
    MSG_WITNESS_BLOCK = MSG_BLOCK | MSG_WITNESS_FLAG,
};
struct InvItem {
    std::uint32_t type = 0;
    Hash256 hash{};
    bool operator==(const InvItem&) const = default;
};
struct InvMessage {
    std::vector<InvItem> items;
    bool operator==(const InvMessage&) const = default;
};
struct GetDataMessage {
    std::vector<InvItem> items;
    bool operator==(const GetDataMessage&) const = default;
};
struct NotFoundMessage {
    std::vector<InvItem> items;
    bool operator==(const NotFoundMessage&) const = default;
};

struct GetHeadersMessage {
    std::uint32_t version = PROTOCOL_VERSION;
    std::vector<Hash256> locator;
    Hash256 hash_stop{};
    bool operator==(const GetHeadersMessage&) const = default;
};
struct HeadersMessage {
    std::vector<jm::bitcoin::BlockHeader> headers;
    bool operator==(const HeadersMessage&) const = default;
};

//! getcfilters and getcfheaders share their layout (BIP157).
struct GetCFiltersMessage {
    std::uint8_t filter_type = 0;
    std::uint32_t start_height = 0;
    Hash256 stop_hash{};
    bool operator==(const GetCFiltersMessage&) const = default;
};
struct GetCFHeadersMessage {
    std::uint8_t filter_type = 0;
    std::uint32_t start_height = 0;
    Hash256 stop_hash{};
    bool operator==(const GetCFHeadersMessage&) const = default;
};
struct CFilterMessage {
    std::uint8_t filter_type = 0;
    Hash256 block_hash{};
    Bytes filter; //!< encoded GCS, decoded by the caller with the block hash as key
    bool operator==(const CFilterMessage&) const = default;
};
struct CFHeadersMessage {
    std::uint8_t filter_type = 0;
    Hash256 stop_hash{};
    Hash256 prev_filter_header{};
    std::vector<Hash256> filter_hashes;
    bool operator==(const CFHeadersMessage&) const = default;
};
struct GetCFCheckptMessage {
    std::uint8_t filter_type = 0;
    Hash256 stop_hash{};
    bool operator==(const GetCFCheckptMessage&) const = default;
};
struct CFCheckptMessage {
    std::uint8_t filter_type = 0;
    Hash256 stop_hash{};
    std::vector<Hash256> filter_headers; //!< one per 1000 blocks
    bool operator==(const CFCheckptMessage&) const = default;
};

struct BlockMessage {
    jm::bitcoin::Block block;
    bool operator==(const BlockMessage& o) const { return block.serialize() == o.block.serialize(); }
};
struct TxMessage {
    jm::bitcoin::Transaction tx;
    bool operator==(const TxMessage& o) const { return tx.serialize() == o.tx.serialize(); }
};

//! A message we do not act on (reject, feefilter, sendcmpct, wtxidrelay, sendaddrv2, unknown
//! commands): BIP conventions say to ignore what one does not understand.
struct IgnoredMessage {
    std::string command;
    bool operator==(const IgnoredMessage&) const = default;
};

using Message =
    std::variant<VersionMessage, VerackMessage, SendHeadersMessage, GetAddrMessage, PingMessage, PongMessage,
                 AddrMessage, AddrV2Message, InvMessage, GetDataMessage, NotFoundMessage, GetHeadersMessage,
                 HeadersMessage, GetCFiltersMessage, GetCFHeadersMessage, CFilterMessage, CFHeadersMessage,
                 GetCFCheckptMessage, CFCheckptMessage, BlockMessage, TxMessage, IgnoredMessage>;

//! Decodes the payload of a message with `command` (checked framing already). Strict: counts
//! within the bounds above and the bytes left, no trailing bytes (except version, where later
//! protocol versions may append fields). Errors: errc::protocol_error naming the command and
//! the reason; the caller scores the peer.
jm::sdk::Result<Message> decodeMessage(std::string_view command, ByteView payload);

//! The command of a message ("version", "cfilter", ...); IgnoredMessage gives its own.
std::string commandOf(const Message& message);
//! The payload of a message (the framing is added by frameMessage). IgnoredMessage has none.
Bytes encodeMessage(const Message& message);

} // namespace jm::plugins::backend_neutrino
