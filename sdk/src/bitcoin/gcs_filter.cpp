#include <jm/bitcoin/gcs_filter.hpp>
#include <jm/bitcoin/transaction.hpp>

#include <sodium.h>

#include <algorithm>
#include <set>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

// Bits written most significant first, as BIP158's bit streams are.
class BitWriter {
public:
    explicit BitWriter(Bytes& out) : m_out(out) {}
    void write(std::uint64_t value, int nbits) {
        for (int i = nbits - 1; i >= 0; --i) {
            if (m_used == 0) m_out.push_back(0);
            if ((value >> i) & 1) m_out.back() |= static_cast<std::uint8_t>(0x80 >> m_used);
            m_used = (m_used + 1) % 8;
        }
    }

private:
    Bytes& m_out;
    int m_used = 0; // bits used in the last byte
};

class BitReader {
public:
    explicit BitReader(ByteView data) : m_data(data) {}
    std::uint64_t bitsLeft() const { return m_data.size() * 8 - m_pos; }
    bool readBit(bool& bit) {
        if (m_pos >= m_data.size() * 8) return false;
        bit = (m_data[m_pos / 8] >> (7 - m_pos % 8)) & 1;
        ++m_pos;
        return true;
    }
    bool read(std::uint64_t& value, int nbits) {
        if (bitsLeft() < static_cast<std::uint64_t>(nbits)) return false;
        value = 0;
        for (int i = 0; i < nbits; ++i) {
            value = (value << 1) | ((m_data[m_pos / 8] >> (7 - m_pos % 8)) & 1);
            ++m_pos;
        }
        return true;
    }
    // Bytes not touched at all (a partly read byte counts as used).
    std::size_t wholeBytesLeft() const { return m_data.size() - (m_pos + 7) / 8; }

private:
    ByteView m_data;
    std::uint64_t m_pos = 0;
};

void golombRiceEncode(BitWriter& w, int p, std::uint64_t x) {
    std::uint64_t q = x >> p;
    while (q > 0) {
        int n = q <= 64 ? static_cast<int>(q) : 64;
        w.write(~0ULL, n);
        q -= static_cast<std::uint64_t>(n);
    }
    w.write(0, 1);
    w.write(x, p);
}

bool golombRiceDecode(BitReader& r, int p, std::uint64_t& x) {
    std::uint64_t q = 0;
    bool bit = false;
    for (;;) {
        if (!r.readBit(bit)) return false;
        if (!bit) break;
        ++q; // bounded by the stream's length, which the caller bounds
    }
    std::uint64_t rem = 0;
    if (!r.read(rem, p)) return false;
    x = (q << p) | rem;
    return true;
}

// Reads a canonical CompactSize. Returns the bytes used, or 0 on error.
std::size_t readCompactSize(ByteView in, std::uint64_t& v) {
    if (in.empty()) return 0;
    std::uint8_t first = in[0];
    if (first < 0xfd) {
        v = first;
        return 1;
    }
    std::size_t width = first == 0xfd ? 2 : first == 0xfe ? 4 : 8;
    if (in.size() < 1 + width) return 0;
    v = 0;
    for (std::size_t i = 0; i < width; ++i)
        v |= std::uint64_t(in[1 + i]) << (8 * i);
    std::uint64_t min = width == 2 ? 0xfd : width == 4 ? 0x10000 : 0x100000000ULL;
    return v >= min ? 1 + width : 0;
}

} // namespace

std::uint64_t GcsFilter::hashToRange(ByteView element) const {
    // libsodium's crypto_shorthash_siphash24 is SipHash-2-4 with a 16-byte key read as two
    // little-endian words (k0, k1) and the 64-bit result stored little-endian: exactly the
    // SipHash BIP158 uses with key = the first 16 bytes of the block hash (internal order).
    static_assert(crypto_shorthash_siphash24_KEYBYTES == 16 && crypto_shorthash_siphash24_BYTES == 8);
    std::uint8_t out[crypto_shorthash_siphash24_BYTES];
    crypto_shorthash_siphash24(out, element.data(), element.size(), m_params.siphash_key.data());
    std::uint64_t h = 0;
    for (int i = 0; i < 8; ++i)
        h |= std::uint64_t(out[i]) << (8 * i);
    // Map uniformly into [0, N*M) without a division (BIP158 "hash_to_range").
    unsigned __int128 f = static_cast<unsigned __int128>(m_n) * m_params.m;
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(h) * f) >> 64);
}

