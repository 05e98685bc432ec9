#include "mempool_fees.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace jm::plugins::fee {

using jm::sdk::errc;
using jm::sdk::fail;

jm::sdk::Result<MempoolFees> parseMempoolFees(std::string_view body) {
    boost::system::error_code ec;
    auto json = boost::json::parse(body, ec);
    if (ec) return fail(errc::protocol_error, "the fee API's reply is not JSON: " + ec.message());
    if (!json.is_object()) return fail(errc::protocol_error, "the fee API's reply is not a JSON object");
    const auto& o = json.as_object();
    auto field = [&](const char* name, double& out) -> jm::sdk::Result<void> {
        auto it = o.find(name);
        if (it == o.end()) return fail(errc::protocol_error, std::string("the fee API's reply has no ") + name);
        const auto& v = it->value();
        if (v.is_int64())
            out = static_cast<double>(v.as_int64());
        else if (v.is_uint64())
            out = static_cast<double>(v.as_uint64());
        else if (v.is_double())
            out = v.as_double();
        else
            return fail(errc::protocol_error, std::string("the fee API's ") + name + " is not a number");
        if (!std::isfinite(out) || out <= 0 || out > MAX_MEMPOOL_FEE_SAT_VB)
            return fail(errc::protocol_error, std::string("the fee API's ") + name + " is out of range");
        return {};
    };
    MempoolFees f;
    for (auto [name, out] : {std::pair<const char*, double*>{"fastestFee", &f.fastest},
                             {"halfHourFee", &f.half_hour},
                             {"hourFee", &f.hour},
                             {"economyFee", &f.economy},
                             {"minimumFee", &f.minimum}})
        if (auto r = field(name, *out); !r) return r.error();
    return f;
}

double mempoolRateFor(const MempoolFees& fees, int target_blocks) {
    double rate = target_blocks <= 1   ? fees.fastest
                  : target_blocks <= 3 ? fees.half_hour
                  : target_blocks <= 6 ? fees.hour
                                       : fees.economy;
    return std::max(rate, fees.minimum);
}

} // namespace jm::plugins::fee
