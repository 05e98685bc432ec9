#pragma once

#include "header_chain.hpp"

#include <jm/bitcoin/bytes.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! The verified BIP157 basic filter headers of the best chain, by height from genesis, each
//! stored with the block hash it belongs to, persisted in the KvStore (keys "fh/<height>" and
//! "fhcount", each change in one atomic batch). On open, entries whose block is no longer in
//! the header chain's best chain (a reorg while stopped) are dropped.
//!
//! Memory: 64 bytes per block. Executor: one strand; not thread-safe. Ownership: the KvStore
//! must outlive the chain.
class FilterHeaderChain {
public:
    static jm::sdk::Result<FilterHeaderChain> open(jm::sdk::KvStore& store, const HeaderChain& headers);

    //! Number of heights with a verified filter header (0 = none, 1 = genesis only).
    std::uint32_t count() const { return static_cast<std::uint32_t>(m_headers.size()); }
    //! The filter header at `height`, or nullptr when not verified yet.
    const jm::bitcoin::Hash256* at(std::uint32_t height) const;
    //! The header before `height` (all zero before genesis), or nullptr when not verified.
    const jm::bitcoin::Hash256* previous(std::uint32_t height) const;

    //! Appends the headers for heights [count(), count() + filter_hashes.size()), computed from
    //! `filter_hashes` on top of previous(count()). The blocks must be in `headers`' best chain.
    //! Errors: errc::invalid_argument (beyond the header chain), KvStore errors.
    jm::sdk::Result<void> append(std::span<const jm::bitcoin::Hash256> filter_hashes, const HeaderChain& headers);
    //! Keeps heights [0, new_count) (a reorg). Errors: KvStore errors.
    jm::sdk::Result<void> truncate(std::uint32_t new_count);

private:
    explicit FilterHeaderChain(jm::sdk::KvStore& store) : m_store(&store) {}
    jm::sdk::KvStore* m_store;
    std::vector<jm::bitcoin::Hash256> m_headers;
    std::vector<jm::bitcoin::Hash256> m_blocks;
};

} // namespace jm::plugins::backend_neutrino
