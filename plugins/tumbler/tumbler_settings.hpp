#pragma once

#include "schedule.hpp"

#include <jm/sdk/config.hpp>
#include <jm/sdk/result.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <string>

namespace jm::plugins::tumbler {

//! A tumbler instance's config.
struct TumblerSettings {
    std::string taker;   //!< the taker instance (service taker/1) that makes each CoinJoin
    std::string backend; //!< the taker's backend: reconciles a step interrupted while running
    std::string wallet = "wallet";
    std::string password_file; //!< "" = ask the host at start
    ScheduleOptions schedule;
    std::int64_t mincjamount = 100'000;           //!< a fractional amount below this is raised to it (REF)
    int max_attempts = 3;                         //!< attempts per step before the plan pauses
    std::chrono::milliseconds retry_wait{60'000}; //!< before retrying a failed step (REF liquiditywait)
    //! Multiplies every scheduled wait (1 = as drawn; tests compress the waits with a small value).
    double wait_scale = 1.0;
    std::int32_t birthday_height = 0;

    static const jm::sdk::ConfigSchema& schema();
    static jm::sdk::Result<TumblerSettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::tumbler
