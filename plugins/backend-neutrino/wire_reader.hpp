#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/transaction.hpp>

#include <cstdint>
#include <string>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Bytes;
using jm::bitcoin::ByteView;
using jm::bitcoin::Hash256;

//! A bounds-checked little-endian reader over untrusted P2P payload bytes. Every read returns
//! false instead of reading past the end; nothing allocates more than the bytes left.
class WireReader {
public:
    explicit WireReader(ByteView data) : m_data(data) {}
    std::size_t left() const { return m_data.size() - m_pos; }
    std::size_t pos() const { return m_pos; }
    bool u8(std::uint8_t& v);
    bool u16le(std::uint16_t& v);
    bool u16be(std::uint16_t& v);
    bool u32(std::uint32_t& v);
    bool i32(std::int32_t& v);
    bool u64(std::uint64_t& v);
    bool i64(std::int64_t& v);
    bool hash(Hash256& v);
    bool bytes(std::uint8_t* out, std::size_t n);
    //! Canonical CompactSize (non-minimal encodings refused, as Core does).
    bool compactSize(std::uint64_t& v);
    //! A CompactSize-prefixed byte string of at most `max` bytes.
    bool varBytes(Bytes& out, std::size_t max);
    ByteView rest() const { return m_data.subspan(m_pos); }
    void skip(std::size_t n) { m_pos += n < left() ? n : left(); }

private:
    ByteView m_data;
    std::size_t m_pos = 0;
};

//! Little-endian writers for P2P payloads.
void writeU16be(Bytes& out, std::uint16_t v);
void writeLe(Bytes& out, std::uint64_t v, int bytes);
void writeHash(Bytes& out, const Hash256& h);
void writeVarBytes(Bytes& out, ByteView b);

} // namespace jm::plugins::backend_neutrino
