#pragma once

#include "chain_params.hpp"

#include <jm/bitcoin/block.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! A validated header and where it sits.
struct HeaderEntry {
    jm::bitcoin::BlockHeader header;
    jm::bitcoin::Hash256 hash{};
    std::uint32_t height = 0;
    Uint256 chain_work; //!< total work from genesis up to and including this header
};

//! What one acceptHeaders() call changed in the best chain.
struct HeadersAccepted {
    std::size_t added = 0; //!< headers new to us (side branches included)
    bool tip_changed = false;
    //! Best-chain blocks that are no longer in it (a reorg), highest first. Empty when the new
    //! headers only extend the chain.
    std::vector<jm::bitcoin::Hash256> disconnected;
    std::uint32_t fork_height = 0; //!< the last block both old and new best chains share
};

//! The block header tree of one network, validated as a header-only client can: proof of work,
//! the difficulty each header must have (retargets, testnet's 20-minute rule, none on regtest),
//! timestamps above the median of the previous 11 and at most 2 hours ahead, obsolete versions
//! (BIP34/66/65), checkpoints. The best chain is the one with most work (the first seen wins a
//! tie). Every header is persisted in the KvStore, each acceptHeaders() in one atomic batch, so
//! a restart resumes at the same tip.
//!
//! Memory: every header is kept in memory (~200 bytes each). Executor: one strand; not
//! thread-safe. Ownership: the KvStore must outlive the chain; the chain owns its keys under
//! "hdr/" and "hdrtip".
class HeaderChain {
public:
    //! Loads the chain stored in `store`, or starts one at the genesis block of `params`.
    //! Errors: errc::corrupt_data when the store holds another network's chain or damaged
    //! entries; KvStore errors.
    static jm::sdk::Result<HeaderChain> open(const ChainParams& params, jm::sdk::KvStore& store);

    //! Validates and stores `headers`, each building on a known header (usually the previous
    //! one). All or nothing: when one is invalid nothing of this call is kept, and the error
    //! (errc::protocol_error, reason and index) tells the caller to score the peer; a header
    //! whose parent is unknown is errc::not_found; a side branch whose work stays more than
    //! 144 blocks' work below the tip is not stored (errc::rejected). `now` is the current
    //! Unix time.
    jm::sdk::Result<HeadersAccepted> acceptHeaders(std::span<const jm::bitcoin::BlockHeader> headers, std::int64_t now);

    const HeaderEntry& tip() const { return *m_best.back(); }
    std::uint32_t height() const { return tip().height; }
    //! The best chain's header at `height`, or nullptr above the tip.
    const HeaderEntry* atHeight(std::uint32_t height) const;
    //! Any known header (best chain or side branch), or nullptr.
    const HeaderEntry* find(const jm::bitcoin::Hash256& hash) const;
    bool inBestChain(const jm::bitcoin::Hash256& hash) const;
    //! A getheaders block locator: the last 10 best-chain hashes, then exponentially sparser,
    //! ending with genesis.
    std::vector<jm::bitcoin::Hash256> locator() const;
    //! The median time of the 11 headers ending at `entry` (fewer near genesis).
    std::int64_t medianTimePast(const HeaderEntry& entry) const;
    //! The bits a header following `parent` with timestamp `time` must carry.
    std::uint32_t nextBits(const HeaderEntry& parent, std::uint32_t time) const;

    const ChainParams& params() const { return m_params; }

private:
    struct HashHasher {
        std::size_t operator()(const jm::bitcoin::Hash256& h) const noexcept;
    };

    HeaderChain(const ChainParams& params, jm::sdk::KvStore& store) : m_params(params), m_store(&store) {}
    const HeaderEntry* ancestor(const HeaderEntry& entry, std::uint32_t height) const;
    jm::sdk::Result<void> check(const HeaderEntry& parent, const jm::bitcoin::BlockHeader& header,
                                std::int64_t now) const;
    void setBest(const HeaderEntry* tip);

    ChainParams m_params;
    jm::sdk::KvStore* m_store;
    std::unordered_map<jm::bitcoin::Hash256, std::unique_ptr<HeaderEntry>, HashHasher> m_entries;
    std::vector<const HeaderEntry*> m_best; //!< best chain by height
};

} // namespace jm::plugins::backend_neutrino
