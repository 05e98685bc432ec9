#include <storage/rocksdb_database.hpp>

#include <jm/bitcoin/bip39.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>
#include <jm/wallet/wallet.hpp>

#include <util/process.hpp>
#include <util/setup.hpp>
#include <util/vectors.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <set>

using namespace jm::wallet;
using jm::bitcoin::Network;

namespace {
WalletOptions regtest() { return {Network::Regtest, DEFAULT_MIXDEPTHS, DEFAULT_GAP_LIMIT, KdfStrength::Interactive}; }
} // namespace

BOOST_AUTO_TEST_SUITE(wallet_tests)

BOOST_AUTO_TEST_CASE(addresses_match_the_joinmarket_vectors) {
    auto v = jm::test::loadVectors("jm_wallet.json");
    auto entropy = *jm::bitcoin::fromHex(v.at("entropy").as_string());
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = Wallet::create(store, regtest(), entropy, "", "pw");
    BOOST_REQUIRE(wallet);
    BOOST_CHECK_EQUAL(wallet->mnemonic(), v.at("mnemonic").as_string());
    for (const auto& row : v.at("addresses").as_array()) {
        auto info = wallet->addressAt(static_cast<int>(row.at("mixdepth").as_int64()),
                                      static_cast<std::uint32_t>(row.at("branch").as_int64()),
                                      static_cast<std::uint32_t>(row.at("index").as_int64()));
        BOOST_REQUIRE(info);
        BOOST_CHECK_EQUAL(info->address, row.at("regtest").at("address").as_string());
        BOOST_CHECK_EQUAL(info->path, row.at("regtest").at("path").as_string());
    }
    for (const auto& acct : v.at("mixdepth_accounts").as_array())
        BOOST_CHECK_EQUAL(*wallet->accountXpub(static_cast<int>(acct.at("mixdepth").as_int64())),
                          acct.at("regtest_tpub").as_string());
    auto bonds = jm::test::loadVectors("jm_fidelity_bond_addresses.json");
    for (const auto& bond : bonds.at("bonds").as_array()) {
        if (bond.at("network").as_string() != "regtest" ||
            bond.at("entropy").as_string() != v.at("entropy").as_string())
            continue;
        auto b = wallet->bondAddress(static_cast<int>(bond.at("timenumber").as_int64()));
        BOOST_REQUIRE(b);
        BOOST_CHECK_EQUAL(b->info.address, bond.at("address").as_string());
        BOOST_CHECK_EQUAL(jm::bitcoin::toHex(b->witness_script), bond.at("witness_script").as_string());
        BOOST_CHECK_EQUAL(b->locktime, bond.at("locktime").as_int64());
    }
}

BOOST_AUTO_TEST_CASE(index_is_persisted_with_a_synced_write_before_reveal) {
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = *Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 3), "", "pw");
    auto synced_before = store.syncedWrites();
    auto a = wallet.nextAddress(1, BRANCH_INTERNAL);
    BOOST_REQUIRE(a);
    BOOST_CHECK_EQUAL(store.syncedWrites(), synced_before + 1);
    BOOST_CHECK_EQUAL(a->index, 0u);
    BOOST_CHECK_EQUAL(*wallet.nextIndex(1, BRANCH_INTERNAL), 1u);
    auto b = wallet.nextAddress(1, BRANCH_INTERNAL);
    BOOST_CHECK_EQUAL(b->index, 1u);
    BOOST_CHECK_NE(a->address, b->address);
    BOOST_CHECK_EQUAL(*wallet.nextIndex(0, BRANCH_EXTERNAL), 0u); // branches are independent
    BOOST_REQUIRE(wallet.markUsed(0, BRANCH_EXTERNAL, 9));
    BOOST_CHECK_EQUAL(*wallet.nextIndex(0, BRANCH_EXTERNAL), 10u);
    BOOST_REQUIRE(wallet.markUsed(0, BRANCH_EXTERNAL, 2)); // never moves back
    BOOST_CHECK_EQUAL(*wallet.nextIndex(0, BRANCH_EXTERNAL), 10u);
}

BOOST_AUTO_TEST_CASE(killed_after_reveal_never_reuses_the_address) {
    jm::test::TempDir dir;
    auto helper = (jm::test::binDir() / "jm_wallet_reveal").string();
    std::set<std::string> revealed;
    for (int run = 0; run < 3; ++run) {
        jm::test::ChildProcess child({helper, dir.path().string()});
        BOOST_REQUIRE_MESSAGE(child.waitForOutput("revealed ", std::chrono::seconds(60)), child.output());
        child.signal(SIGKILL);
        auto r = child.wait(std::chrono::seconds(30));
        auto pos = r.out.find("revealed ");
        auto address = r.out.substr(pos + 9, r.out.find('\n', pos) - pos - 9);
        BOOST_CHECK_MESSAGE(revealed.insert(address).second, "address " << address << " was handed out twice");
    }
    BOOST_CHECK_EQUAL(revealed.size(), 3u);
}

