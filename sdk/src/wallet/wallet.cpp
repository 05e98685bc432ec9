#include <jm/wallet/wallet.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip39.hpp>
#include <jm/wallet/timenumber.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sodium.h>

#include <charconv>

namespace jm::wallet {

using jm::bitcoin::Network;
using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {

constexpr std::string_view META_KEY = "wallet/meta";
constexpr std::string_view SEED_KEY = "wallet/seed";
constexpr int FORMAT_VERSION = 1;

std::string indexKey(int mixdepth, std::uint32_t branch) {
    return "wallet/index/" + std::to_string(mixdepth) + "/" + std::to_string(branch);
}

// One past the highest index a sync saw used on chain; indexKey also counts handed-out ones.
std::string usedKey(int mixdepth, std::uint32_t branch) {
    return "wallet/used/" + std::to_string(mixdepth) + "/" + std::to_string(branch);
}

// A stored index (0 when absent): at most 2^31, one past the last non-hardened index.
Result<std::uint32_t> readIndex(const jm::sdk::KvStore& store, const std::string& key) {
    auto stored = store.get(key);
    if (!stored) return stored.error();
    if (!stored->has_value()) return 0u;
    std::uint32_t index = 0;
    const auto& text = **stored;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), index);
    if (ec != std::errc() || p != text.data() + text.size() || index > jm::bitcoin::HARDENED)
        return fail(errc::corrupt_data, "a stored address index is damaged (" + key + ")");
    return index;
}

Result<std::vector<jm::bitcoin::ExtendedKey>> deriveAccounts(const WalletSecrets& secrets,
                                                             const WalletOptions& options) {
    auto mnemonic = jm::bitcoin::entropyToMnemonic(secrets.entropy.view());
    if (!mnemonic) return mnemonic.error();
    auto seed = jm::bitcoin::mnemonicToSeed(*mnemonic, secrets.passphrase);
    sodium_memzero(mnemonic->data(), mnemonic->size());
    if (!seed) return seed.error();
    auto root = jm::bitcoin::ExtendedKey::fromSeed(seed->view());
    if (!root) return root.error();
    std::uint32_t coin = jm::bitcoin::params(options.network).bip44_coin;
    std::vector<jm::bitcoin::ExtendedKey> accounts;
    for (int m = 0; m < options.mixdepths; ++m) {
        auto account = root->derivePath({84 | jm::bitcoin::HARDENED, coin | jm::bitcoin::HARDENED,
                                         static_cast<std::uint32_t>(m) | jm::bitcoin::HARDENED});
        if (!account) return account.error();
        accounts.push_back(std::move(*account));
    }
    return accounts;
}

std::string kdfName(KdfStrength kdf) { return kdf == KdfStrength::Moderate ? "moderate" : "interactive"; }

