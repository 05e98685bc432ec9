#pragma once

#include <jm/sdk/events.hpp>
#include <jm/sdk/export.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace jm::chain {

//! What a backend found about a watched transaction at one look.
struct TxSighting {
    enum class Where {
        Nowhere,    //!< neither in the mempool nor in the best chain, no conflict known
        Mempool,    //!< unconfirmed in the mempool
        Chain,      //!< in a block of the best chain
        Conflicted, //!< a conflicting transaction is in the mempool or the chain
    };
    Where where = Where::Nowhere;
    //! Chain: the depth (>= 1). Conflicted: the conflicting transaction's depth (0: mempool).
    std::int32_t confirmations = 0;
    std::int32_t height = 0;      //!< Chain: the block height
    std::string block_hash;       //!< Chain: the block (display hex); empty when the backend cannot tell
    std::string conflicting_txid; //!< Conflicted: "" when unknown
};

//! The chain.tx_status/1 events of one watched transaction, for backends: each sighting is
//! compared with the state published last and a change becomes one event. The watch is over
//! once an event is final (confirmed, or its conflict confirmed, at `final_depth`).
//! Not finding a transaction that was never found publishes nothing (it may not be broadcast
//! yet). Executor: not thread-safe; use from one strand (or under the backend's lock).
class JM_SDK_API TxWatch {
public:
    TxWatch(std::string txid, std::int32_t final_depth);

    //! The event this sighting calls for, if it changed anything.
    std::optional<jm::sdk::events::TxStatusChanged> observe(const TxSighting& now);
    //! Changes the final depth; the next sighting publishes the final event if already reached.
    void setFinalDepth(std::int32_t final_depth);
    //! True after the final event: the backend stops looking.
    bool finished() const { return m_finished; }
    const std::string& txid() const { return m_txid; }
    std::int32_t finalDepth() const { return m_finalDepth; }
    //! The last published state; nullopt before the first event.
    std::optional<jm::sdk::events::TxState> state() const { return m_state; }

private:
    std::string m_txid;
    std::int32_t m_finalDepth;
    std::optional<jm::sdk::events::TxState> m_state;
    std::int32_t m_confirmations = 0;
    std::int32_t m_height = 0;
    std::string m_blockHash;
    std::string m_conflict;
    bool m_finished = false;
};

} // namespace jm::chain
