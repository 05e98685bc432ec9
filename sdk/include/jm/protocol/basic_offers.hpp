#pragma once

#include <jm/protocol/commands.hpp>

#include <vector>

namespace jm::protocol {

//! Settings of REF's basic yield generator (protocol.md 11.6).
struct BasicOfferParams {
    OfferType type = OfferType::Sw0Rel;
    std::int64_t txfee_contribution = 0;
    std::int64_t cjfee_a = 0;  //!< absolute fee, satoshis (absolute offers)
    std::string cjfee_r = "0"; //!< relative fee, decimal text (relative offers)
    std::int64_t minsize = 0;  //!< configured minimum
    std::int64_t dust_threshold = DUST_THRESHOLD;
};

//! The single offer REF's YieldGeneratorBasic announces: maxsize = the largest mixdepth balance
//! − max(dust, txfee); relative: minsize = max(int(1.5 × txfee / cjfee_r), minsize) (computed
//! in binary floating point exactly as REF does, so both announce the same number); absolute:
//! cjfee = txfee + cjfee_a. No offer when minsize > maxsize. Errors: a relative fee of zero or
//! malformed.
JM_SDK_API jm::sdk::Result<std::vector<Offer>> basicOffers(const std::vector<std::int64_t>& mixdepth_balances,
                                                           const BasicOfferParams& params);

} // namespace jm::protocol
