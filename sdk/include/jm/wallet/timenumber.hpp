#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <string_view>

namespace jm::wallet {

//! Fidelity-bond lock times are the first of a month, 2020-01 to 2099-12, numbered by a
//! "timenumber" t in [0, 959] (the BIP32 index on the bond branch): year 2020 + t/12, month
//! 1 + t%12, at 00:00:00 UTC.
constexpr int TIMENUMBER_COUNT = 960;

//! The locktime (unix time) of timenumber `t`. Errors: t outside [0, 959].
JM_SDK_API jm::sdk::Result<std::int64_t> timenumberToLocktime(int t);
//! The timenumber of a locktime. Errors: not the first of a month at midnight UTC, or out of range.
JM_SDK_API jm::sdk::Result<int> locktimeToTimenumber(std::int64_t locktime);
//! Parses "YYYY-MM" (as `jmnode wallet bond-address --locktime 2027-01`) to a timenumber.
JM_SDK_API jm::sdk::Result<int> parseYearMonth(std::string_view text);

} // namespace jm::wallet
