#pragma once

#include <jm/bitcoin/network.hpp>
#include <jm/bitcoin/transaction.hpp>
#include <jm/chain/blockchain_backend.hpp>
#include <jm/protocol/coinjoin_messages.hpp>
#include <jm/protocol/commands.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::taker {

//! A coin in the CoinJoin: what it is worth and who can spend it.
struct Coin {
    jm::bitcoin::OutPoint outpoint;
    std::int64_t value = 0;
    jm::bitcoin::Script script_pubkey;
};

//! One maker's part, once its !ioauth and its coins are verified.
struct MakerPart {
    std::string nick;
    std::vector<Coin> inputs;
    jm::bitcoin::Script cj_script;
    jm::bitcoin::Script change_script;
    std::int64_t cjfee = 0; //!< real CoinJoin fee for the amount
    std::int64_t txfee = 0; //!< the offer's mining-fee contribution
    std::int64_t inputsTotal() const;
    //! Σinputs − amount − txfee + cjfee (protocol.md 8.7).
    std::int64_t change(std::int64_t cj_amount) const { return inputsTotal() - cj_amount - txfee + cjfee; }
};

//! Everything the CoinJoin must do, as the taker agreed it (protocol.md 8.7).
struct CoinjoinTerms {
    std::int64_t cj_amount = 0;
    jm::bitcoin::Script destination;
    std::vector<Coin> taker_inputs;
    //! Our change, when there is one (never for a sweep).
    std::optional<jm::bitcoin::Script> taker_change;
    std::int64_t taker_change_value = 0;
    std::vector<MakerPart> makers;
    //! The most the makers may net together (Σ over makers of each one's fee limit).
    std::int64_t max_maker_fees = 0;
    std::int64_t takerInputsTotal() const;
    //! What the makers net: Σ (cjfee − txfee).
    std::int64_t makerFees() const;
};

//! The first checks of a decrypted !ioauth (protocol.md 8.6 and NG's additions), before the
//! backend is asked about the coins: btc_sig verifies over the maker's encryption key with
//! auth_pub, both addresses are valid for `network` and differ from each other and from every
//! script in `taken_scripts`, at most `max_utxos` inputs, none among `taken_outpoints` (the
//! taker's own and other makers' inputs). Returns the two scripts (cj, change).
//! Errors: errc::protocol_error naming the failure.
jm::sdk::Result<std::pair<jm::bitcoin::Script, jm::bitcoin::Script>>
checkIoauth(const jm::protocol::IoauthMessage& msg, std::string_view maker_encpk_hex, jm::bitcoin::Network network,
            std::size_t max_utxos, const std::set<jm::bitcoin::OutPoint>& taken_outpoints,
            const std::set<jm::bitcoin::Script>& taken_scripts);

//! The checks of a maker's coins as the backend reports them (`coins[i]` for msg.utxos[i],
//! nullopt when spent or unknown): each exists with at least one confirmation, auth_pub's
//! P2WPKH script is one of them, and the change is at least the dust threshold (27300).
//! Errors: errc::protocol_error naming the failure.
jm::sdk::Result<MakerPart> checkMakerCoins(const std::string& nick, const jm::protocol::IoauthMessage& msg,
                                           const std::vector<std::optional<jm::chain::TxOutInfo>>& coins,
                                           const jm::bitcoin::Script& cj_script,
                                           const jm::bitcoin::Script& change_script, std::int64_t cj_amount,
                                           std::int64_t cjfee, std::int64_t txfee);

//! Whether a maker's verified P2WPKH witness on input `index` is also one Bitcoin Core relays and
//! commits to the whole transaction: two items, SIGHASH_ALL, a low-S signature valid for
//! `coin`. A high S or an undefined sighash type is valid by consensus but non-standard: the
//! CoinJoin would be refused by every mempool while the maker keeps a transaction it can fix
//! and publish whenever it likes. Never throws.
bool isRelayableMakerSig(const jm::bitcoin::Transaction& tx, std::size_t index, const Coin& coin);

//! The unsigned CoinJoin: every input once, per maker its CoinJoin output and change, our
//! CoinJoin output to the destination and our change; inputs and outputs in random order
//! (libsodium's generator); version 2, the given locktime, sequence 0xfffffffe when the
//! locktime is set. Errors: errc::invalid_argument when a value is not positive.
jm::sdk::Result<jm::bitcoin::Transaction> buildCoinjoinTx(const CoinjoinTerms& terms, std::uint32_t locktime);

//! The money rules, checked on the final transaction before anything is signed or broadcast:
//! its inputs are exactly the taker's and the makers' (each once), the destination gets exactly
//! cj_amount in one output, every maker exactly its CoinJoin output and its change, our change
//! exactly what was computed (none for a sweep), no other output, the makers net at most
//! max_maker_fees, and the mining fee is positive and below `absurd_fee_per_kb`.
//! Errors: errc::internal naming the broken rule (it would be a bug of the taker).
jm::sdk::Result<void> checkCoinjoinTx(const jm::bitcoin::Transaction& tx, const CoinjoinTerms& terms,
                                      std::int64_t absurd_fee_per_kb);

} // namespace jm::plugins::taker
