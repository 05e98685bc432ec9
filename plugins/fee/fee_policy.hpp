#pragma once

#include <cstdint>
#include <functional>

namespace jm::plugins::fee {

//! JoinMarket's fee policy on top of an estimate: randomise upwards by up to `randomization`
//! (REF tx_fees_factor, so fee rates do not fingerprint the wallet), then clamp to
//! [floor, cap]. Rates are satoshis per 1000 vbytes.
struct FeePolicy {
    std::int64_t floor = 1000;
    std::int64_t cap = 350'000; //!< REF's absurd_fee_per_kb
    double randomization = 0.2;

    //! `uniform` returns a random number in [0, 1).
    std::int64_t apply(std::int64_t estimate, const std::function<double()>& uniform) const;
};

} // namespace jm::plugins::fee
