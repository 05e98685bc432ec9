#pragma once

#include <jm/sdk/result.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jm::plugins::tumbler {

//! The knobs of the tumble schedule, with the reference tumbler's defaults (REF 0.9.12
//! cli_options.py get_tumbler_parser). Waits are minutes, as there.
struct ScheduleOptions {
    int mixdepthcount = 4;                 //!< mixdepths the coins pass through
    double makercount_mean = 9;            //!< makers per CoinJoin ~ N(mean, sd) ...
    double makercount_sd = 1;              //
    int minmakercount = 4;                 //!< ... clamped up to this
    double txcount_mean = 2;               //!< CoinJoins per mixdepth ~ N(mean, sd) ...
    double txcount_sd = 1;                 //
    int mintxcount = 2;                    //!< ... clamped up to this
    double timelambda = 60;                //!< mean wait after a CoinJoin, minutes (exponential)
    double stage1_timelambda_increase = 3; //!< the first-stage sweeps wait this many times longer
    double rounding_chance = 0.25;         //!< a non-sweep amount is rounded with this chance ...
    std::array<double, 5> rounding_sigfig_weights{55, 15, 25, 65, 40}; //!< ... to 1..5 significant figures
};

//! One CoinJoin of a tumble. `amount_fraction` 0 means a sweep of the mixdepth; otherwise the
//! amount is that fraction of the mixdepth's balance when its first step of a run started.
struct ScheduleStep {
    int mixdepth = 0;
    double amount_fraction = 0;
    int makers = 0;
    int destination = -1; //!< index into the destinations; -1 = the wallet's next mixdepth
    double wait_minutes = 0;
    int rounding = 0; //!< significant figures; 0 = no rounding
};

//! Builds a tumble schedule the way the reference does (REF schedule.py get_tumble_schedule):
//! stage 1 sweeps every funded mixdepth into the next one (highest first); stage 2 makes
//! random-fraction CoinJoins through `mixdepthcount` mixdepths from the lowest non-empty one,
//! the last of each a sweep; the last `destinations.size()` mixdepths each pay one destination
//! and the very last one sends everything there. Written from the algorithm's description, with
//! Boost.Random's portable distributions so a seed gives the same schedule everywhere.
//! `balances`: satoshis per mixdepth (zero or missing = empty); `wallet_mixdepths`: how many the
//! wallet has (mixdepths wrap around). Errors: errc::invalid_argument for fewer than 3
//! destinations, more destinations than mixdepthcount, or options out of range;
//! errc::insufficient_funds when no mixdepth holds coins.
jm::sdk::Result<std::vector<ScheduleStep>> makeTumbleSchedule(const ScheduleOptions& options, std::size_t destinations,
                                                              const std::map<int, std::int64_t>& balances,
                                                              int wallet_mixdepths, std::uint64_t seed);

//! `sats` rounded to `figures` significant decimal figures (half away from zero).
std::int64_t roundToSignificantFigures(std::int64_t sats, int figures);

//! At least this many destinations (REF requires three; fewer link the amounts too easily).
constexpr std::size_t MIN_DESTINATIONS = 3;

} // namespace jm::plugins::tumbler