BOOST_AUTO_TEST_CASE(open_errors_and_password_change) {
    jm::sdk::testing::MemoryKvStore store;
    auto missing = Wallet::open(store, "pw");
    BOOST_REQUIRE(!missing);
    BOOST_CHECK(missing.error().code == jm::sdk::errc::not_found);
    {
        auto w = Wallet::create(store, regtest(), jm::bitcoin::Bytes(32, 9), "my passphrase", "old");
        BOOST_REQUIRE(w);
        BOOST_CHECK(w->hasPassphrase());
        auto again = Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 1), "", "x");
        BOOST_REQUIRE(!again);
        BOOST_CHECK(again.error().code == jm::sdk::errc::already_exists);
        auto wrong = w->changePassword("not it", "new");
        BOOST_REQUIRE(!wrong);
        BOOST_CHECK(wrong.error().code == jm::sdk::errc::wrong_password);
        BOOST_REQUIRE(w->changePassword("old", "new"));
    }
    auto old = Wallet::open(store, "old");
    BOOST_REQUIRE(!old);
    BOOST_CHECK(old.error().code == jm::sdk::errc::wrong_password);
    BOOST_CHECK_EQUAL(old.error().message, "wrong wallet password");
    auto w = Wallet::open(store, "new");
    BOOST_REQUIRE(w);
    BOOST_CHECK_EQUAL(w->mnemonic().size() > 0, true);
    BOOST_CHECK(w->hasPassphrase());

    // Damaged metadata is corruption, not a wrong password.
    BOOST_REQUIRE(store.put("wallet/meta", "{not json"));
    auto damaged = Wallet::open(store, "new");
    BOOST_REQUIRE(!damaged);
    BOOST_CHECK(damaged.error().code == jm::sdk::errc::corrupt_data);
}

BOOST_AUTO_TEST_CASE(position_checks) {
    jm::sdk::testing::MemoryKvStore store;
    auto w = *Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 4), "", "pw");
    BOOST_CHECK(!w.addressAt(5, 0, 0));
    BOOST_CHECK(!w.addressAt(-1, 0, 0));
    BOOST_CHECK(!w.addressAt(0, 3, 0));
    BOOST_CHECK(!w.addressAt(1, BRANCH_FIDELITY_BOND, 0));
    BOOST_CHECK(!w.bondAddress(960));
    BOOST_CHECK(!Wallet::create(store, {Network::Regtest, 0, 6, KdfStrength::Interactive}, jm::bitcoin::Bytes(16, 4),
                                "", "pw"));
    jm::sdk::testing::MemoryKvStore fresh;
    BOOST_CHECK(!Wallet::create(fresh, regtest(), jm::bitcoin::Bytes(15, 4), "", "pw"));
    // A signing key belongs to its address.
    auto info = *w.addressAt(2, BRANCH_INTERNAL, 7);
    BOOST_CHECK(w.privateKey(2, BRANCH_INTERNAL, 7)->publicKey().compressed() == info.pubkey);
}

BOOST_AUTO_TEST_CASE(metadata_is_validated_on_open) {
    jm::sdk::testing::MemoryKvStore store;
    BOOST_REQUIRE(Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 5), "", "pw"));
    auto good = store.get("wallet/meta")->value();
    auto meta = boost::json::parse(good).as_object();
    auto with = [&](const char* key, boost::json::value v) {
        auto m = meta;
        if (v.is_null())
            m.erase(key);
        else
            m[key] = v;
        return boost::json::serialize(m);
    };
    struct Case {
        std::string meta;
        std::string expect;
    };
    std::vector<Case> cases{
        {with("gap_limit", 0), "\"gap_limit\" must be a number in 1..10000, got 0"},
        {with("gap_limit", -6), "\"gap_limit\" must be a number in 1..10000"},
        {with("gap_limit", 10001), "\"gap_limit\" must be a number in 1..10000"},
        {with("gap_limit", 4294967302LL), "\"gap_limit\""},
        {with("gap_limit", "6"), "\"gap_limit\""},
        {with("gap_limit", nullptr), "\"gap_limit\" is missing"},
        {with("kdf", "fast"), "\"kdf\" must be \"moderate\" or \"interactive\""},
        {with("kdf", 1), "\"kdf\""},
        {with("kdf", "moderate"), "does not match the key derivation of the sealed seed"},
        {with("mixdepths", 0), "\"mixdepths\""},
        {with("mixdepths", 33), "\"mixdepths\""},
        {with("network", "moonnet"), "unknown network"},
        {"[1, 2]", "not a JSON object"},
    };
    for (const auto& c : cases) {
        BOOST_REQUIRE(store.put("wallet/meta", c.meta));
        auto w = Wallet::open(store, "pw");
        BOOST_REQUIRE_MESSAGE(!w, c.meta);
        BOOST_CHECK_MESSAGE(w.error().code == jm::sdk::errc::corrupt_data, c.meta);
        BOOST_CHECK_MESSAGE(w.error().message.find(c.expect) != std::string::npos,
                            c.meta << " -> " << w.error().message);
    }
    BOOST_REQUIRE(store.put("wallet/meta", with("version", 2)));
    BOOST_CHECK(Wallet::open(store, "pw").error().code == jm::sdk::errc::unsupported);
    // A seal with limits jmnode never writes (here: weakened) is refused before the password.
    BOOST_REQUIRE(store.put("wallet/meta", good));
    auto seed = store.get("wallet/seed")->value();
    auto weakened = seed;
    weakened[4] = 1; // opslimit 1
    BOOST_REQUIRE(store.put("wallet/seed", weakened));
    BOOST_CHECK(Wallet::open(store, "pw").error().code == jm::sdk::errc::corrupt_data);
    BOOST_REQUIRE(store.put("wallet/seed", seed));
    auto w = Wallet::open(store, "pw");
    BOOST_REQUIRE(w);
    BOOST_CHECK_EQUAL(w->gapLimit(), DEFAULT_GAP_LIMIT);
}

