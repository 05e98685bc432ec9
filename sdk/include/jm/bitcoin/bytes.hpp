#pragma once

#include <jm/sdk/export.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jm::bitcoin {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

//! A 32-byte hash in internal byte order (txids and block hashes display reversed).
using Hash256 = std::array<std::uint8_t, 32>;
using Hash160 = std::array<std::uint8_t, 20>;

//! Bytes of a string (no copy).
inline ByteView asBytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

//! Owns secret bytes (private keys, seeds, chain codes) and wipes them with sodium_memzero when
//! destroyed or reassigned. Executor: any (not thread-safe itself). Never log its contents.
class JM_SDK_API SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(ByteView data);
    explicit SecretBytes(std::size_t size);
    SecretBytes(const SecretBytes& other);
    SecretBytes(SecretBytes&& other) noexcept;
    SecretBytes& operator=(const SecretBytes& other);
    SecretBytes& operator=(SecretBytes&& other) noexcept;
    ~SecretBytes();

    std::uint8_t* data() { return m_data.data(); }
    const std::uint8_t* data() const { return m_data.data(); }
    std::size_t size() const { return m_data.size(); }
    bool empty() const { return m_data.empty(); }
    ByteView view() const { return {m_data.data(), m_data.size()}; }
    bool operator==(const SecretBytes& other) const;

private:
    void wipe();
    std::vector<std::uint8_t> m_data;
};

} // namespace jm::bitcoin
