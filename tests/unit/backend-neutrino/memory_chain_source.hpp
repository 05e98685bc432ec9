#pragma once

#include <light_chain_source.hpp>

#include <jm/bitcoin/block.hpp>
#include <jm/sdk/executor.hpp>

#include <map>
#include <optional>

namespace jm::plugins::backend_neutrino::testing {

//! A TEST DOUBLE of the light client: a chain built in the test (real transactions, BIP158
//! filters from the SDK's encoder, headers with regtest proof of work), served through the
//! LightChainSource interface with every completion and handler posted to `ex`. Counts what it
//! serves so tests can tell a rescan from a resumed scan.
class MemoryChainSource final : public LightChainSource {
public:
    //! A chain of the genesis block only (its coinbase pays `OP_TRUE`).
    explicit MemoryChainSource(jm::sdk::Executor ex);

    //! Appends a block with a coinbase (paying `coinbase_script`, default OP_TRUE) and `txs`,
    //! time 1'700'000'000 + 600 * height (the SDK TestChain's), and reports the change.
    //! Returns the block.
    jm::bitcoin::Block mine(std::vector<jm::bitcoin::Transaction> txs,
                            std::optional<jm::bitcoin::Script> coinbase_script = std::nullopt);
    //! Replaces the last `disconnect` blocks by blocks holding `blocks` (one vector per block),
    //! reported as one change.
    void reorg(std::uint32_t disconnect, std::vector<std::vector<jm::bitcoin::Transaction>> blocks);
    //! Lies: block `height`'s filter leaves out `script` (as a lone lying peer's would).
    void hideInFilter(std::uint32_t height, const jm::bitcoin::Script& script);
    //! The lie found (P2pChainSource's cross-check): the true filters back, reported as the
    //! blocks from `from` disconnected and connected again (the same blocks).
    void correctFilters(std::uint32_t from);
    //! A peer relays an unconfirmed transaction.
    void relay(const jm::bitcoin::Transaction& tx);
    void setSynced(bool synced) { m_synced = synced; }
    //! Broadcasts fail with errc::unavailable while set.
    void setBroadcastFails(bool fails) { m_broadcastFails = fails; }

    std::size_t filtersServed() const { return m_filtersServed; }
    std::size_t blocksServed() const { return m_blocksServed; }
    const std::vector<jm::bitcoin::Transaction>& broadcasts() const { return m_broadcasts; }
    const jm::bitcoin::Block& blockAt(std::uint32_t height) const { return m_chain.at(height); }

    std::uint32_t verifiedHeight() const override;
    bool synced() const override { return m_synced; }
    std::optional<jm::bitcoin::BlockHeader> headerAt(std::uint32_t height) const override;
    std::optional<std::uint32_t> heightOf(const jm::bitcoin::Hash256& block_hash) const override;
    void getFilters(std::uint32_t from, std::uint32_t to,
                    std::function<void(jm::sdk::Result<std::vector<VerifiedFilter>>)> done) override;
    void getBlock(const jm::bitcoin::Hash256& block_hash,
                  std::function<void(jm::sdk::Result<jm::bitcoin::Block>)> done) override;
    void broadcast(jm::bitcoin::Transaction tx, std::function<void(jm::sdk::Result<void>)> done) override;
    void onChainChanged(std::function<void(const ChainChange&)> handler) override;
    void onMempoolTransaction(std::function<void(const jm::bitcoin::Transaction&)> handler) override;

private:
    jm::bitcoin::Block makeBlock(std::uint32_t height, std::vector<jm::bitcoin::Transaction> txs,
                                 std::optional<jm::bitcoin::Script> coinbase_script);
    void notify(ChainChange change);

    jm::sdk::Executor m_ex;
    std::vector<jm::bitcoin::Block> m_chain;                          //!< the best chain by height
    std::map<jm::bitcoin::Hash256, jm::bitcoin::Bytes> m_filters;     //!< by block hash
    std::map<jm::bitcoin::Hash256, jm::bitcoin::Bytes> m_trueFilters; //!< of the blocks lied about
    std::map<jm::bitcoin::OutPoint, jm::bitcoin::TxOut> m_outputs;    //!< every output ever made
    std::uint64_t m_blocksMade = 0;
    bool m_synced = true;
    bool m_broadcastFails = false;
    std::size_t m_filtersServed = 0;
    std::size_t m_blocksServed = 0;
    std::vector<jm::bitcoin::Transaction> m_broadcasts;
    std::function<void(const ChainChange&)> m_chainHandler;
    std::function<void(const jm::bitcoin::Transaction&)> m_mempoolHandler;
};

} // namespace jm::plugins::backend_neutrino::testing
