#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>
#include <string_view>

//! The node's event types. Each is an immutable value with a versioned topic string and a JSON
//! conversion. A change of fields means a new topic version ("/2"), never an edit in place.
namespace jm::sdk::events {

//! The host started every plugin instance.
struct NodeStarted {
    static constexpr std::string_view topic = "node.started/1";
    std::string version;
    std::string network;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const NodeStarted& e) {
        v = {{"version", e.version}, {"network", e.network}};
    }
};

//! The host is shutting down (signal or requestShutdown).
struct NodeStopping {
    static constexpr std::string_view topic = "node.stopping/1";
    std::string reason;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const NodeStopping& e) {
        v = {{"reason", e.reason}};
    }
};

//! A new block became the chain tip.
struct BlockConnected {
    static constexpr std::string_view topic = "chain.block_connected/1";
    std::int32_t height = 0;
    std::string hash; //!< display-order hex
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const BlockConnected& e) {
        v = {{"height", e.height}, {"hash", e.hash}};
    }
};

//! Where a watched transaction stands (BlockchainBackend::watchTransaction).
enum class TxState {
    Mempool,    //!< in the node's mempool, unconfirmed
    Confirmed,  //!< in a block of the best chain
    Conflicted, //!< another transaction spends one of its inputs (a replacement, a double spend)
    Dropped,    //!< seen before, now neither in the mempool nor in the chain, with no known conflict
};

//! "mempool", "confirmed", "conflicted", "dropped".
inline std::string_view txStateName(TxState s) {
    switch (s) {
    case TxState::Mempool:
        return "mempool";
    case TxState::Confirmed:
        return "confirmed";
    case TxState::Conflicted:
        return "conflicted";
    case TxState::Dropped:
        return "dropped";
    }
    return "unknown";
}

//! A watched transaction changed state. One topic for every change, so a subscriber sees the
//! changes of a transaction in the order they happened (the bus orders deliveries per
//! subscriber, not across topics). Published when the transaction is first found, on each new
//! confirmation depth up to the watch's final depth, when it leaves a block (`reorged`), when a
//! conflicting transaction appears or confirms, and when it disappears.
struct TxStatusChanged {
    static constexpr std::string_view topic = "chain.tx_status/1";
    std::string txid; //!< display-order hex
    TxState state = TxState::Mempool;
    //! Confirmed: its depth (1 = in the tip block). Conflicted: the depth of the conflicting
    //! transaction, 0 while that one is unconfirmed.
    std::int32_t confirmations = 0;
    std::int32_t height = 0;      //!< Confirmed: the block's height
    std::string block_hash;       //!< Confirmed: the block's hash (display-order hex)
    std::string conflicting_txid; //!< Conflicted: the transaction spending its inputs ("" when unknown)
    bool reorged = false;         //!< it was in a block of the best chain and no longer is in that block
    //! The last event of this watch: confirmed (or its conflict confirmed) at the final depth.
    bool final = false;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TxStatusChanged& e) {
        v = {{"txid", e.txid},
             {"state", txStateName(e.state)},
             {"confirmations", e.confirmations},
             {"height", e.height},
             {"block_hash", e.block_hash},
             {"conflicting_txid", e.conflicting_txid},
             {"reorged", e.reorged},
             {"final", e.final}};
    }
};

//! A CoinJoin this node took part in was broadcast (taker) or seen (maker).
struct CoinjoinCompleted {
    static constexpr std::string_view topic = "role.coinjoin_completed/1";
    std::string txid;
    std::int64_t cj_amount = 0; //!< satoshis
    std::string role;           //!< "maker" | "taker"
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const CoinjoinCompleted& e) {
        v = {{"txid", e.txid}, {"cj_amount", e.cj_amount}, {"role", e.role}};
    }
};

//! A CoinJoin this node took part in, with what it earned or paid. Publishers that know the fee
//! publish this event first and then role.coinjoin_completed/1 for the same transaction
//! (subscribers of both, such as message notifiers, then skip the /1 duplicate).
//! Executor: published from any executor; an immutable value. Errors: none.
struct CoinjoinCompletedV2 {
    static constexpr std::string_view topic = "role.coinjoin_completed/2";
    std::string txid;
    std::int64_t cj_amount = 0; //!< satoshis
    std::string role;           //!< "maker" | "taker"
    std::string instance;       //!< the role's instance name
    //! Satoshis. Maker: the net fee earned (its CoinJoin fee minus its share of the mining fee;
    //! negative when it paid more than it earned). Taker: everything it paid (makers' fees plus
    //! the mining fee), as a positive number.
    std::int64_t fee = 0;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const CoinjoinCompletedV2& e) {
        v = {{"txid", e.txid}, {"cj_amount", e.cj_amount}, {"role", e.role}, {"instance", e.instance}, {"fee", e.fee}};
    }
};

//! A blockchain backend stopped answering (after a few failed polls in a row) or answers again.
//! Published by backend plugins on each change only, never at every poll.
//! Executor: published from the backend's strand; an immutable value. Errors: none.
struct BackendStatus {
    static constexpr std::string_view topic = "chain.backend_status/1";
    std::string instance; //!< the backend's instance name
    bool reachable = false;
    std::string detail; //!< unreachable: the last error, for people; "" when reachable
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const BackendStatus& e) {
        v = {{"instance", e.instance}, {"reachable", e.reachable}, {"detail", e.detail}};
    }
};

//! A role of this node took a nick on the message channels (published at each new nick). Makers
//! ignore !fill from the nicks of their own node's takers (no self-CoinJoin).
struct RoleNick {
    static constexpr std::string_view topic = "role.nick/1";
    std::string instance; //!< the role's instance name
    std::string role;     //!< "maker" | "taker"
    std::string nick;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const RoleNick& e) {
        v = {{"instance", e.instance}, {"role", e.role}, {"nick", e.nick}};
    }
};

} // namespace jm::sdk::events
