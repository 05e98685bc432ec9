#include <jm/net/message_deduplicator.hpp>

#include <sodium.h>

#include <cstring>

namespace jm::net {

MessageDeduplicator::MessageDeduplicator(std::chrono::milliseconds window, std::size_t max_entries) :
    m_window(window), m_max(max_entries) {
    // A random SipHash key: a peer cannot craft different messages that collide here.
    randombytes_buf(m_key, sizeof m_key);
}

void MessageDeduplicator::expire(Clock::time_point now) {
    while (!m_order.empty() && (now - m_order.front().first > m_window || m_order.size() > m_max)) {
        m_seen.erase(m_seen.find(m_order.front().second));
        m_order.pop_front();
    }
}

bool MessageDeduplicator::firstSighting(std::string_view text, Clock::time_point now) {
    unsigned char digest[crypto_shorthash_BYTES];
    crypto_shorthash(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size(), m_key);
    std::uint64_t hash = 0;
    std::memcpy(&hash, digest, sizeof hash);
    expire(now);
    if (m_seen.count(hash) != 0) return false;
    m_seen.insert(hash);
    m_order.emplace_back(now, hash);
    expire(now);
    return true;
}

} // namespace jm::net
