#pragma once

#include <jm/bitcoin/block.hpp>
#include <jm/bitcoin/bytes.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace jm::plugins::backend_neutrino {

//! A block's BIP158 basic filter, already checked against the filter-header chain that the
//! source verified (and cross-checked between peers).
struct VerifiedFilter {
    std::uint32_t height = 0;
    jm::bitcoin::Hash256 block_hash{}; //!< internal order
    jm::bitcoin::Bytes filter;         //!< the encoded filter (N, then the Golomb-Rice set)
};

//! A change of the verified best chain: new blocks on top of `fork_height`, after
//! `disconnected` blocks (highest first) left it in a reorganisation.
struct ChainChange {
    std::uint32_t fork_height = 0;
    std::vector<jm::bitcoin::Hash256> disconnected;
    std::uint32_t new_height = 0;
    jm::bitcoin::Hash256 new_tip{};
};

//! The light client's view of the network, as the backend/1 implementation needs it: a verified
//! header chain with verified filter headers, filters and blocks on request, transaction relay.
//! Implemented over Bitcoin P2P (PeerManager) and, in tests, over a chain built in memory.
//!
//! Executor: every member is called on the plugin's strand and every completion or handler is
//! invoked on that strand, never before the call returned. Ownership: the source outlives the
//! callers' pending operations (its destructor completes them with errc::cancelled).
class LightChainSource {
public:
    virtual ~LightChainSource() = default;

    //! The height up to which headers and filter headers are verified (0 = genesis only).
    virtual std::uint32_t verifiedHeight() const = 0;
    //! True once the source caught up with its peers' best chain (initial sync done).
    virtual bool synced() const = 0;
    //! While no peer is connected: why the last one failed or was refused (for the user), else
    //! empty.
    virtual std::string unavailableReason() const { return {}; }
    //! The best-chain header at `height`, or nullopt above verifiedHeight().
    virtual std::optional<jm::bitcoin::BlockHeader> headerAt(std::uint32_t height) const = 0;
    //! The height of a best-chain block, or nullopt when it is not (or no longer) in it.
    virtual std::optional<std::uint32_t> heightOf(const jm::bitcoin::Hash256& block_hash) const = 0;

    //! The filters of heights [from, to] (to <= verifiedHeight()), in height order, each checked
    //! against its filter header. Errors: errc::unavailable (no peer serves filters),
    //! errc::invalid_argument (range beyond the verified tip), errc::cancelled.
    virtual void getFilters(std::uint32_t from, std::uint32_t to,
                            std::function<void(jm::sdk::Result<std::vector<VerifiedFilter>>)> done) = 0;
    //! A best-chain block, its merkle root checked against the header (witness data included).
    //! Errors: errc::unavailable, errc::not_found (not in the best chain), errc::cancelled.
    virtual void getBlock(const jm::bitcoin::Hash256& block_hash,
                          std::function<void(jm::sdk::Result<jm::bitcoin::Block>)> done) = 0;
    //! Announces a transaction to the peers and serves it to those that ask. Completes when a
    //! peer fetched it (getdata), or with errc::unavailable (no peer) / errc::timeout.
    virtual void broadcast(jm::bitcoin::Transaction tx, std::function<void(jm::sdk::Result<void>)> done) = 0;

    //! Called after each change of the verified best chain (new blocks and their filter headers
    //! verified). One handler; setting another replaces it.
    virtual void onChainChanged(std::function<void(const ChainChange&)> handler) = 0;
    //! Called for each unconfirmed transaction a peer relays (inv, then fetched with getdata).
    virtual void onMempoolTransaction(std::function<void(const jm::bitcoin::Transaction&)> handler) = 0;
};

} // namespace jm::plugins::backend_neutrino