// The metadata written by create(), checked field by field so a damaged or hand-edited file
// gets an error naming the field instead of a wallet that behaves oddly.
Result<WalletOptions> parseMeta(std::string_view text) {
    auto damaged = [](const std::string& what) {
        return jm::sdk::Error(errc::corrupt_data, "the wallet's metadata is damaged: " + what);
    };
    boost::system::error_code ec;
    auto meta = boost::json::parse(text, ec);
    const boost::json::object* m = ec ? nullptr : meta.if_object();
    if (!m) return damaged("not a JSON object");
    for (auto key : {"version", "network", "mixdepths", "gap_limit"})
        if (!m->contains(key)) return damaged(std::string("\"") + key + "\" is missing");
    if (!m->at("version").is_int64()) return damaged("\"version\" is not a number");
    if (m->at("version").as_int64() != FORMAT_VERSION)
        return fail(errc::unsupported, "the wallet was written by a newer jmnode (format " +
                                           std::to_string(m->at("version").as_int64()) + ")");
    WalletOptions options;
    if (!m->at("network").is_string()) return damaged("\"network\" is not a string");
    auto network = jm::bitcoin::parseNetwork(m->at("network").as_string());
    if (!network) return damaged("unknown network \"" + std::string(m->at("network").as_string()) + "\"");
    options.network = *network;
    const auto& mixdepths = m->at("mixdepths");
    if (!mixdepths.is_int64() || mixdepths.as_int64() < 1 || mixdepths.as_int64() > MAX_MIXDEPTHS)
        return damaged("\"mixdepths\" must be a number in 1.." + std::to_string(MAX_MIXDEPTHS) + ", got " +
                       boost::json::serialize(mixdepths));
    options.mixdepths = static_cast<int>(mixdepths.as_int64());
    const auto& gap = m->at("gap_limit");
    if (!gap.is_int64() || gap.as_int64() < 1 || gap.as_int64() > MAX_GAP_LIMIT)
        return damaged("\"gap_limit\" must be a number in 1.." + std::to_string(MAX_GAP_LIMIT) + ", got " +
                       boost::json::serialize(gap));
    options.gap_limit = static_cast<int>(gap.as_int64());
    options.kdf = KdfStrength::Moderate;
    if (const auto* kdf = m->if_contains("kdf")) {
        if (kdf->is_string() && kdf->as_string() == "interactive")
            options.kdf = KdfStrength::Interactive;
        else if (!kdf->is_string() || kdf->as_string() != "moderate")
            return damaged("\"kdf\" must be \"moderate\" or \"interactive\", got " + boost::json::serialize(*kdf));
    }
    return options;
}

} // namespace

Wallet::Wallet(jm::sdk::KvStore& store, WalletOptions options, WalletSecrets secrets,
               std::vector<jm::bitcoin::ExtendedKey> accounts) :
    m_store(&store),
    m_options(options), m_secrets(std::move(secrets)), m_accounts(std::move(accounts)) {}

Wallet::Wallet(Wallet&&) noexcept = default;
Wallet& Wallet::operator=(Wallet&&) noexcept = default;
Wallet::~Wallet() { m_secrets.wipe(); }

bool Wallet::exists(const jm::sdk::KvStore& store) {
    auto meta = store.get(META_KEY);
    return meta && meta->has_value();
}

Result<Wallet> Wallet::create(jm::sdk::KvStore& store, const WalletOptions& options, jm::bitcoin::ByteView entropy,
                              std::string passphrase, std::string_view password) {
    if (exists(store)) return fail(errc::already_exists, "a wallet already exists here; it was not touched");
    if (options.mixdepths < 1 || options.mixdepths > MAX_MIXDEPTHS)
        return fail(errc::invalid_argument, "mixdepths must be 1.." + std::to_string(MAX_MIXDEPTHS));
    if (options.gap_limit < 1 || options.gap_limit > MAX_GAP_LIMIT)
        return fail(errc::invalid_argument, "gap limit must be 1.." + std::to_string(MAX_GAP_LIMIT));
    if (auto words = jm::bitcoin::entropyToMnemonic(entropy); !words)
        return words.error();
    else
        sodium_memzero(words->data(), words->size());
    WalletSecrets secrets;
    secrets.entropy = jm::bitcoin::SecretBytes(entropy);
    secrets.passphrase = std::move(passphrase);
    // Derive first: a passphrase that is not UTF-8 is refused before anything is written.
    auto accounts = deriveAccounts(secrets, options);
    if (!accounts) return accounts.error();
    auto sealed = sealSecrets(secrets, password, options.kdf);
    if (sealed.empty()) return fail(errc::io_error, "not enough memory for the wallet's key derivation");
    boost::json::object meta{{"version", FORMAT_VERSION},
                             {"network", jm::bitcoin::params(options.network).name},
                             {"mixdepths", options.mixdepths},
                             {"gap_limit", options.gap_limit},
                             {"kdf", options.kdf == KdfStrength::Moderate ? "moderate" : "interactive"}};
    jm::sdk::WriteBatch batch;
    batch.put(SEED_KEY, std::string_view(reinterpret_cast<const char*>(sealed.data()), sealed.size()));
    batch.put(META_KEY, boost::json::serialize(meta));
    if (auto r = store.write(batch, {true}); !r) return r.error().withContext("saving the new wallet");
    return Wallet(store, options, std::move(secrets), std::move(*accounts));
}

