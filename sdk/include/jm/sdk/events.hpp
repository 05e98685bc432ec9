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

//! A watched transaction entered the mempool.
struct TxSeen {
    static constexpr std::string_view topic = "chain.tx_mempool/1";
    std::string txid; //!< display-order hex
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TxSeen& e) {
        v = {{"txid", e.txid}};
    }
};

//! A watched transaction is in the best chain at `confirmations` depth (published as it grows).
struct TxConfirmed {
    static constexpr std::string_view topic = "chain.tx_confirmed/1";
    std::string txid;
    std::int32_t confirmations = 0;
    std::int32_t height = 0;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TxConfirmed& e) {
        v = {{"txid", e.txid}, {"confirmations", e.confirmations}, {"height", e.height}};
    }
};

//! A watched transaction that had confirmed left the best chain (a reorganisation).
struct TxReorged {
    static constexpr std::string_view topic = "chain.tx_reorged/1";
    std::string txid;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const TxReorged& e) {
        v = {{"txid", e.txid}};
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
