#include "wire_reader.hpp"

#include <algorithm>

namespace jm::plugins::backend_neutrino {

namespace {
bool readLe(ByteView data, std::size_t& pos, std::uint64_t& v, int n) {
    if (data.size() - pos < static_cast<std::size_t>(n)) return false;
    v = 0;
    for (int i = 0; i < n; ++i)
        v |= std::uint64_t(data[pos + static_cast<std::size_t>(i)]) << (8 * i);
    pos += static_cast<std::size_t>(n);
    return true;
}
} // namespace

bool WireReader::u8(std::uint8_t& v) {
    std::uint64_t x;
    if (!readLe(m_data, m_pos, x, 1)) return false;
    v = static_cast<std::uint8_t>(x);
    return true;
}
bool WireReader::u16le(std::uint16_t& v) {
    std::uint64_t x;
    if (!readLe(m_data, m_pos, x, 2)) return false;
    v = static_cast<std::uint16_t>(x);
    return true;
}
bool WireReader::u16be(std::uint16_t& v) {
    if (left() < 2) return false;
    v = static_cast<std::uint16_t>(m_data[m_pos] << 8 | m_data[m_pos + 1]);
    m_pos += 2;
    return true;
}
bool WireReader::u32(std::uint32_t& v) {
    std::uint64_t x;
    if (!readLe(m_data, m_pos, x, 4)) return false;
    v = static_cast<std::uint32_t>(x);
    return true;
}
bool WireReader::i32(std::int32_t& v) {
    std::uint32_t x;
    if (!u32(x)) return false;
    v = static_cast<std::int32_t>(x);
    return true;
}
bool WireReader::u64(std::uint64_t& v) { return readLe(m_data, m_pos, v, 8); }
bool WireReader::i64(std::int64_t& v) {
    std::uint64_t x;
    if (!u64(x)) return false;
    v = static_cast<std::int64_t>(x);
    return true;
}
bool WireReader::bytes(std::uint8_t* out, std::size_t n) {
    if (left() < n) return false;
    std::copy_n(m_data.begin() + static_cast<std::ptrdiff_t>(m_pos), n, out);
    m_pos += n;
    return true;
}
bool WireReader::hash(Hash256& v) { return bytes(v.data(), v.size()); }
bool WireReader::compactSize(std::uint64_t& v) {
    std::uint8_t first;
    if (!u8(first)) return false;
    if (first < 0xfd) {
        v = first;
        return true;
    }
    int n = first == 0xfd ? 2 : first == 0xfe ? 4 : 8;
    if (!readLe(m_data, m_pos, v, n)) return false;
    std::uint64_t min = n == 2 ? 0xfd : n == 4 ? 0x10000 : 0x100000000ULL;
    return v >= min;
}
bool WireReader::varBytes(Bytes& out, std::size_t max) {
    std::uint64_t n;
    if (!compactSize(n) || n > max || n > left()) return false;
    out.resize(static_cast<std::size_t>(n));
    return bytes(out.data(), out.size());
}

void writeU16be(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}
void writeLe(Bytes& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void writeHash(Bytes& out, const Hash256& h) { out.insert(out.end(), h.begin(), h.end()); }
void writeVarBytes(Bytes& out, ByteView b) {
    jm::bitcoin::writeCompactSize(out, b.size());
    out.insert(out.end(), b.begin(), b.end());
}

} // namespace jm::plugins::backend_neutrino
