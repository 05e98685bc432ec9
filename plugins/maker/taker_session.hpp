#pragma once

#include "coinjoin_checks.hpp"

#include <jm/protocol/commands.hpp>
#include <jm/protocol/nacl_box.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jm::plugins::maker {

//! Where a CoinJoin with one taker stands (protocol.md 8.13). The maker keeps one session per
//! taker nick; every message is checked against the state, and anything else is ignored.
//!
//!   state           | message   | checks                                   | then
//!   ----------------+-----------+------------------------------------------+---------------------------------
//!   (none)          | !fill     | oid, amount range, commitment format and | !pubkey           -> AwaitingAuth
//!                   |           | blacklist, NaCl key, session limit       | (else !error or silence)
//!   AwaitingAuth    | !auth     | decrypts; PoDLE verifies at an allowed   | ask the backend   -> CheckingTakerCoin
//!                   |           | NUMS index                               |
//!   CheckingTakerCoin | (backend) | coin unspent, old and big enough, owned | pick mixdepth and coins, lock them,
//!                   |           | by P                                     | new addresses, blacklist the
//!                   |           |                                          | commitment (all persisted), !ioauth,
//!                   |           |                                          | !hp2 broadcast    -> AwaitingTx
//!   AwaitingTx      | !tx       | decrypts; verifyCoinjoin()               | record as signed (persisted),
//!                   |           |                                          | watch the txid, !sig per input -> Signed
//!   Signed          | !push     | the txid is the one we signed            | broadcast
//!   any             | new !fill | (as above)                               | the old session is dropped first
//!   any but Signed  | timeout   |                                          | dropped, coins unlocked
//! A session that fails a check is dropped (its coins unlocked; nothing was signed) and
//! maker.session_failed/1 says why. Signed coins stay locked until the chain settles them.
enum class SessionState { AwaitingAuth, CheckingTakerCoin, AwaitingTx, Signed };

std::string_view toString(SessionState s) noexcept;

//! One taker's session. Owned by the maker, keyed by the taker's nick.
struct TakerSession {
    std::uint64_t id = 0; //!< unique per process: late backend answers for a replaced session are ignored
    std::string taker;
    SessionState state = SessionState::AwaitingAuth;
    std::size_t directory = 0; //!< the directory the taker last wrote through: we answer there
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point deadline;

    // From !fill.
    jm::protocol::Offer offer;
    std::int64_t amount = 0;
    std::string commitment; //!< 64 lower-case hex
    jm::protocol::BoxKeyPair keys;
    std::optional<jm::protocol::BoxSession> box;

    // From !auth.
    std::optional<jm::protocol::PodleProof> proof;
    //! !ioauth lists our coins in NG's extended form (protocol.md 14.1): the taker wrote its
    //! coin that way, or our backend is a light client.
    bool extended_utxos = false;
    //! The script the taker's extended utxo named: it must be the one the chain knows.
    std::optional<jm::bitcoin::Script> claimed_script;

    // From our !ioauth.
    int mixdepth = 0;
    int cj_mixdepth = 0;
    std::vector<jm::wallet::WalletUtxo> inputs;
    std::optional<jm::wallet::AddressInfo> cj_address;
    std::optional<jm::wallet::AddressInfo> change_address;
    CoinjoinTerms terms;

    // After our !sig.
    std::string txid;
};

} // namespace jm::plugins::maker
