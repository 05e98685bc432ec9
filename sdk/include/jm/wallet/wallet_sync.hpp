#pragma once

#include <jm/chain/blockchain_backend.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>

#include <map>
#include <memory>
#include <optional>

namespace jm::wallet {

//! A sync scans no branch past this address index (exclusive): Bitcoin Core imports no range of
//! 1,000,000 addresses or more, and deriving that many takes minutes and gigabytes. A stored
//! next index within the gap limit of it is damage, not history (errc::corrupt_data).
constexpr std::uint32_t MAX_SYNC_INDEX = 1'000'000;

struct SyncOptions {
    //! A block height the user gives (`--rescan-from`): the wallet's history starts there. It
    //! becomes the stored birthday once the sync succeeded. Without it the stored birthday
    //! counts, and a wallet without one (recovered) is scanned from genesis, which then becomes
    //! its birthday.
    std::optional<std::int32_t> rescan_from;
    bool fidelity_bonds = true; //!< also watch the 960 bond addresses of mixdepth 0
};

struct SyncResult {
    jm::chain::ChainTip tip;
    std::vector<WalletUtxo> utxos;
    std::vector<jm::chain::WalletTx> history;
    WalletBirthday birthday; //!< where rescans started (now the stored one)
    int rounds = 0;          //!< scans needed until the gap limit held on every branch
    std::size_t watched = 0; //!< scripts watched in the last scan
};

//! Where a watched script sits in the wallet.
struct ScriptPosition {
    int mixdepth = 0;
    std::uint32_t branch = 0;
    std::uint32_t index = 0; //!< the timenumber on the bond branch
};

//! Brings a wallet up to date with a backend: asks it to watch every branch up to the next
//! unused index plus the gap limit, marks the indices found used (persisted) - those of the
//! scripts that received coins and the highest use the backend knows of on each branch, which
//! can lie past the window when the backend watches ahead - and scans again while that moved
//! any branch's window, so an address past the gap limit is found as long as the gap holds
//! between used addresses. Rescans start at the wallet's birthday (see SyncOptions), stored
//! after the first successful sync. The result's UTXOs carry their wallet positions.
//! Executor: runs on `ex` (the wallet's strand); `done` is called there once.
class JM_SDK_API WalletSync : public std::enable_shared_from_this<WalletSync> {
public:
    static void run(Wallet& wallet, jm::chain::BlockchainBackend& backend, SyncOptions options,
                    jm::chain::Progress progress, jm::sdk::Executor ex, jm::chain::Callback<SyncResult> done);
    //! A stable id for the wallet at a backend: "jm-" + 16 hex characters of the hash of its first
    //! account xpub (reveals nothing beyond what the backend already watches).
    static jm::sdk::Result<std::string> walletId(const Wallet& wallet);

private:
    WalletSync(Wallet& wallet, jm::chain::BlockchainBackend& backend, SyncOptions options, jm::chain::Progress progress,
               jm::sdk::Executor ex, jm::chain::Callback<SyncResult> done);
    void scan();
    void scanned(jm::sdk::Result<jm::chain::WalletScan> result);
    jm::sdk::Result<jm::chain::WatchRequest> request();
    jm::sdk::Result<void> markRangeUsage(const std::vector<jm::chain::RangeUsage>& ranges);
    void finish(jm::sdk::Result<SyncResult> result);

    Wallet& m_wallet;
    jm::chain::BlockchainBackend& m_backend;
    SyncOptions m_options;
    jm::chain::Progress m_progress;
    jm::sdk::Executor m_ex;
    jm::chain::Callback<SyncResult> m_done;
    std::map<jm::bitcoin::Script, ScriptPosition> m_positions;
    std::map<std::pair<int, std::uint32_t>, std::uint32_t> m_derived;   //!< indices derived per branch
    std::map<std::pair<int, std::uint32_t>, std::uint32_t> m_requested; //!< window ends asked for
    std::map<std::string, int> m_accounts;                              //!< xpub -> mixdepth
    std::optional<WalletBirthday> m_stored;                             //!< the birthday stored before
    WalletBirthday m_birthday;                                          //!< the one this sync uses
    int m_rounds = 0;
};

} // namespace jm::wallet
