#pragma once

#include <jm/bitcoin/transaction.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>

#include <optional>

namespace jm::wallet {

//! Change below this is left to the miners rather than creating an output worth less than the
//! fee to spend it (JoinMarket's taker change dust limit).
constexpr std::int64_t CHANGE_DUST = 2730;
//! The highest fee rate a payment accepts, satoshis per 1000 vbytes: 0.1 BTC/kvB, Bitcoin Core's
//! default -maxfeerate for sendrawtransaction (a higher estimate is a bug or an attack).
constexpr std::int64_t MAX_FEE_RATE = 10'000'000;

//! A plain (non-CoinJoin) payment from one mixdepth.
struct PaymentRequest {
    int mixdepth = 0;
    jm::bitcoin::Script destination;
    //! Satoshis to pay; nullopt sweeps every spendable coin of the mixdepth (no change).
    std::optional<std::int64_t> amount;
    std::int64_t fee_rate = 0; //!< satoshis per 1000 vbytes
    //! Height of the chain tip: the transaction's nLockTime, so it cannot be mined before the
    //! next block, as Bitcoin Core's wallet does (anti-fee-sniping; a locktime of 0 would also
    //! single jmnode's payments out).
    std::int32_t tip_height = 0;
};

//! The smallest value Bitcoin Core relays in an output paying `script`: its default dust relay
//! fee (3 sat/vbyte) times the size of the output plus the size of an input spending it
//! (294 sat for P2WPKH, 330 for P2WSH and P2TR, 540 for P2SH, 546 for P2PKH). Executor: any.
JM_SDK_API std::int64_t dustLimit(const jm::bitcoin::Script& script);
//! Checks an amount to pay to `destination` before anything is built: positive, at most 21e6
//! BTC, and not below dustLimit(destination). Executor: any. Errors: errc::invalid_argument
//! saying which rule failed.
JM_SDK_API jm::sdk::Result<void> checkPaymentAmount(const jm::bitcoin::Script& destination, std::int64_t amount);

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
//! change to that mixdepth's next internal address, fee = rate x estimated vsize, nLockTime =
//! the tip height with every input's sequence 0xfffffffd (locktime enforced, opt-in RBF). The
//! change address is the branch's next index but is not marked used: call commitChange() before
//! showing it or broadcasting. Refuses to build anything that does not pay the destination the
//! amount asked. The request is checked (checkPaymentAmount, fee rate) before any coin is chosen.
//! Executor: the wallet's strand (it reads the wallet; writes nothing).
//! Errors: errc::insufficient_funds, errc::invalid_argument (no such mixdepth; amount not positive, above 21e6
//! BTC or dust; fee rate not in 1..MAX_FEE_RATE; destination empty; tip height negative or
//! not a block height), signing errors.
JM_SDK_API jm::sdk::Result<Payment> buildPayment(const Wallet& wallet, const UtxoSet& utxos,
                                                 const PaymentRequest& request);
//! Persists the change index (synced) before the payment's change address is shown or the
//! payment is broadcast. Executor: the wallet's
//! strand; blocks on the synced write. Errors: errc::already_exists when the wallet's next
//! internal address is no longer the payment's change (another payment took it); storage errors.
JM_SDK_API jm::sdk::Result<void> commitChange(Wallet& wallet, const Payment& payment);

} // namespace jm::wallet
