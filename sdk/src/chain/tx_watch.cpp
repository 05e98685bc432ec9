#include <jm/chain/tx_watch.hpp>

#include <algorithm>

namespace jm::chain {

using jm::sdk::events::TxState;
using jm::sdk::events::TxStatusChanged;

TxWatch::TxWatch(std::string txid, std::int32_t final_depth) :
    m_txid(std::move(txid)), m_finalDepth(std::max(1, final_depth)) {}

void TxWatch::setFinalDepth(std::int32_t final_depth) { m_finalDepth = std::max(1, final_depth); }

std::optional<TxStatusChanged> TxWatch::observe(const TxSighting& now) {
    if (m_finished) return std::nullopt;
    TxState state = TxState::Dropped;
    switch (now.where) {
    case TxSighting::Where::Nowhere:
        // Never found, or already reported gone: nothing new.
        if (!m_state || *m_state == TxState::Dropped) return std::nullopt;
        state = TxState::Dropped;
        break;
    case TxSighting::Where::Mempool:
        state = TxState::Mempool;
        break;
    case TxSighting::Where::Chain:
        state = TxState::Confirmed;
        break;
    case TxSighting::Where::Conflicted:
        state = TxState::Conflicted;
        break;
    default:
        return std::nullopt;
    }
    auto confirmations = std::max(0, now.confirmations);
    if (state == TxState::Confirmed) confirmations = std::max(1, confirmations);

    // It left the block it was in: out of the chain, or into another block (a reorganisation
    // that mined it again). A shallower depth in the same block is no reorg of this transaction.
    bool was_confirmed = m_state == TxState::Confirmed;
    bool reorged =
        was_confirmed && (state != TxState::Confirmed || now.height != m_height ||
                          (!now.block_hash.empty() && !m_blockHash.empty() && now.block_hash != m_blockHash));
    bool final = (state == TxState::Confirmed || (state == TxState::Conflicted && confirmations > 0)) &&
                 confirmations >= m_finalDepth;
    bool changed = !m_state || state != *m_state || reorged || final;
    if (!changed && state == TxState::Confirmed) changed = confirmations != m_confirmations;
    if (!changed && state == TxState::Conflicted)
        // A new conflicting transaction, its first confirmation, or a reorg of it.
        changed = now.conflicting_txid != m_conflict || (confirmations > 0) != (m_confirmations > 0) ||
                  confirmations < m_confirmations;
    if (!changed) {
        // Keep the depth current without publishing (conflicts deepen silently until final).
        m_confirmations = confirmations;
        return std::nullopt;
    }

    TxStatusChanged e;
    e.txid = m_txid;
    e.state = state;
    e.confirmations = state == TxState::Confirmed || state == TxState::Conflicted ? confirmations : 0;
    if (state == TxState::Confirmed) {
        e.height = now.height;
        e.block_hash = now.block_hash;
    }
    if (state == TxState::Conflicted) e.conflicting_txid = now.conflicting_txid;
    e.reorged = reorged;
    e.final = final;

    m_state = state;
    m_confirmations = e.confirmations;
    m_height = e.height;
    m_blockHash = e.block_hash;
    m_conflict = e.conflicting_txid;
    m_finished = e.final;
    return e;
}

} // namespace jm::chain
