#pragma once

#include <jm/maker/wallet_view.hpp>
#include <jm/protocol/commands.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <vector>

//! The rules the maker applies to what a yield generator returns, exposed so yield generators
//! (and their tests) can apply them too.
namespace jm::maker {

//! What a mixdepth must hold to fill `offer` for `amount` (REF YieldGeneratorBasic.oid_to_order):
//! amount + txfee + dust + 1 - real_cjfee, so the change output is above the dust threshold.
//! Executor: any; pure. Errors: errc::protocol_error for a malformed cjfee; errc::invalid_argument
//! for a non-positive amount.
JM_SDK_API jm::sdk::Result<std::int64_t> fillRequirement(const jm::protocol::Offer& offer, std::int64_t amount,
                                                         std::int64_t dust_threshold = jm::protocol::DUST_THRESHOLD);

//! Checks a list of offers before the maker announces it: unique non-negative oids; native
//! segwit types (sw0reloffer / sw0absoffer); 0 <= minsize <= maxsize; txfee >= 0; a cjfee the
//! takers can parse (relative: a decimal in [0, 1); absolute: an integer >= 0); a fee that is
//! never below the txfee contribution for any amount in range (the maker would refuse to sign
//! such a CoinJoin, REF's "negative earning" rule); and a maxsize the wallet can fill (at most
//! the largest available mixdepth less the dust threshold).
//! Executor: any; pure. Errors: errc::invalid_argument naming the offer and the rule.
JM_SDK_API jm::sdk::Result<void> checkOffers(const std::vector<jm::protocol::Offer>& offers, const WalletView& wallet,
                                             std::int64_t dust_threshold = jm::protocol::DUST_THRESHOLD);

} // namespace jm::maker
