#pragma once

#include <jm/taker/coinjoin_service.hpp>

#include <string>

namespace jm::host {

//! The line `jmnode coinjoin send` prints after a failed CoinJoin: every maker that failed the
//! run, by nick, in the order they failed (the error message names at most a few, with their
//! reasons). Empty when no maker failed it (e.g. too few offers, no funds).
inline std::string failedMakersLine(const jm::taker::CoinjoinFailure& failure) {
    if (failure.makers.empty()) return {};
    std::string nicks;
    for (const auto& m : failure.makers)
        nicks += (nicks.empty() ? "" : ", ") + m.nick;
    return "makers that failed it (" + std::to_string(failure.makers.size()) + "): " + nicks;
}

} // namespace jm::host
