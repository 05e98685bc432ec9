#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>

#include <optional>

namespace jm::wallet {

//! Change below this is left to the miners rather than creating an output worth less than the
//! fee to spend it (JoinMarket's taker change dust limit).
constexpr std::int64_t CHANGE_DUST = 2730;

//! A plain (non-CoinJoin) payment from one mixdepth.
struct PaymentRequest {
    int mixdepth = 0;
    jm::bitcoin::Script destination;
    //! Satoshis to pay; nullopt sweeps every spendable coin of the mixdepth (no change).
    std::optional<std::int64_t> amount;
    std::int64_t fee_rate = 0; //!< satoshis per 1000 vbytes
};

//! A signed payment, not yet broadcast.
struct Payment {
    jm::bitcoin::Transaction tx;
    std::vector<WalletUtxo> inputs;
    std::int64_t amount = 0; //!< paid to the destination
    std::int64_t fee = 0;
    std::optional<AddressInfo> change; //!< internal branch of the same mixdepth
    std::int64_t change_value = 0;
};

//! Builds and signs a payment: coins of one mixdepth only (never frozen ones, never bonds),
//! change to that mixdepth's next internal address, fee = rate x estimated vsize. The change
//! address is the branch's next index but is not marked used: call commitChange() before
//! broadcasting. Refuses to build anything that does not pay the destination the amount asked.
//! Executor: the wallet's strand (it reads the wallet; writes nothing).
//! Errors: errc::insufficient_funds, errc::invalid_argument (amount not positive, dust,
//! destination empty), signing errors.
JM_SDK_API jm::sdk::Result<Payment> buildPayment(const Wallet& wallet, const UtxoSet& utxos,
                                                 const PaymentRequest& request);
//! Persists the change index (synced) before the payment is broadcast. Executor: the wallet's
//! strand; blocks on the synced write. Errors: errc::already_exists when the wallet's next
//! internal address is no longer the payment's change (another payment took it); storage errors.
JM_SDK_API jm::sdk::Result<void> commitChange(Wallet& wallet, const Payment& payment);

} // namespace jm::wallet
