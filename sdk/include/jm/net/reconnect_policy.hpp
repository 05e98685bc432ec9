#pragma once

#include <jm/sdk/export.hpp>

#include <chrono>

namespace jm::net {

//! When to try a lost directory again: REF's schedule (protocol.md 3.5) by default: 4 s, times
//! 1.5 per further attempt, capped, plus uniform jitter in [jitter_min, jitter_max].
struct ReconnectPolicy {
    bool enabled = true;
    std::chrono::milliseconds initial{4000};
    double factor = 1.5;
    std::chrono::milliseconds max{8'868'000};
    std::chrono::milliseconds jitter_min{-1000};
    std::chrono::milliseconds jitter_max{5000};

    //! The wait before attempt `attempt` (0 = first retry), never negative. Executor: any;
    //! uses libsodium's random numbers for the jitter.
    JM_SDK_API std::chrono::milliseconds delay(unsigned attempt) const;
};

} // namespace jm::net
