#include "memory_chain_source.hpp"

#include <chain_params.hpp>

#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/script.hpp>

#include <boost/asio/post.hpp>

namespace jm::plugins::backend_neutrino::testing {

using jm::bitcoin::Block;
using jm::bitcoin::Hash256;
using jm::bitcoin::Transaction;
using jm::sdk::errc;
using jm::sdk::fail;

MemoryChainSource::MemoryChainSource(jm::sdk::Executor ex) : m_ex(std::move(ex)) {
    m_chain.push_back(makeBlock(0, {}, std::nullopt));
}

Block MemoryChainSource::makeBlock(std::uint32_t height, std::vector<Transaction> txs,
                                   std::optional<jm::bitcoin::Script> coinbase_script) {
    Transaction coinbase;
    jm::bitcoin::TxIn in;
    in.prevout.vout = 0xffffffff;
    // Unique per block made (BIP34's height, plus a counter: reorged blocks differ).
    jm::bitcoin::pushNumber(in.script_sig, height);
    jm::bitcoin::pushNumber(in.script_sig, static_cast<std::int64_t>(++m_blocksMade));
    coinbase.inputs.push_back(in);
    coinbase.outputs.push_back({50'0000'0000, coinbase_script ? *coinbase_script : jm::bitcoin::Script{0x51}});
    Block block;
    block.transactions.push_back(std::move(coinbase));
    for (auto& tx : txs)
        block.transactions.push_back(std::move(tx));
    block.header.version = 4;
    block.header.prev_block = height == 0 ? Hash256{} : m_chain.at(height - 1).header.hash();
    block.header.merkle_root = block.computeMerkleRoot();
    block.header.time = 1'700'000'000 + 600 * height;
    block.header.bits = 0x207fffff;
    const auto& params = chainParams(jm::bitcoin::Network::Regtest);
    while (!checkProofOfWork(block.header.hash(), block.header.bits, params))
        ++block.header.nonce;
    // The filter holds the scripts the inputs spend: every output made so far is indexed.
    std::vector<jm::bitcoin::Script> spent;
    for (std::size_t i = 1; i < block.transactions.size(); ++i)
        for (const auto& input : block.transactions[i].inputs)
            if (auto it = m_outputs.find(input.prevout); it != m_outputs.end())
                spent.push_back(it->second.script_pubkey);
    for (const auto& tx : block.transactions)
        for (std::uint32_t v = 0; v < tx.outputs.size(); ++v)
            m_outputs[{tx.txid(), v}] = tx.outputs[v];
    m_filters[block.header.hash()] = jm::bitcoin::buildBasicFilter(block, spent).encoded();
    return block;
}

Block MemoryChainSource::mine(std::vector<Transaction> txs, std::optional<jm::bitcoin::Script> coinbase_script) {
    auto height = static_cast<std::uint32_t>(m_chain.size());
    m_chain.push_back(makeBlock(height, std::move(txs), std::move(coinbase_script)));
    notify({height - 1, {}, height, m_chain.back().header.hash()});
    return m_chain.back();
}

void MemoryChainSource::reorg(std::uint32_t disconnect, std::vector<std::vector<Transaction>> blocks) {
    ChainChange change;
    change.fork_height = verifiedHeight() - disconnect;
    for (std::uint32_t i = 0; i < disconnect; ++i) {
        change.disconnected.push_back(m_chain.back().header.hash());
        m_chain.pop_back();
    }
    for (auto& txs : blocks) {
        auto height = static_cast<std::uint32_t>(m_chain.size());
        m_chain.push_back(makeBlock(height, std::move(txs), std::nullopt));
    }
    change.new_height = verifiedHeight();
    change.new_tip = m_chain.back().header.hash();
    notify(std::move(change));
}

void MemoryChainSource::hideInFilter(std::uint32_t height, const jm::bitcoin::Script& script) {
    auto block = m_chain.at(height);
    auto hash = block.header.hash();
    m_trueFilters.emplace(hash, m_filters[hash]);
    for (auto& tx : block.transactions)
        std::erase_if(tx.outputs, [&](const auto& out) { return out.script_pubkey == script; });
    m_filters[hash] = jm::bitcoin::buildBasicFilter(block, {}).encoded();
}

void MemoryChainSource::correctFilters(std::uint32_t from) {
    for (auto& [hash, filter] : m_trueFilters)
        m_filters[hash] = std::move(filter);
    m_trueFilters.clear();
    ChainChange change;
    change.fork_height = from - 1;
    for (auto h = verifiedHeight(); h >= from; --h)
        change.disconnected.push_back(m_chain.at(h).header.hash());
    change.new_height = verifiedHeight();
    change.new_tip = m_chain.back().header.hash();
    notify(std::move(change));
}

void MemoryChainSource::notify(ChainChange change) {
    boost::asio::post(m_ex, [this, change = std::move(change)] {
        if (m_chainHandler) m_chainHandler(change);
    });
}

void MemoryChainSource::relay(const Transaction& tx) {
    boost::asio::post(m_ex, [this, tx] {
        if (m_mempoolHandler) m_mempoolHandler(tx);
    });
}

std::uint32_t MemoryChainSource::verifiedHeight() const { return static_cast<std::uint32_t>(m_chain.size() - 1); }

std::optional<jm::bitcoin::BlockHeader> MemoryChainSource::headerAt(std::uint32_t height) const {
    if (height >= m_chain.size()) return std::nullopt;
    return m_chain[height].header;
}

std::optional<std::uint32_t> MemoryChainSource::heightOf(const Hash256& block_hash) const {
    for (std::uint32_t h = 0; h < m_chain.size(); ++h)
        if (m_chain[h].header.hash() == block_hash) return h;
    return std::nullopt;
}

void MemoryChainSource::getFilters(std::uint32_t from, std::uint32_t to,
                                   std::function<void(jm::sdk::Result<std::vector<VerifiedFilter>>)> done) {
    jm::sdk::Result<std::vector<VerifiedFilter>> result = std::vector<VerifiedFilter>{};
    if (from > to || to > verifiedHeight()) {
        result = fail(errc::invalid_argument, "filter range beyond the verified tip");
    } else {
        for (auto h = from; h <= to; ++h) {
            auto hash = m_chain[h].header.hash();
            result->push_back({h, hash, m_filters.at(hash)});
        }
        m_filtersServed += result->size();
    }
    boost::asio::post(m_ex,
                      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void MemoryChainSource::getBlock(const Hash256& block_hash, std::function<void(jm::sdk::Result<Block>)> done) {
    jm::sdk::Result<Block> result = fail(errc::not_found, "not in the best chain");
    if (auto h = heightOf(block_hash)) {
        result = m_chain[*h];
        ++m_blocksServed;
    }
    boost::asio::post(m_ex,
                      [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

void MemoryChainSource::broadcast(Transaction tx, std::function<void(jm::sdk::Result<void>)> done) {
    jm::sdk::Result<void> result;
    if (m_broadcastFails)
        result = fail(errc::unavailable, "no peer");
    else
        m_broadcasts.push_back(std::move(tx));
    boost::asio::post(m_ex, [done = std::move(done), result]() mutable { done(result); });
}

void MemoryChainSource::onChainChanged(std::function<void(const ChainChange&)> handler) {
    m_chainHandler = std::move(handler);
}

void MemoryChainSource::onMempoolTransaction(std::function<void(const Transaction&)> handler) {
    m_mempoolHandler = std::move(handler);
}

} // namespace jm::plugins::backend_neutrino::testing