BOOST_AUTO_TEST_CASE(gap_limit_is_persisted_and_bounded) {
    jm::sdk::testing::MemoryKvStore store;
    auto options = regtest();
    options.gap_limit = 25;
    BOOST_REQUIRE(Wallet::create(store, options, jm::bitcoin::Bytes(16, 6), "", "pw"));
    BOOST_CHECK_EQUAL(Wallet::open(store, "pw")->gapLimit(), 25);
    for (int bad : {0, -1, MAX_GAP_LIMIT + 1}) {
        jm::sdk::testing::MemoryKvStore fresh;
        options.gap_limit = bad;
        auto r = Wallet::create(fresh, options, jm::bitcoin::Bytes(16, 6), "", "pw");
        BOOST_REQUIRE(!r);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
        BOOST_CHECK(!Wallet::exists(fresh));
    }
}

BOOST_AUTO_TEST_CASE(mark_used_never_wraps_past_the_last_index) {
    jm::sdk::testing::MemoryKvStore store;
    auto w = *Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 8), "", "pw");
    BOOST_REQUIRE(w.markUsed(0, BRANCH_EXTERNAL, 4));
    for (std::uint32_t bad : {0xffffffffu, jm::bitcoin::HARDENED, jm::bitcoin::HARDENED + 7}) {
        auto r = w.markUsed(0, BRANCH_EXTERNAL, bad);
        BOOST_REQUIRE(!r);
        BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
        BOOST_CHECK_EQUAL(*w.nextIndex(0, BRANCH_EXTERNAL), 5u); // unchanged, never wrapped to 0
    }
    // The last index is usable; after it the branch is exhausted rather than starting over.
    BOOST_REQUIRE(w.markUsed(0, BRANCH_EXTERNAL, jm::bitcoin::HARDENED - 1));
    BOOST_CHECK_EQUAL(*w.nextIndex(0, BRANCH_EXTERNAL), jm::bitcoin::HARDENED);
    BOOST_CHECK(!w.nextAddress(0, BRANCH_EXTERNAL));
    BOOST_CHECK_EQUAL(*w.nextIndex(0, BRANCH_EXTERNAL), jm::bitcoin::HARDENED);
    // A stored index beyond that range is damage, not a position.
    BOOST_REQUIRE(store.put("wallet/index/1/0", "4294967295"));
    BOOST_CHECK(w.nextIndex(1, BRANCH_EXTERNAL).error().code == jm::sdk::errc::corrupt_data);
}

