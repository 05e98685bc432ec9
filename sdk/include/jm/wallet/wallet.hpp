#pragma once

#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/result.hpp>
#include <jm/wallet/seed_vault.hpp>

#include <optional>
#include <string>
#include <vector>

namespace jm::wallet {

//! Branches of a mixdepth account (m/84'/coin'/mixdepth'/branch/index).
constexpr std::uint32_t BRANCH_EXTERNAL = 0;      //!< receive addresses
constexpr std::uint32_t BRANCH_INTERNAL = 1;      //!< change and CoinJoin outputs
constexpr std::uint32_t BRANCH_FIDELITY_BOND = 2; //!< timelocked bonds, mixdepth 0 only, index = timenumber
constexpr int DEFAULT_MIXDEPTHS = 5;
//! The most mixdepths Wallet::create accepts (WalletOptions::mixdepths is 1..MAX_MIXDEPTHS).
constexpr int MAX_MIXDEPTHS = 32;
constexpr int DEFAULT_GAP_LIMIT = 6;
constexpr int MAX_GAP_LIMIT = 10000;

struct WalletOptions {
    jm::bitcoin::Network network = jm::bitcoin::Network::Mainnet;
    int mixdepths = DEFAULT_MIXDEPTHS;
    int gap_limit = DEFAULT_GAP_LIMIT;
    KdfStrength kdf = KdfStrength::Moderate;
};

//! When a wallet's history starts: none of its transactions is older. Rescans start there.
struct WalletBirthday {
    std::int32_t height = 0; //!< a block height (0: the genesis block)
    std::int64_t time = 0;   //!< unix seconds, known for a wallet created here; 0: use `height`
};

//! One wallet address with where it comes from.
struct AddressInfo {
    int mixdepth = 0;
    std::uint32_t branch = 0;
    std::uint32_t index = 0;
    std::string path; //!< m/84'/1'/0'/0/5
    std::string address;
    jm::bitcoin::Script script_pubkey;
    jm::bitcoin::Bytes pubkey; //!< compressed
};

//! A fidelity-bond address: the P2WSH of the timelock script of key m/84'/coin'/0'/2/t.
struct BondAddress {
    AddressInfo info; //!< script_pubkey is the P2WSH output
    int timenumber = 0;
    std::int64_t locktime = 0;
    jm::bitcoin::Script witness_script;
};

//! The JoinMarket wallet: BIP39 seed, BIP84 accounts per mixdepth, persisted in a KvStore
//! with the seed encrypted at rest (Argon2id + secretbox).
//!
//! Money-safety rule: nextAddress() persists the advanced index with a synced write before it
//! returns the address, so a crash can never make the wallet hand the same address out twice.
//! Executor: not thread-safe; use from one strand. Blocking: create/open/changePassword run the
//! password KDF; nextAddress does a synced write.
class JM_SDK_API Wallet {
public:
    //! True when `store` holds a wallet.
    static bool exists(const jm::sdk::KvStore& store);
    //! Creates a wallet from BIP39 `entropy` (16..32 bytes) and optional BIP39 passphrase (UTF-8;
    //! NFKD-normalised for the seed as BIP39 says), encrypted under `password`; the options
    //! (gap limit included) are persisted. Nothing is written on error. Errors:
    //! errc::already_exists when the store has one; errc::invalid_argument for bad entropy,
    //! options (gap limit 1..MAX_GAP_LIMIT) or a passphrase that is not UTF-8; storage errors.
    static jm::sdk::Result<Wallet> create(jm::sdk::KvStore& store, const WalletOptions& options,
                                          jm::bitcoin::ByteView entropy, std::string passphrase,
                                          std::string_view password);
    //! Opens the wallet in `store`. The metadata is checked field by field (network, mixdepths
    //! 1..32, gap_limit 1..MAX_GAP_LIMIT, kdf matching the sealed seed) before the password is
    //! tried. Errors: errc::not_found (no wallet), errc::wrong_password, errc::corrupt_data
    //! naming the damaged field, errc::unsupported (newer format), storage errors.
    //! The store must outlive the wallet.
    static jm::sdk::Result<Wallet> open(jm::sdk::KvStore& store, std::string_view password);

