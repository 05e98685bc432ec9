// Addresses peers announce (addr/addrv2 payloads, untrusted) on their way into the light
// client's address book, and dns_seed_hosts entries. The first byte picks what the rest is.
// Invariants: only IP addresses with a nonzero port and the asked services come out, never
// more than asked for, and the book never holds more than its bound per source, nor an
// address twice.
#include "address_book.hpp"
#include "dns_seeds.hpp"
#include "p2p_messages.hpp"

#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

using namespace jm::plugins::backend_neutrino;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    auto mode = data[0] % 3;
    if (mode == 2) {
        std::string text(reinterpret_cast<const char*>(in.data()), in.size());
        auto seed = parseSeedHost(text, 18444);
        if (seed && (seed->host.empty() || seed->port == 0)) __builtin_trap();
        return 0;
    }
    auto message = decodeMessage(mode == 0 ? "addr" : "addrv2", in);
    if (!message) return 0;
    constexpr std::size_t LIMIT = 50;
    const std::uint64_t required = NODE_NETWORK | NODE_COMPACT_FILTERS;
    auto found = connectableAddresses(*message, required, LIMIT);
    if (found.size() > LIMIT) __builtin_trap();
    AddressBook book(7);
    std::set<std::string> seen;
    for (const auto& a : found) {
        boost::system::error_code ec;
        auto ip = boost::asio::ip::make_address(a.host, ec);
        if (ec || a.port == 0 || ip.is_unspecified() || ip.is_multicast()) __builtin_trap();
        bool known = book.contains(a.text());
        bool added = book.add(a, seen.size() % 2 ? AddressSource::Addr : AddressSource::Dns);
        if (added == known || !book.contains(a.text())) __builtin_trap();
        seen.insert(a.text());
        if (book.size(AddressSource::Addr) > 7 || book.size(AddressSource::Dns) > 7) __builtin_trap();
        if (book.size() != book.size(AddressSource::Addr) + book.size(AddressSource::Dns)) __builtin_trap();
    }
    return 0;
}
