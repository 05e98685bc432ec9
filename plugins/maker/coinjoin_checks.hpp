#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/sdk/result.hpp>

#include <cstdint>
#include <functional>
#include <vector>

namespace jm::plugins::maker {

//! What the maker agreed to in one session, against which the taker's !tx is checked.
struct CoinjoinTerms {
    struct Input {
        jm::bitcoin::OutPoint outpoint;
        std::int64_t value = 0;
    };
    std::vector<Input> inputs; //!< the coins listed in our !ioauth
    jm::bitcoin::Script cj_script;
    jm::bitcoin::Script change_script;
    std::int64_t amount = 0;     //!< CoinJoin amount from the !fill
    std::int64_t real_cjfee = 0; //!< fee the offer earns at that amount
    std::int64_t txfee = 0;      //!< the offer's contribution to the mining fee

    std::int64_t inputsTotal() const;
    //! Σ inputs - amount - txfee + real_cjfee: what the change output must pay at least.
    std::int64_t expectedChange() const;
};

//! Checks an unsigned CoinJoin before the maker signs (protocol.md 8.9, REF verify_unsigned_tx,
//! plus NG's and our own stricter rules):
//!   * version 1, 2 or 3; at least one input and one output; no input listed twice;
//!   * every coin of `terms.inputs` is an input; no input is another coin of the wallet
//!     (`is_wallet_coin`): the maker never signs, or lets a transaction carry, coins it did not
//!     offer in this session;
//!   * the earning real_cjfee - txfee is not negative;
//!   * exactly one output pays the CoinJoin address, at least the amount; exactly one pays the
//!     change address, at least expectedChange(); no output value is negative.
//! Returns the indices of the maker's inputs in the transaction, ascending (the ones to sign).
//! Executor: any; pure. Errors: errc::rejected naming the first rule broken.
jm::sdk::Result<std::vector<std::size_t>>
verifyCoinjoin(const jm::bitcoin::Transaction& tx, const CoinjoinTerms& terms,
               const std::function<bool(const jm::bitcoin::OutPoint&)>& is_wallet_coin);

} // namespace jm::plugins::maker