GcsFilter GcsFilter::build(const GcsParams& params, std::span<const Bytes> elements) {
    std::set<Bytes> unique(elements.begin(), elements.end());
    GcsFilter f;
    f.m_params = params;
    f.m_n = unique.size();
    writeCompactSize(f.m_encoded, f.m_n);
    f.m_stream_offset = f.m_encoded.size();
    std::vector<std::uint64_t> values;
    values.reserve(unique.size());
    for (const auto& e : unique)
        values.push_back(f.hashToRange(e));
    std::sort(values.begin(), values.end());
    BitWriter w(f.m_encoded);
    std::uint64_t last = 0;
    for (auto v : values) {
        golombRiceEncode(w, params.p, v - last);
        last = v;
    }
    return f;
}

jm::sdk::Result<GcsFilter> GcsFilter::decode(const GcsParams& params, ByteView encoded) {
    if (params.p == 0 || params.p > 32) return fail(errc::invalid_argument, "gcs filter: P must be 1..32");
    GcsFilter f;
    f.m_params = params;
    f.m_encoded.assign(encoded.begin(), encoded.end());
    std::uint64_t n = 0;
    std::size_t used = readCompactSize(encoded, n);
    if (!used) return fail(errc::invalid_argument, "gcs filter: missing or non-canonical element count");
    if (n >= (1ULL << 32)) return fail(errc::invalid_argument, "gcs filter: element count must be below 2^32");
    ByteView stream = encoded.subspan(used);
    // Each value takes at least P+1 bits: refuse counts the stream cannot hold before decoding.
    if (n > stream.size() * 8 / (params.p + 1u))
        return fail(errc::invalid_argument, "gcs filter: " + std::to_string(n) + " elements cannot fit in " +
                                                std::to_string(stream.size()) + " bytes");
    f.m_n = n;
    f.m_stream_offset = used;
    BitReader r(stream);
    for (std::uint64_t i = 0; i < n; ++i) {
        std::uint64_t delta = 0;
        if (!golombRiceDecode(r, params.p, delta))
            return fail(errc::invalid_argument, "gcs filter: truncated at element " + std::to_string(i));
    }
    if (r.wholeBytesLeft())
        return fail(errc::invalid_argument,
                    "gcs filter: " + std::to_string(r.wholeBytesLeft()) + " bytes after the last element");
    return f;
}

bool GcsFilter::matchSorted(const std::vector<std::uint64_t>& queries) const {
    if (m_n == 0 || queries.empty()) return false;
    BitReader r(ByteView(m_encoded).subspan(m_stream_offset));
    std::uint64_t value = 0;
    std::size_t qi = 0;
    for (std::uint64_t i = 0; i < m_n; ++i) {
        std::uint64_t delta = 0;
        if (!golombRiceDecode(r, m_params.p, delta)) return false;
        value += delta;
        while (qi < queries.size() && queries[qi] < value)
            ++qi;
        if (qi == queries.size()) return false;
        if (queries[qi] == value) return true;
    }
    return false;
}

bool GcsFilter::match(ByteView element) const {
    if (m_n == 0) return false;
    return matchSorted({hashToRange(element)});
}

bool GcsFilter::matchAny(std::span<const Bytes> elements) const {
    if (m_n == 0) return false;
    std::vector<std::uint64_t> queries;
    queries.reserve(elements.size());
    for (const auto& e : elements)
        queries.push_back(hashToRange(e));
    std::sort(queries.begin(), queries.end());
    return matchSorted(queries);
}

} // namespace jm::bitcoin
