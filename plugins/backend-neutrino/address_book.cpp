#include "address_book.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include <algorithm>

namespace jm::plugins::backend_neutrino {

namespace ip = boost::asio::ip;

std::vector<jm::net::PeerAddress> connectableAddresses(const Message& message, std::uint64_t required_services,
                                                       std::size_t limit) {
    std::vector<jm::net::PeerAddress> out;
    auto keep = [&](const ip::address& address, std::uint16_t port, std::uint64_t services) {
        if (out.size() >= limit || port == 0) return;
        if ((services & required_services) != required_services) return;
        if (address.is_unspecified() || address.is_multicast()) return;
        out.push_back({address.to_string(), port});
    };
    if (const auto* addr = std::get_if<AddrMessage>(&message)) {
        for (const auto& e : addr->entries) {
            ip::address_v6 v6(e.addr.ip);
            auto address = v6.is_v4_mapped() ? ip::address(ip::make_address_v4(ip::v4_mapped, v6)) : ip::address(v6);
            keep(address, e.addr.port, e.addr.services);
        }
    } else if (const auto* v2 = std::get_if<AddrV2Message>(&message)) {
        for (const auto& e : v2->entries) {
            if (e.network == static_cast<std::uint8_t>(AddrV2Network::Ipv4) && e.addr.size() == 4) {
                ip::address_v4::bytes_type b{e.addr[0], e.addr[1], e.addr[2], e.addr[3]};
                keep(ip::address_v4(b), e.port, e.services);
            } else if (e.network == static_cast<std::uint8_t>(AddrV2Network::Ipv6) && e.addr.size() == 16) {
                ip::address_v6::bytes_type b;
                std::copy(e.addr.begin(), e.addr.end(), b.begin());
                ip::address_v6 v6(b);
                // BIP155: IPv4 goes in its own network id; a mapped address here is invalid.
                if (!v6.is_v4_mapped()) keep(v6, e.port, e.services);
            }
        }
    }
    return out;
}

bool AddressBook::add(const jm::net::PeerAddress& address, AddressSource source) {
    if (m_max == 0) return false;
    auto key = address.text();
    if (m_keys.count(key)) return false;
    auto& entries = list(source);
    while (entries.size() >= m_max) {
        m_keys.erase(entries.front().key);
        entries.pop_front();
    }
    entries.push_back({address, key, {}});
    m_keys.insert(std::move(key));
    return true;
}

void AddressBook::remove(const std::string& key) {
    if (!m_keys.erase(key)) return;
    for (auto* entries : {&m_dns, &m_addr})
        std::erase_if(*entries, [&](const Entry& e) { return e.key == key; });
}

void AddressBook::defer(const std::string& key, Clock::time_point not_before) {
    for (auto* entries : {&m_dns, &m_addr}) {
        auto it = std::find_if(entries->begin(), entries->end(), [&](const Entry& e) { return e.key == key; });
        if (it == entries->end()) continue;
        auto entry = std::move(*it);
        entries->erase(it);
        entry.notBefore = not_before;
        entries->push_back(std::move(entry));
        return;
    }
}

std::optional<jm::net::PeerAddress> AddressBook::next(AddressSource source, Clock::time_point now,
                                                      const std::function<bool(const std::string&)>& skip) const {
    for (const auto& e : list(source))
        if (e.notBefore <= now && !(skip && skip(e.key))) return e.address;
    return std::nullopt;
}

std::optional<AddressBook::Clock::time_point> AddressBook::earliestDeferred(AddressSource source,
                                                                            Clock::time_point now) const {
    std::optional<Clock::time_point> earliest;
    for (const auto& e : list(source))
        if (e.notBefore > now && (!earliest || e.notBefore < *earliest)) earliest = e.notBefore;
    return earliest;
}

std::vector<jm::net::PeerAddress> AddressBook::addresses(AddressSource source) const {
    std::vector<jm::net::PeerAddress> out;
    for (const auto& e : list(source))
        out.push_back(e.address);
    return out;
}

} // namespace jm::plugins::backend_neutrino
