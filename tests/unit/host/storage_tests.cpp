#include <storage/data_dir_lock.hpp>
#include <storage/rocksdb_database.hpp>

#include <util/process.hpp>
#include <util/setup.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace {

using jm::host::RocksDbDatabase;

std::unique_ptr<RocksDbDatabase> openDb(const std::filesystem::path& dir) {
    auto db = RocksDbDatabase::open(dir);
    BOOST_REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
    return std::move(*db);
}

jm::sdk::KvStorePtr ns(RocksDbDatabase& db, std::string_view name) {
    auto s = db.openNamespace(name);
    BOOST_REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    return std::move(*s);
}

std::vector<std::string> keysWithPrefix(const jm::sdk::KvStore& store, std::string_view prefix) {
    std::vector<std::string> keys;
    BOOST_REQUIRE(store.iterate(prefix, [&](std::string_view k, std::string_view) {
        keys.emplace_back(k);
        return true;
    }));
    return keys;
}

constexpr int KEYS_PER_BATCH = 8;

// Reopens the writer's database and checks: every batch up to `acknowledged` is complete, and
// the first batch after it is either complete or entirely absent (the one in flight at the kill).
void checkNoPartialBatch(const std::filesystem::path& dir, long acknowledged) {
    auto db = openDb(dir);
    auto store = ns(*db, "writer");
    auto last = store->get("last");
    BOOST_REQUIRE(last && *last);
    long stored_last = std::stol(**last);
    BOOST_CHECK_GE(stored_last, acknowledged);
    for (long n = 0; n <= stored_last + 1; ++n) {
        int present = 0;
        for (int k = 0; k < KEYS_PER_BATCH; ++k) {
            auto v = store->get("b/" + std::to_string(n) + "/" + std::to_string(k));
            BOOST_REQUIRE(v);
            if (*v) {
                ++present;
                BOOST_REQUIRE_EQUAL(v->value().substr(0, std::to_string(n).size()), std::to_string(n));
            }
        }
        if (n <= stored_last)
            BOOST_REQUIRE_MESSAGE(present == KEYS_PER_BATCH,
                                  "batch " << n << " has " << present << " of " << KEYS_PER_BATCH);
        else
            BOOST_REQUIRE_MESSAGE(present == 0, "batch " << n << " is partially present (" << present << ")");
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(storage_tests)

BOOST_AUTO_TEST_CASE(namespaces_are_isolated_and_persist) {
    jm::test::TempDir dir;
    {
        auto db = openDb(dir.path());
        auto a = ns(*db, "alice");
        auto b = ns(*db, "bob");
        BOOST_REQUIRE(a->put("k", "from alice"));
        BOOST_REQUIRE(b->put("k", "from bob", jm::sdk::WriteOptions{true}));
        BOOST_CHECK_EQUAL(a->get("k")->value(), "from alice");
        BOOST_CHECK_EQUAL(b->get("k")->value(), "from bob");
        BOOST_REQUIRE(a->erase("k"));
        BOOST_CHECK(!a->get("k")->has_value());
        BOOST_CHECK_EQUAL(b->get("k")->value(), "from bob");
        BOOST_REQUIRE(a->put("kept", "yes"));
    }
    auto db = openDb(dir.path());
    BOOST_CHECK_EQUAL(ns(*db, "alice")->get("kept")->value(), "yes");
    BOOST_CHECK_EQUAL(ns(*db, "bob")->get("k")->value(), "from bob");
    BOOST_CHECK(!ns(*db, "carol")->get("k")->has_value());
}

BOOST_AUTO_TEST_CASE(binary_keys_and_prefix_iteration) {
    jm::test::TempDir dir;
    auto db = openDb(dir.path());
    auto s = ns(*db, "bin");
    std::string nul_key("a\0b", 3);
    BOOST_REQUIRE(s->put(nul_key, std::string("v\0v", 3)));
    BOOST_REQUIRE(s->put("a", "1"));
    BOOST_REQUIRE(s->put("ab", "2"));
    BOOST_REQUIRE(s->put("b", "3"));
    BOOST_REQUIRE(s->put("\xff\xff", "4"));
    BOOST_REQUIRE(s->put("\xff\xff\x01", "5"));
    BOOST_CHECK_EQUAL(s->get(nul_key)->value(), std::string("v\0v", 3));
    BOOST_CHECK((keysWithPrefix(*s, "a") == std::vector<std::string>{"a", nul_key, "ab"}));
    BOOST_CHECK((keysWithPrefix(*s, "\xff\xff") == std::vector<std::string>{"\xff\xff", "\xff\xff\x01"}));
    BOOST_CHECK(keysWithPrefix(*s, "c").empty());
    BOOST_CHECK_EQUAL(keysWithPrefix(*s, "").size(), 6u);
    int visited = 0;
    BOOST_REQUIRE(s->iterate("", [&](std::string_view, std::string_view) { return ++visited < 2; }));
    BOOST_CHECK_EQUAL(visited, 2); // stops when the callback returns false
}

BOOST_AUTO_TEST_CASE(batches_apply_all_operations) {
    jm::test::TempDir dir;
    auto db = openDb(dir.path());
    auto s = ns(*db, "batch");
    BOOST_REQUIRE(s->put("gone", "x"));
    jm::sdk::WriteBatch batch;
    batch.put("one", "1");
    batch.put("two", "2");
    batch.erase("gone");
    BOOST_REQUIRE(s->write(batch, jm::sdk::WriteOptions{true}));
    BOOST_CHECK_EQUAL(s->get("one")->value(), "1");
    BOOST_CHECK_EQUAL(s->get("two")->value(), "2");
    BOOST_CHECK(!s->get("gone")->has_value());
}

BOOST_AUTO_TEST_CASE(invalid_namespace_names_are_refused) {
    jm::test::TempDir dir;
    auto db = openDb(dir.path());
    for (auto bad : {"", "default", "a/b", "sp ace", "x\n"}) {
        auto r = db->openNamespace(bad);
        BOOST_CHECK_MESSAGE(!r, "accepted '" << bad << "'");
        if (!r) BOOST_CHECK(r.error().code == jm::sdk::errc::invalid_argument);
    }
}

BOOST_AUTO_TEST_CASE(stores_outlive_the_database_object) {
    jm::test::TempDir dir;
    jm::sdk::KvStorePtr store;
    {
        auto db = openDb(dir.path());
        store = ns(*db, "late");
    }
    BOOST_CHECK(store->put("still", "works"));
    BOOST_CHECK_EQUAL(store->get("still")->value(), "works");
}

BOOST_AUTO_TEST_CASE(sigkill_during_synced_batches_loses_no_acknowledged_batch) {
    auto writer = (jm::test::binDir() / "jm_storage_writer").string();
    for (long kill_after : {50L, 200L, 500L}) {
        jm::test::TempDir dir;
        long acknowledged = -1;
        {
            jm::test::ChildProcess child({writer, dir.path().string(), std::to_string(KEYS_PER_BATCH)});
            BOOST_REQUIRE_MESSAGE(
                child.waitForOutput("\n" + std::to_string(kill_after) + "\n", std::chrono::seconds(60)),
                "writer did not reach batch " << kill_after << ": " << child.output());
            child.signal(SIGKILL);
            auto r = child.wait(std::chrono::seconds(30));
            BOOST_CHECK_EQUAL(r.exit_code, 128 + SIGKILL);
            // The last complete line printed is the last acknowledged batch.
            auto out = r.out;
            auto end = out.rfind('\n');
            BOOST_REQUIRE(end != std::string::npos);
            auto start = out.rfind('\n', end - 1);
            acknowledged = std::stol(out.substr(start == std::string::npos ? 0 : start + 1, end));
        }
        BOOST_TEST_MESSAGE("killed after batch " << acknowledged);
        BOOST_CHECK_GE(acknowledged, kill_after);
        checkNoPartialBatch(dir.path(), acknowledged);
    }
}

BOOST_AUTO_TEST_CASE(second_owner_of_a_data_directory_is_refused) {
    jm::test::TempDir dir;
    auto first = jm::host::DataDirLock::acquire(dir.path() / "node");
    BOOST_REQUIRE(first);
    // flock conflicts between open file descriptions, so a second acquire in-process conflicts too.
    auto second = jm::host::DataDirLock::acquire(dir.path() / "node");
    BOOST_REQUIRE(!second);
    BOOST_CHECK(second.error().code == jm::sdk::errc::already_exists);
    BOOST_CHECK_NE(second.error().message.find("is in use by another jmnode (pid " + std::to_string(::getpid()) + ")"),
                   std::string::npos);
    { auto moved = std::move(*first); } // released
    BOOST_CHECK(jm::host::DataDirLock::acquire(dir.path() / "node"));
}

BOOST_AUTO_TEST_CASE(second_open_of_the_database_is_refused) {
    jm::test::TempDir dir;
    auto db = openDb(dir.path());
    auto again = RocksDbDatabase::open(dir.path());
    BOOST_REQUIRE(!again);
    BOOST_CHECK(again.error().code == jm::sdk::errc::already_exists);
    BOOST_CHECK_NE(again.error().message.find("in use by another jmnode"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(lock_on_a_file_path_is_a_clear_error) {
    jm::test::TempDir dir;
    auto file = dir.path() / "plain";
    { std::ofstream(file) << "x"; }
    auto r = jm::host::DataDirLock::acquire(file);
    BOOST_REQUIRE(!r);
    BOOST_CHECK_NE(r.error().message.find("not a directory"), std::string::npos);
}

// Whether any file under `dir` contains `needle` (the database's files as a copy of the data
// directory would have them).
bool filesContain(const std::filesystem::path& dir, const std::string& needle) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (bytes.find(needle) != std::string::npos) return true;
    }
    return false;
}

BOOST_AUTO_TEST_CASE(compact_leaves_no_overwritten_value_in_the_files) {
    jm::test::TempDir dir;
    // Random-looking (incompressible) values, as a sealed seed is.
    std::string old_value, new_value;
    for (int i = 0; i < 96; ++i) {
        old_value.push_back(static_cast<char>((i * 73 + 41) ^ (i >> 2) * 151));
        new_value.push_back(static_cast<char>((i * 89 + 7) ^ (i >> 3) * 97));
    }
    {
        auto db = openDb(dir.path());
        auto store = ns(*db, "wallet");
        auto other = ns(*db, "other");
        BOOST_REQUIRE(store->put("wallet/seed", old_value, {true}));
        BOOST_REQUIRE(store->put("wallet/meta", "{}", {true}));
        BOOST_REQUIRE(other->put("k", "v", {true}));
    }
    // Reopened, the old value sits in a table file; overwritten in this session, it is also in
    // the write-ahead log's history.
    auto db = openDb(dir.path());
    auto store = ns(*db, "wallet");
    auto other = ns(*db, "other");
    BOOST_REQUIRE(other->put("k2", "unflushed in another namespace", {true}));
    BOOST_REQUIRE(store->put("wallet/seed", new_value, {true}));
    BOOST_REQUIRE(filesContain(dir.path() / "db", old_value)); // the scan can see it
    BOOST_REQUIRE(store->compact("wallet/seed"));
    BOOST_CHECK(!filesContain(dir.path() / "db", old_value));
    BOOST_CHECK_EQUAL(store->get("wallet/seed")->value(), new_value);
    BOOST_CHECK_EQUAL(store->get("wallet/meta")->value(), "{}");
    BOOST_CHECK_EQUAL(other->get("k2")->value(), "unflushed in another namespace");

    // Overwritten twice within one session (only ever in the log and memtable), then compacted.
    std::string third = new_value;
    std::reverse(third.begin(), third.end());
    BOOST_REQUIRE(store->put("wallet/seed", third, {true}));
    BOOST_REQUIRE(filesContain(dir.path() / "db", new_value));
    BOOST_REQUIRE(store->compact("wallet/"));
    BOOST_CHECK(!filesContain(dir.path() / "db", new_value));
    BOOST_REQUIRE(store->compact("")); // the whole namespace
    BOOST_CHECK_EQUAL(store->get("wallet/seed")->value(), third);
}

BOOST_AUTO_TEST_SUITE_END()