Result<Wallet> Wallet::open(jm::sdk::KvStore& store, std::string_view password) {
    auto meta_text = store.get(META_KEY);
    if (!meta_text) return meta_text.error();
    if (!meta_text->has_value())
        return fail(errc::not_found, "no wallet here (create one with `jmnode wallet create`)");
    auto options = parseMeta(**meta_text);
    if (!options) return options.error();
    auto blob = store.get(SEED_KEY);
    if (!blob) return blob.error();
    if (!blob->has_value()) return fail(errc::corrupt_data, "the wallet's encrypted seed is missing");
    struct Wipe {
        std::string& s;
        ~Wipe() { sodium_memzero(s.data(), s.size()); }
    } wipe{**blob};
    // The metadata names the key derivation the seed was sealed with; a seal with other limits
    // was not written by this wallet (and a later password change would silently adopt them).
    auto strength = sealedStrength(jm::bitcoin::asBytes(**blob));
    if (!strength) return strength.error();
    if (*strength != options->kdf)
        return fail(errc::corrupt_data, "the wallet's metadata is damaged: kdf \"" + kdfName(options->kdf) +
                                            "\" does not match the key derivation of the sealed seed");
    auto secrets = openSecrets(jm::bitcoin::asBytes(**blob), password);
    if (!secrets) return secrets.error();
    auto accounts = deriveAccounts(*secrets, *options);
    if (!accounts) return accounts.error();
    return Wallet(store, *options, std::move(*secrets), std::move(*accounts));
}

std::string Wallet::mnemonic() const { return jm::bitcoin::entropyToMnemonic(m_secrets.entropy.view()).value(); }

Result<void> Wallet::checkPosition(int mixdepth, std::uint32_t branch) const {
    if (mixdepth < 0 || mixdepth >= m_options.mixdepths)
        return fail(errc::invalid_argument, "mixdepth must be 0.." + std::to_string(m_options.mixdepths - 1));
    if (branch > BRANCH_FIDELITY_BOND)
        return fail(errc::invalid_argument, "branch must be 0 (external), 1 (internal) or 2 (bonds)");
    if (branch == BRANCH_FIDELITY_BOND && mixdepth != 0)
        return fail(errc::invalid_argument, "fidelity bonds live in mixdepth 0 only");
    return {};
}

Result<AddressInfo> Wallet::addressAt(int mixdepth, std::uint32_t branch, std::uint32_t index) const {
    if (auto r = checkPosition(mixdepth, branch); !r) return r.error();
    if (index >= jm::bitcoin::HARDENED) return fail(errc::invalid_argument, "address index too large");
    auto key = m_accounts[mixdepth].derivePath({branch, index});
    if (!key) return key.error();
    AddressInfo info;
    info.mixdepth = mixdepth;
    info.branch = branch;
    info.index = index;
    info.path = "m/84'/" + std::to_string(jm::bitcoin::params(m_options.network).bip44_coin) + "'/" +
                std::to_string(mixdepth) + "'/" + std::to_string(branch) + "/" + std::to_string(index);
    info.pubkey = key->publicKey().compressed();
    info.script_pubkey = jm::bitcoin::p2wpkhScript(key->publicKey());
    info.address = jm::bitcoin::scriptToAddress(info.script_pubkey, m_options.network).value();
    return info;
}

Result<std::uint32_t> Wallet::nextIndex(int mixdepth, std::uint32_t branch) const {
    if (auto r = checkPosition(mixdepth, branch); !r) return r.error();
    return readIndex(*m_store, indexKey(mixdepth, branch));
}

Result<std::uint32_t> Wallet::usedIndex(int mixdepth, std::uint32_t branch) const {
    if (auto r = checkPosition(mixdepth, branch); !r) return r.error();
    return readIndex(*m_store, usedKey(mixdepth, branch));
}