// What a sync saw used on chain is kept apart from what was handed out: a restore only finds
// addresses within the gap limit of the former.
BOOST_AUTO_TEST_CASE(used_index_counts_what_the_chain_saw_not_what_was_handed_out) {
    jm::sdk::testing::MemoryKvStore store;
    auto w = *Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 9), "", "pw");
    BOOST_CHECK_EQUAL(*w.usedIndex(0, BRANCH_EXTERNAL), 0u);
    for (int i = 0; i < 3; ++i)
        BOOST_REQUIRE(w.nextAddress(0, BRANCH_EXTERNAL));
    BOOST_CHECK_EQUAL(*w.nextIndex(0, BRANCH_EXTERNAL), 3u);
    BOOST_CHECK_EQUAL(*w.usedIndex(0, BRANCH_EXTERNAL), 0u); // handed out, not seen paid
    auto synced_before = store.syncedWrites();
    BOOST_REQUIRE(w.markUsed(0, BRANCH_EXTERNAL, 1)); // below the next index: only the used mark moves
    BOOST_CHECK_EQUAL(store.syncedWrites(), synced_before + 1);
    BOOST_CHECK_EQUAL(*w.usedIndex(0, BRANCH_EXTERNAL), 2u);
    BOOST_CHECK_EQUAL(*w.nextIndex(0, BRANCH_EXTERNAL), 3u);
    BOOST_REQUIRE(w.markUsed(0, BRANCH_EXTERNAL, 0)); // never moves back, writes nothing
    BOOST_CHECK_EQUAL(store.syncedWrites(), synced_before + 1);
    BOOST_CHECK_EQUAL(*w.usedIndex(0, BRANCH_EXTERNAL), 2u);
    BOOST_REQUIRE(w.markUsed(0, BRANCH_EXTERNAL, 7)); // past both: both move, in one write
    BOOST_CHECK_EQUAL(store.syncedWrites(), synced_before + 2);
    BOOST_CHECK_EQUAL(*w.usedIndex(0, BRANCH_EXTERNAL), 8u);
    BOOST_CHECK_EQUAL(*w.nextIndex(0, BRANCH_EXTERNAL), 8u);
    BOOST_CHECK_EQUAL(*w.usedIndex(0, BRANCH_INTERNAL), 0u); // per branch
    BOOST_REQUIRE(store.put("wallet/used/1/0", "x"));
    BOOST_CHECK(w.usedIndex(1, BRANCH_EXTERNAL).error().code == jm::sdk::errc::corrupt_data);
    BOOST_CHECK(!w.usedIndex(5, BRANCH_EXTERNAL)); // no such mixdepth
}

BOOST_AUTO_TEST_CASE(password_change_compacts_the_old_seal_away) {
    jm::sdk::testing::MemoryKvStore store;
    auto w = *Wallet::create(store, regtest(), jm::bitcoin::Bytes(16, 2), "", "old");
    BOOST_REQUIRE(!w.changePassword("wrong", "new"));
    BOOST_CHECK(store.compactions().empty()); // nothing rewritten on a wrong password
    BOOST_REQUIRE(w.changePassword("old", "new"));
    auto compacted = store.compactions();
    BOOST_REQUIRE_EQUAL(compacted.size(), 1u);
    BOOST_CHECK(std::string("wallet/seed").starts_with(compacted[0]));
}

BOOST_AUTO_TEST_CASE(passphrase_spellings_open_the_same_wallet) {
    // "café" precomposed and decomposed are one BIP39 passphrase (NFKD).
    jm::sdk::testing::MemoryKvStore a, b, c;
    auto precomposed = *Wallet::create(a, regtest(), jm::bitcoin::Bytes(16, 1), "caf\xc3\xa9", "pw");
    auto decomposed = *Wallet::create(b, regtest(), jm::bitcoin::Bytes(16, 1), "cafe\xcc\x81", "pw");
    BOOST_CHECK_EQUAL(*precomposed.accountXpub(0), *decomposed.accountXpub(0));
    auto plain = *Wallet::create(c, regtest(), jm::bitcoin::Bytes(16, 1), "cafe", "pw");
    BOOST_CHECK_NE(*precomposed.accountXpub(0), *plain.accountXpub(0));
    // The seed matches the vector computed by Python (bip39_nfkd.json, group "cafe").
    auto v = jm::test::loadVectors("bip39_nfkd.json");
    auto about = *jm::bitcoin::mnemonicToEntropy(
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about");
    for (const auto& row : v.at("vectors").as_array()) {
        if (row.at("group").as_string() != "cafe") continue;
        jm::sdk::testing::MemoryKvStore s;
        auto w = *Wallet::create(s, regtest(), about.view(), std::string(row.at("passphrase").as_string()), "pw");
        auto seed = jm::bitcoin::fromHex(row.at("seed").as_string()).value();
        auto root = jm::bitcoin::ExtendedKey::fromSeed(seed).value();
        auto account = root.derivePath({84 | jm::bitcoin::HARDENED, 1 | jm::bitcoin::HARDENED, jm::bitcoin::HARDENED});
        BOOST_CHECK_EQUAL(*w.accountXpub(0), account->toString(Network::Regtest, false));
    }
    // A passphrase that is not UTF-8 is refused and nothing is written.
    jm::sdk::testing::MemoryKvStore d;
    auto bad = Wallet::create(d, regtest(), jm::bitcoin::Bytes(16, 1), "caf\xe9", "pw");
    BOOST_REQUIRE(!bad);
    BOOST_CHECK(bad.error().code == jm::sdk::errc::invalid_argument);
    BOOST_CHECK(!Wallet::exists(d));
}

BOOST_AUTO_TEST_SUITE_END()
