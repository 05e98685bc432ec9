#pragma once

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/result.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace jm::bitcoin {

//! Parameters of a Golomb-coded set (BIP158): the SipHash-2-4 key, the Golomb-Rice parameter P
//! and the inverse false-positive rate M.
struct GcsParams {
    std::array<std::uint8_t, 16> siphash_key{};
    std::uint8_t p = 19;
    std::uint32_t m = 784931;
};

//! A Golomb-coded set as BIP158 defines it: N elements hashed with SipHash-2-4 into [0, N*M),
//! sorted, and the differences Golomb-Rice coded with parameter P; serialised as CompactSize(N)
//! followed by the bit stream (most significant bit first, zero padded to a byte).
//!
//! Matching decodes the stream on the fly: matchAny() hashes the queries once, sorts them and
//! walks both sorted lists together, so one filter is tested against thousands of watched
//! scripts in a single pass. Plain value type. Executor: any; not thread-safe for writes.
class JM_SDK_API GcsFilter {
public:
    //! Builds the set of `elements`; duplicates are removed first (BIP158 counts N over the
    //! distinct elements). Errors: none.
    static GcsFilter build(const GcsParams& params, std::span<const Bytes> elements);
    //! Parses an encoded filter and checks its whole bit stream: N below 2^32 and no larger than
    //! the bits can hold, N values present, at most 7 padding bits after them and no further
    //! bytes. Ownership: copies `encoded`. Errors: errc::invalid_argument with the reason.
    static jm::sdk::Result<GcsFilter> decode(const GcsParams& params, ByteView encoded);

    const GcsParams& params() const noexcept { return m_params; }
    //! Number of elements N.
    std::uint64_t size() const noexcept { return m_n; }
    //! The serialisation: CompactSize(N) then the Golomb-Rice bit stream.
    const Bytes& encoded() const noexcept { return m_encoded; }

    //! True when `element` is (probably: false positives at rate 1/M) in the set.
    bool match(ByteView element) const;
    //! True when any of `elements` is (probably) in the set. Cost: O(k log k + N).
    bool matchAny(std::span<const Bytes> elements) const;

private:
    GcsFilter() = default;
    std::uint64_t hashToRange(ByteView element) const;
    bool matchSorted(const std::vector<std::uint64_t>& queries) const;

    GcsParams m_params;
    std::uint64_t m_n = 0;
    std::size_t m_stream_offset = 0; //!< where the bit stream starts in m_encoded
    Bytes m_encoded;
};

} // namespace jm::bitcoin
