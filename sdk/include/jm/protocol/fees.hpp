#pragma once

#include <jm/protocol/commands.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

namespace jm::protocol {

//! The CoinJoin fee a maker earns for `cj_amount` under an offer's cjfee (protocol.md 11.1),
//! computed as REF's calc_cj_fee does. Absolute types: int(cjfee). Relative types:
//! int((Decimal(cjfee) * Decimal(cj_amount)).quantize(Decimal(1))) in Python's default decimal
//! context — the product is first rounded to 28 significant digits half to even, and that
//! rounded value (not the exact product) is then rounded half to even to an integer. The two
//! differ for cjfees of more than 28 digits near a .5 (no binary floating point anywhere).
//! cjfee syntax: parseCjfee (the same the offer parser accepts). Any thread.
//! Errors: errc::protocol_error for a malformed cjfee, an unknown order type, a negative amount
//! or a fee outside [0, 21e6 BTC].
JM_SDK_API jm::sdk::Result<std::int64_t> realCjfee(std::string_view ordertype, std::string_view cjfee,
                                                   std::int64_t cj_amount);
JM_SDK_API jm::sdk::Result<std::int64_t> realCjfee(const Offer& offer, std::int64_t cj_amount);

//! The maker's change output: inputs − amount − txfee + real_cjfee (REF maker.py; plain integer
//! arithmetic, the rounding is all in real_cjfee). Any thread.
JM_SDK_API std::int64_t makerChange(std::int64_t inputs_total, std::int64_t cj_amount, std::int64_t txfee,
                                    std::int64_t real_cjfee);

//! A sweep's CoinJoin amount (REF choose_sweep_orders, protocol.md 11.4):
//! taker_txfee = max(total_txfee − Σ offer.txfee, 0);
//! cj_amount = quantize((total_input − taker_txfee − Σ abs fees) / (1 + Σ rel fees)), with REF's
//! Decimal steps: Σ rel fees accumulated in the order of `offers`, that sum, 1 + it and the
//! quotient each rounded to 28 significant digits half to even, then the quotient rounded half
//! to even to an integer; maker_fees[i] = realCjfee(offers[i], cj_amount). Any thread.
//! Errors: errc::protocol_error for a malformed cjfee or a value out of range,
//! errc::insufficient_funds when the fees exceed the input.
struct SweepResult {
    std::int64_t taker_txfee = 0;
    std::int64_t cj_amount = 0;
    std::vector<std::int64_t> maker_fees;
    std::int64_t taker_residual = 0; //!< what is left for the miners beyond taker_txfee (REF tolerates ±1)
};
JM_SDK_API jm::sdk::Result<SweepResult> sweepAmount(std::int64_t total_input, std::int64_t total_txfee,
                                                    const std::vector<Offer>& offers);

//! NG's sweep rule (relative fees only): floor(available / (1 + Σ fees)) exactly, then lowered
//! until the fees (realCjfee) fit. Returns the amount and each fee. Any thread.
//! Errors: errc::protocol_error for a malformed fee, errc::insufficient_funds when nothing fits.
JM_SDK_API jm::sdk::Result<std::pair<std::int64_t, std::vector<std::int64_t>>>
ngSweepAmount(std::int64_t available, const std::vector<std::string>& relative_fees);

} // namespace jm::protocol
