// mempool.space fee API replies through the parser and the target mapping: never a crash; an
// accepted reply has every rate finite and in (0, MAX_MEMPOOL_FEE_SAT_VB], and so has every
// target's rate. Also the endpoint URL parser (config input).
#include "http_get.hpp"
#include "mempool_fees.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace jm::plugins::fee;

namespace {
bool sane(double v) { return std::isfinite(v) && v > 0 && v <= MAX_MEMPOOL_FEE_SAT_VB; }
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto fees = parseMempoolFees(in)) {
        for (double v : {fees->fastest, fees->half_hour, fees->hour, fees->economy, fees->minimum})
            if (!sane(v)) std::abort();
        for (int target : {-1, 0, 1, 2, 3, 4, 6, 7, 144, 1008})
            if (!sane(mempoolRateFor(*fees, target))) std::abort();
    }
    if (size < 512) (void)parseHttpEndpoint(in);
    return 0;
}
