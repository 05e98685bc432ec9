#include <jm/wallet/timenumber.hpp>

#include <charconv>
#include <string>

namespace jm::wallet {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
// Days since 1970-01-01 of a civil date (proleptic Gregorian), by the well-known era method.
std::int64_t daysFromCivil(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}
} // namespace

jm::sdk::Result<std::int64_t> timenumberToLocktime(int t) {
    if (t < 0 || t >= TIMENUMBER_COUNT)
        return fail(errc::invalid_argument, "timenumber must be 0..959, got " + std::to_string(t));
    return daysFromCivil(2020 + t / 12, 1 + t % 12, 1) * 86400;
}

jm::sdk::Result<int> locktimeToTimenumber(std::int64_t locktime) {
    for (int t = 0; t < TIMENUMBER_COUNT; ++t)
        if (*timenumberToLocktime(t) == locktime) return t;
    return fail(errc::invalid_argument, "locktime " + std::to_string(locktime) +
                                            " is not the first of a month (00:00 UTC) between 2020-01 and 2099-12");
}

jm::sdk::Result<int> parseYearMonth(std::string_view text) {
    int year = 0, month = 0;
    if (text.size() != 7 || text[4] != '-')
        return fail(errc::invalid_argument, "expected YYYY-MM, got '" + std::string(text) + "'");
    auto y = std::from_chars(text.data(), text.data() + 4, year);
    auto m = std::from_chars(text.data() + 5, text.data() + 7, month);
    if (y.ec != std::errc() || y.ptr != text.data() + 4 || m.ec != std::errc() || m.ptr != text.data() + 7 ||
        month < 1 || month > 12)
        return fail(errc::invalid_argument, "expected YYYY-MM, got '" + std::string(text) + "'");
    int t = (year - 2020) * 12 + (month - 1);
    if (t < 0 || t >= TIMENUMBER_COUNT)
        return fail(errc::invalid_argument, "bond lock times run from 2020-01 to 2099-12");
    return t;
}

} // namespace jm::wallet
