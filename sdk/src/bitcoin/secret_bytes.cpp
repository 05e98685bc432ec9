#include <jm/bitcoin/bytes.hpp>

#include <sodium.h>

namespace jm::bitcoin {

SecretBytes::SecretBytes(ByteView data) : m_data(data.begin(), data.end()) {}
SecretBytes::SecretBytes(std::size_t size) : m_data(size, 0) {}
SecretBytes::SecretBytes(const SecretBytes& other) : m_data(other.m_data) {}
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : m_data(std::move(other.m_data)) { other.m_data.clear(); }

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
    if (this != &other) {
        wipe();
        m_data = other.m_data;
    }
    return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
        wipe();
        m_data = std::move(other.m_data);
        other.m_data.clear();
    }
    return *this;
}

SecretBytes::~SecretBytes() { wipe(); }

bool SecretBytes::operator==(const SecretBytes& other) const {
    return m_data.size() == other.m_data.size() &&
           (m_data.empty() || sodium_memcmp(m_data.data(), other.m_data.data(), m_data.size()) == 0);
}

void SecretBytes::wipe() {
    if (!m_data.empty()) sodium_memzero(m_data.data(), m_data.size());
    m_data.clear();
}

} // namespace jm::bitcoin
