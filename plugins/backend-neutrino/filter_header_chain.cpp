#include "filter_header_chain.hpp"

#include <jm/bitcoin/block_filter.hpp>

#include <algorithm>
#include <cstring>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::Hash256;
using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {
constexpr std::string_view PREFIX = "fh/";
constexpr std::string_view COUNT_KEY = "fhcount";

// Big-endian heights keep the keys in height order.
std::string keyOf(std::uint32_t height) {
    std::string k(PREFIX);
    for (int i = 3; i >= 0; --i)
        k.push_back(static_cast<char>((height >> (8 * i)) & 0xff));
    return k;
}
std::string encodeCount(std::uint32_t n) { return std::to_string(n); }
} // namespace

Result<FilterHeaderChain> FilterHeaderChain::open(jm::sdk::KvStore& store, const HeaderChain& headers) {
    FilterHeaderChain chain(store);
    auto stored = store.get(COUNT_KEY);
    if (!stored) return stored.error();
    if (!*stored) return chain;
    std::uint32_t count = 0;
    try {
        count = static_cast<std::uint32_t>(std::stoul(**stored));
    } catch (const std::exception&) {
        return fail(errc::corrupt_data, "filter header count is damaged");
    }
    for (std::uint32_t h = 0; h < count; ++h) {
        auto v = store.get(keyOf(h));
        if (!v) return v.error();
        if (!*v || (*v)->size() != 64)
            return fail(errc::corrupt_data, "filter header " + std::to_string(h) + " is damaged");
        Hash256 block{}, header{};
        std::memcpy(block.data(), (*v)->data(), 32);
        std::memcpy(header.data(), (*v)->data() + 32, 32);
        const auto* entry = headers.atHeight(h);
        if (!entry || entry->hash != block) break; // reorged (or headers lost) while stopped
        chain.m_blocks.push_back(block);
        chain.m_headers.push_back(header);
    }
    if (chain.count() < count)
        if (auto r = chain.truncate(chain.count()); !r) return r.error();
    return chain;
}

const Hash256* FilterHeaderChain::at(std::uint32_t height) const {
    return height < m_headers.size() ? &m_headers[height] : nullptr;
}

const Hash256* FilterHeaderChain::previous(std::uint32_t height) const {
    static const Hash256 ZERO{};
    if (height == 0) return &ZERO;
    return at(height - 1);
}

Result<void> FilterHeaderChain::append(std::span<const Hash256> filter_hashes, const HeaderChain& headers) {
    if (filter_hashes.empty()) return {};
    auto start = count();
    if (start + filter_hashes.size() - 1 > headers.height())
        return fail(errc::invalid_argument, "filter headers beyond the header chain");
    jm::sdk::WriteBatch batch;
    Hash256 prev = *previous(start);
    std::vector<Hash256> new_headers, new_blocks;
    for (std::size_t i = 0; i < filter_hashes.size(); ++i) {
        auto height = static_cast<std::uint32_t>(start + i);
        prev = jm::bitcoin::blockFilterHeader(filter_hashes[i], prev);
        const auto& block = headers.atHeight(height)->hash;
        std::string value(reinterpret_cast<const char*>(block.data()), 32);
        value.append(reinterpret_cast<const char*>(prev.data()), 32);
        batch.put(keyOf(height), value);
        new_headers.push_back(prev);
        new_blocks.push_back(block);
    }
    batch.put(COUNT_KEY, encodeCount(start + static_cast<std::uint32_t>(filter_hashes.size())));
    if (auto r = m_store->write(batch); !r) return r.error();
    m_headers.insert(m_headers.end(), new_headers.begin(), new_headers.end());
    m_blocks.insert(m_blocks.end(), new_blocks.begin(), new_blocks.end());
    return {};
}

Result<void> FilterHeaderChain::truncate(std::uint32_t new_count) {
    jm::sdk::WriteBatch batch;
    std::uint32_t stored_end = count();
    // Keys above the loaded entries may exist when open() stopped early: erase up to the old count.
    if (auto v = m_store->get(COUNT_KEY); v && *v) {
        try {
            stored_end = std::max(stored_end, static_cast<std::uint32_t>(std::stoul(**v)));
        } catch (const std::exception&) {
        }
    }
    for (std::uint32_t h = new_count; h < stored_end; ++h)
        batch.erase(keyOf(h));
    batch.put(COUNT_KEY, encodeCount(std::min(new_count, count())));
    if (auto r = m_store->write(batch); !r) return r.error();
    if (new_count < count()) {
        m_headers.resize(new_count);
        m_blocks.resize(new_count);
    }
    return {};
}

} // namespace jm::plugins::backend_neutrino