    Wallet(Wallet&&) noexcept;
    Wallet& operator=(Wallet&&) noexcept;
    ~Wallet();

    jm::bitcoin::Network network() const { return m_options.network; }
    int mixdepths() const { return m_options.mixdepths; }
    int gapLimit() const { return m_options.gap_limit; }
    //! The recovery words. Show once at creation; never log.
    std::string mnemonic() const;
    //! Whether the seed has a BIP39 passphrase.
    bool hasPassphrase() const { return !m_secrets.passphrase.empty(); }

    //! The address at a position, without revealing (no index change).
    //! Errors: mixdepth or branch out of range.
    jm::sdk::Result<AddressInfo> addressAt(int mixdepth, std::uint32_t branch, std::uint32_t index) const;
    //! The next unused address of a branch; the index is persisted (synced) before returning.
    jm::sdk::Result<AddressInfo> nextAddress(int mixdepth, std::uint32_t branch);
    //! The index nextAddress() would hand out.
    jm::sdk::Result<std::uint32_t> nextIndex(int mixdepth, std::uint32_t branch) const;
    //! One past the highest index of a branch that markUsed() recorded (a sync saw it used on
    //! chain), 0 when none. A restore from the words finds addresses up to usedIndex() +
    //! gapLimit() - 1 only, so no receive address past that may be handed out to be paid.
    //! Errors: mixdepth or branch out of range; errc::corrupt_data for a damaged stored index.
    jm::sdk::Result<std::uint32_t> usedIndex(int mixdepth, std::uint32_t branch) const;
    //! Marks `index` used on chain (found by a sync): the next index becomes index + 1 unless it
    //! is already past it, and usedIndex() likewise (neither moves back). Persisted with one
    //! synced write. Errors: errc::invalid_argument for an index >= 2^31 (never wraps); storage
    //! errors.
    jm::sdk::Result<void> markUsed(int mixdepth, std::uint32_t branch, std::uint32_t index);
    //! The account xpub (m/84'/coin'/mixdepth') with the network's version bytes.
    jm::sdk::Result<std::string> accountXpub(int mixdepth) const;
    //! The private key of a wallet address (for signing). Never log it.
    jm::sdk::Result<jm::bitcoin::PrivateKey> privateKey(int mixdepth, std::uint32_t branch, std::uint32_t index) const;
    //! The fidelity-bond address of timenumber `t` (0..959).
    jm::sdk::Result<BondAddress> bondAddress(int timenumber) const;
    //! The stored birthday; nullopt when unknown (a recovered wallet before its first sync).
    //! Errors: storage errors; errc::corrupt_data for a damaged record.
    jm::sdk::Result<std::optional<WalletBirthday>> birthday() const;
    //! Stores the birthday (synced write). Errors: storage errors.
    jm::sdk::Result<void> setBirthday(const WalletBirthday& birthday);
    //! Re-encrypts the seed under a new password, then compacts the store (KvStore::compact) so
    //! the seal openable with the old password is gone from its files too. Blocking (KDF, disk).
    //! Errors: errc::wrong_password; storage errors.
    jm::sdk::Result<void> changePassword(std::string_view old_password, std::string_view new_password);

private:
    Wallet(jm::sdk::KvStore& store, WalletOptions options, WalletSecrets secrets,
           std::vector<jm::bitcoin::ExtendedKey> accounts);
    jm::sdk::Result<void> checkPosition(int mixdepth, std::uint32_t branch) const;

    jm::sdk::KvStore* m_store;
    WalletOptions m_options;
    WalletSecrets m_secrets;
    std::vector<jm::bitcoin::ExtendedKey> m_accounts; // private, one per mixdepth
};

} // namespace jm::wallet
