#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <cstdint>
#include <string>
#include <string_view>

//! Bus events of the tumbler role. Same rules as the node's events: immutable values, versioned
//! topics, a JSON form for notifiers.
namespace jm::tumbler::events {

//! A step of a tumble changed state: "running" (about to ask the taker; persisted first),
//! "done" (its CoinJoin is confirmed; txid set), "failed" (reason set; it is retried or the
//! plan pauses).
struct Step {
    static constexpr std::string_view topic = "tumble.step/1";
    std::string instance;
    std::string plan;        //!< the plan's id
    int step = 0;            //!< 1-based
    int steps = 0;           //!< in the plan
    std::string state;       //!< see above
    int mixdepth = 0;        //!< paying mixdepth
    std::int64_t amount = 0; //!< satoshis; 0 = a sweep (the amount is known once done)
    bool external = false;   //!< pays one of the user's destinations (else the next mixdepth)
    int attempt = 1;
    std::string txid;
    std::string reason;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Step& e) {
        v = {{"instance", e.instance}, {"plan", e.plan},         {"step", e.step},     {"steps", e.steps},
             {"state", e.state},       {"mixdepth", e.mixdepth}, {"amount", e.amount}, {"external", e.external},
             {"attempt", e.attempt},   {"txid", e.txid},         {"reason", e.reason}};
    }
};

//! A tumble ended: "finished" (every step done, every destination paid) or "paused" (a step
//! failed too often or the wallet refused; `reason` says why; `jmnode tumble resume` goes on).
struct Finished {
    static constexpr std::string_view topic = "tumble.finished/1";
    std::string instance;
    std::string plan;
    std::string state;
    int done = 0; //!< steps done
    int steps = 0;
    std::string reason;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Finished& e) {
        v = {{"instance", e.instance}, {"plan", e.plan},   {"state", e.state},
             {"done", e.done},         {"steps", e.steps}, {"reason", e.reason}};
    }
};

} // namespace jm::tumbler::events
