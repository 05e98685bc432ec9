#pragma once

#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string_view>

namespace jm::plugins::fee {

//! A mempool.space-compatible `GET /api/v1/fees/recommended` reply, in sat/vB.
struct MempoolFees {
    double fastest = 0;   //!< fastestFee: the next block
    double half_hour = 0; //!< halfHourFee: within about 3 blocks
    double hour = 0;      //!< hourFee: within about 6 blocks
    double economy = 0;   //!< economyFee: no hurry
    double minimum = 0;   //!< minimumFee: what nodes still relay
};

//! The largest rate accepted from the API (sat/vB): anything above is a broken or hostile server.
inline constexpr double MAX_MEMPOOL_FEE_SAT_VB = 100'000;

//! Parses the reply body: a JSON object with the five numeric fields (integers or decimals, other
//! keys ignored), each finite, > 0 and at most MAX_MEMPOOL_FEE_SAT_VB.
//! Errors: errc::protocol_error naming what is wrong (not JSON, not an object, a field missing,
//! not a number, out of range). Never throws. Executor: any.
jm::sdk::Result<MempoolFees> parseMempoolFees(std::string_view body);

//! The rate for a confirmation target, as the API's own labels suggest: 1 block -> fastestFee,
//! 2-3 -> halfHourFee, 4-6 -> hourFee, more -> economyFee; never below minimumFee. In sat/vB.
double mempoolRateFor(const MempoolFees& fees, int target_blocks);

} // namespace jm::plugins::fee
