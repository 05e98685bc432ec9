#pragma once

#include <jm/protocol/commands.hpp>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

//! Bus events of the maker role (besides role.coinjoin_completed/1 in jm/sdk/events.hpp). Same
//! rules as the node's events: immutable values, versioned topics, a JSON form for notifiers.
namespace jm::maker::events {

//! The maker announced its offers on the directories (at start and whenever they changed).
struct OffersAnnounced {
    static constexpr std::string_view topic = "maker.offers_announced/1";
    std::string instance;
    std::string nick;
    std::vector<jm::protocol::Offer> offers; //!< the full current list (empty: all withdrawn)
    std::vector<std::int64_t> cancelled;     //!< oids withdrawn by this announcement
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OffersAnnounced& e) {
        boost::json::array offers;
        for (const auto& o : e.offers)
            offers.push_back({{"oid", o.oid},
                              {"ordertype", jm::protocol::toString(o.type)},
                              {"minsize", o.minsize},
                              {"maxsize", o.maxsize},
                              {"txfee", o.txfee},
                              {"cjfee", o.cjfee}});
        boost::json::array cancelled;
        for (auto oid : e.cancelled)
            cancelled.push_back(oid);
        v = {{"instance", e.instance},
             {"nick", e.nick},
             {"offers", std::move(offers)},
             {"cancelled", std::move(cancelled)}};
    }
};

//! A taker's !fill was accepted: a CoinJoin session began.
struct SessionStarted {
    static constexpr std::string_view topic = "maker.session_started/1";
    std::string instance;
    std::string taker; //!< the taker's nick
    std::int64_t oid = 0;
    std::int64_t amount = 0; //!< CoinJoin amount, satoshis
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SessionStarted& e) {
        v = {{"instance", e.instance}, {"taker", e.taker}, {"oid", e.oid}, {"amount", e.amount}};
    }
};

//! A session ended without a CoinJoin of this maker: refused, timed out or broken off.
struct SessionFailed {
    static constexpr std::string_view topic = "maker.session_failed/1";
    std::string instance;
    std::string taker;
    std::string stage;  //!< "fill" | "auth" | "tx" | "timeout" | ...
    std::string reason; //!< why, for people
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SessionFailed& e) {
        v = {{"instance", e.instance}, {"taker", e.taker}, {"stage", e.stage}, {"reason", e.reason}};
    }
};

} // namespace jm::maker::events
