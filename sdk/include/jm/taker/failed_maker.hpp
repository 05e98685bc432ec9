#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <string>

namespace jm::taker {

//! A maker that failed a CoinJoin run of the taker: it did not answer in time (no !pubkey, no
//! !ioauth, not every !sig), sent an !error, or failed a check (coins, signatures, the auth key).
//! The taker never chooses it again in that run; a caller that retries the CoinJoin passes it in
//! CoinjoinRequest::avoid so that the retry does not choose it either.
//! A plain value (copied freely); no executor, no errors.
struct FailedMaker {
    std::string nick;   //!< the maker's nick in that run
    std::string stage;  //!< the taker's stage when it failed: "fill", "auth", "signatures", ...
    std::string reason; //!< why, for people ("no !ioauth in time", "!error: ...")
    int attempt = 1;    //!< the taker's attempt it failed in (1 = the first)

    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const FailedMaker& m) {
        v = {{"nick", m.nick}, {"stage", m.stage}, {"reason", m.reason}, {"attempt", m.attempt}};
    }
};

} // namespace jm::taker
