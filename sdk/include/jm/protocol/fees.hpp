#pragma once

#include <jm/protocol/commands.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace jm::protocol {

//! The CoinJoin fee a maker earns for `cj_amount` under an offer's cjfee (protocol.md 11.1):
//! absolute types: the integer itself; relative types: the exact decimal product rounded half
//! to even, as REF's Decimal quantize does (no binary floating point anywhere).
//! Errors: errc::protocol_error for a malformed cjfee or an unknown order type.
JM_SDK_API jm::sdk::Result<std::int64_t> realCjfee(std::string_view ordertype, std::string_view cjfee,
                                                   std::int64_t cj_amount);
JM_SDK_API jm::sdk::Result<std::int64_t> realCjfee(const Offer& offer, std::int64_t cj_amount);

//! The maker's change output: inputs − amount − txfee + real_cjfee.
JM_SDK_API std::int64_t makerChange(std::int64_t inputs_total, std::int64_t cj_amount, std::int64_t txfee,
                                    std::int64_t real_cjfee);

//! A sweep's CoinJoin amount (REF choose_sweep_orders, protocol.md 11.4):
//! taker_txfee = max(total_txfee − Σ offer.txfee, 0);
//! cj_amount = round_half_even((total_input − taker_txfee − Σ abs fees) / (1 + Σ rel fees)).
struct SweepResult {
    std::int64_t taker_txfee = 0;
    std::int64_t cj_amount = 0;
    std::vector<std::int64_t> maker_fees;
    std::int64_t taker_residual = 0; //!< what is left for the miners beyond taker_txfee (REF tolerates ±1)
};
JM_SDK_API jm::sdk::Result<SweepResult> sweepAmount(std::int64_t total_input, std::int64_t total_txfee,
                                                    const std::vector<Offer>& offers);

//! NG's sweep rule (relative fees only): floor(available / (1 + Σ fees)), then lowered until the
//! rounded fees fit. Returns the amount and each fee.
JM_SDK_API jm::sdk::Result<std::pair<std::int64_t, std::vector<std::int64_t>>>
ngSweepAmount(std::int64_t available, const std::vector<std::string>& relative_fees);

} // namespace jm::protocol
