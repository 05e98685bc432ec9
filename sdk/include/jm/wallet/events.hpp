#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>
#include <string_view>

//! Bus events about a wallet. Same rules as the node's events (jm/sdk/events.hpp): immutable
//! values, versioned topics, a JSON form for notifiers.
namespace jm::wallet::events {

//! The wallet's total balance changed (a deposit, a payment, a CoinJoin, a confirmation that
//! moved coins between mixdepths does not count: only the total). Published by the role that
//! owns the open wallet, after a sync that found the change.
//! Executor: published from that role's strand; an immutable value. Errors: none.
struct BalanceChanged {
    static constexpr std::string_view topic = "wallet.balance_changed/1";
    std::string instance;     //!< the role's instance name
    std::int64_t balance = 0; //!< satoshis, every mixdepth, confirmed and unconfirmed
    std::int64_t change = 0;  //!< satoshis, signed: balance minus the last published balance
    std::string reason;       //!< "CoinJoin", "received", "sent", or "" when unknown
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const BalanceChanged& e) {
        v = {{"instance", e.instance}, {"balance", e.balance}, {"change", e.change}, {"reason", e.reason}};
    }
};

} // namespace jm::wallet::events