Result<AddressInfo> Wallet::nextAddress(int mixdepth, std::uint32_t branch) {
    auto index = nextIndex(mixdepth, branch);
    if (!index) return index.error();
    auto info = addressAt(mixdepth, branch, *index);
    if (!info) return info.error();
    // Persist first: once the address is out, the wallet must never hand it out again.
    if (auto r = m_store->put(indexKey(mixdepth, branch), std::to_string(*index + 1), {true}); !r)
        return r.error().withContext("saving the address index");
    return info;
}

Result<void> Wallet::markUsed(int mixdepth, std::uint32_t branch, std::uint32_t index) {
    // Addresses use non-hardened indices only; index + 1 must neither wrap nor pass that range.
    if (index >= jm::bitcoin::HARDENED)
        return fail(errc::invalid_argument,
                    "address index " + std::to_string(index) + " is past the last one (2^31 - 1)");
    auto next = nextIndex(mixdepth, branch);
    if (!next) return next.error();
    auto used = usedIndex(mixdepth, branch);
    if (!used) return used.error();
    // Both move forward only, together: an address seen on chain is never handed out again.
    jm::sdk::WriteBatch batch;
    if (index >= *next) batch.put(indexKey(mixdepth, branch), std::to_string(index + 1));
    if (index >= *used) batch.put(usedKey(mixdepth, branch), std::to_string(index + 1));
    if (batch.empty()) return {};
    return m_store->write(batch, {true});
}

Result<std::string> Wallet::accountXpub(int mixdepth) const {
    if (auto r = checkPosition(mixdepth, BRANCH_EXTERNAL); !r) return r.error();
    return m_accounts[mixdepth].toString(m_options.network, false);
}

Result<jm::bitcoin::PrivateKey> Wallet::privateKey(int mixdepth, std::uint32_t branch, std::uint32_t index) const {
    if (auto r = checkPosition(mixdepth, branch); !r) return r.error();
    auto key = m_accounts[mixdepth].derivePath({branch, index});
    if (!key) return key.error();
    return key->privateKey();
}

Result<BondAddress> Wallet::bondAddress(int timenumber) const {
    auto locktime = timenumberToLocktime(timenumber);
    if (!locktime) return locktime.error();
    auto info = addressAt(0, BRANCH_FIDELITY_BOND, static_cast<std::uint32_t>(timenumber));
    if (!info) return info.error();
    auto key = jm::bitcoin::PublicKey::parse(info->pubkey).value();
    BondAddress bond;
    bond.timenumber = timenumber;
    bond.locktime = *locktime;
    bond.witness_script = jm::bitcoin::timelockScript(*locktime, key);
    bond.info = std::move(*info);
    bond.info.path += ":" + std::to_string(*locktime);
    bond.info.script_pubkey = jm::bitcoin::p2wshScript(jm::bitcoin::ByteView(bond.witness_script));
    bond.info.address = jm::bitcoin::scriptToAddress(bond.info.script_pubkey, m_options.network).value();
    return bond;
}

Result<void> Wallet::changePassword(std::string_view old_password, std::string_view new_password) {
    auto blob = m_store->get(SEED_KEY);
    if (!blob) return blob.error();
    if (!blob->has_value()) return fail(errc::corrupt_data, "the wallet's encrypted seed is missing");
    auto check = openSecrets(jm::bitcoin::asBytes(**blob), old_password);
    sodium_memzero((*blob)->data(), (*blob)->size());
    if (!check) return check.error();
    check->wipe();
    auto sealed = sealSecrets(m_secrets, new_password, m_options.kdf);
    if (sealed.empty()) return fail(errc::io_error, "not enough memory for the wallet's key derivation");
    if (auto r = m_store->put(SEED_KEY, std::string_view(reinterpret_cast<const char*>(sealed.data()), sealed.size()),
                              {true});
        !r)
        return r;
    // The overwritten seal (openable with the old password) still sits in the store's files
    // until they are rewritten: rewrite them now, so a copy of the data directory taken later
    // cannot be opened with the old password.
    if (auto r = m_store->compact(SEED_KEY); !r)
        return r.error().withContext("erasing the seed sealed under the old password");
    return {};
}

} // namespace jm::wallet
