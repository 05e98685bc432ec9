#pragma once

#include <jm/taker/failed_maker.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

//! Bus events of the taker role (besides role.coinjoin_completed/1 in jm/sdk/events.hpp). Same
//! rules as the node's events: immutable values, versioned topics, a JSON form for notifiers.
namespace jm::taker::events {

//! A CoinJoin of the taker reached a stage. Stages, in order: "orderbook" (offers asked for),
//! "chosen" (makers and fees), "fill", "auth", "tx" (sent to the makers), "signatures" (every
//! maker signature verified), "broadcast", "seen" (on the network), "confirmed"; "retry" when an
//! attempt is abandoned and a new one (other makers, a fresh commitment) starts.
struct Stage {
    static constexpr std::string_view topic = "taker.stage/1";
    std::string instance;
    std::string nick;   //!< the taker's nick for this run
    std::string stage;  //!< see above
    int attempt = 1;    //!< 1 for the first attempt
    std::string detail; //!< for people ("3 makers chosen, fees 612 sat", a txid, ...)
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Stage& e) {
        v = {{"instance", e.instance},
             {"nick", e.nick},
             {"stage", e.stage},
             {"attempt", e.attempt},
             {"detail", e.detail}};
    }
};

//! A CoinJoin run of the taker ended without its CoinJoin done. Up to the stage "signatures"
//! nothing was broadcast and no coin of the wallet was spent; at "broadcast" and "confirming"
//! the signed transaction went out and may still confirm (`reason` says so).
struct Failed {
    static constexpr std::string_view topic = "taker.failed/1";
    std::string instance;
    std::string nick;
    std::string stage;  //!< the stage it failed at
    std::string reason; //!< why, for people
    //! The makers that failed the run, in any attempt (CoinjoinFailure::makers); JSON
    //! "failed_makers": [{"nick", "stage", "reason", "attempt"}, ...].
    std::vector<FailedMaker> failed_makers{};
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Failed& e) {
        v = {{"instance", e.instance},
             {"nick", e.nick},
             {"stage", e.stage},
             {"reason", e.reason},
             {"failed_makers", boost::json::value_from(e.failed_makers)}};
    }
};

} // namespace jm::taker::events
