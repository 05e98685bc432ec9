#pragma once

#include "p2p_messages.hpp"

#include <jm/net/peer_address.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! Where a candidate address came from: each source has its own bounded list, so a peer
//! flooding addr messages cannot push out what the DNS seeds gave.
enum class AddressSource { Dns, Addr };

//! The addresses of an addr or addrv2 message this client can connect to: IPv4 and IPv6 (an
//! IPv4-mapped address shown as IPv4), a nonzero port, and every bit of `required_services`
//! announced. Other networks (Tor, I2P, CJDNS: they need a proxy this client does not use),
//! unknown ones and malformed entries are skipped. At most `limit` addresses are returned.
//! Executor: any; pure. Errors: none (untrusted entries are skipped, never fatal).
std::vector<jm::net::PeerAddress> connectableAddresses(const Message& message, std::uint64_t required_services,
                                                       std::size_t limit);

//! The candidate addresses the peer manager may connect to besides the configured peers:
//! deduplicated by host:port, bounded per source (the oldest are forgotten first), and each
//! with a time before which it is not tried again.
//!
//! Executor: not thread-safe; the peer manager's strand. Ownership: plain value type.
class AddressBook {
public:
    using Clock = std::chrono::steady_clock;

    explicit AddressBook(std::size_t max_per_source) : m_max(max_per_source) {}

    //! Adds `address` at the end of its source's list unless it is already known (from any
    //! source). Returns true when added; when the list is full its oldest entry is dropped.
    bool add(const jm::net::PeerAddress& address, AddressSource source);
    //! Forgets `key` (host:port), e.g. a banned peer or one that could not be reached.
    void remove(const std::string& key);
    //! Makes `key` wait until `not_before` before it is offered again (moved to the end).
    void defer(const std::string& key, Clock::time_point not_before);
    //! The first address of `source`, oldest first, that may be tried at `now` and that `skip`
    //! does not refuse (connected already, banned).
    std::optional<jm::net::PeerAddress> next(AddressSource source, Clock::time_point now,
                                             const std::function<bool(const std::string& key)>& skip) const;
    //! The earliest time a deferred address of `source` may be tried again.
    std::optional<Clock::time_point> earliestDeferred(AddressSource source, Clock::time_point now) const;

    bool contains(const std::string& key) const { return m_keys.count(key) != 0; }
    std::size_t size(AddressSource source) const { return list(source).size(); }
    std::size_t size() const { return m_keys.size(); }
    //! Every address of `source`, oldest first.
    std::vector<jm::net::PeerAddress> addresses(AddressSource source) const;

private:
    struct Entry {
        jm::net::PeerAddress address;
        std::string key;
        Clock::time_point notBefore{};
    };
    std::deque<Entry>& list(AddressSource source) { return source == AddressSource::Dns ? m_dns : m_addr; }
    const std::deque<Entry>& list(AddressSource source) const { return source == AddressSource::Dns ? m_dns : m_addr; }

    std::size_t m_max;
    std::deque<Entry> m_dns;
    std::deque<Entry> m_addr;
    std::set<std::string> m_keys;
};

} // namespace jm::plugins::backend_neutrino
