#include <storage/rocksdb_database.hpp>

#include <storage/data_dir.hpp>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <map>
#include <mutex>

namespace jm::host {

using jm::sdk::errc;
using jm::sdk::Result;

struct RocksDbDatabase::State {
    std::unique_ptr<rocksdb::DB> db;
    std::mutex mutex;
    std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> families;

    ~State() {
        for (auto& [name, handle] : families)
            db->DestroyColumnFamilyHandle(handle);
        families.clear();
        if (db) db->Close();
    }
};

namespace {

jm::sdk::Error toError(const rocksdb::Status& s, std::string_view what) {
    auto code = s.IsCorruption() ? errc::corrupt_data : errc::io_error;
    return jm::sdk::Error(code, std::string(what) + ": " + s.ToString());
}

bool validName(std::string_view name) {
    if (name.empty() || name.size() > 64 || name == rocksdb::kDefaultColumnFamilyName) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

// A small embedded store: modest caches and file counts rather than RocksDB's server defaults.
rocksdb::ColumnFamilyOptions familyOptions() {
    rocksdb::ColumnFamilyOptions options;
    options.write_buffer_size = 4 << 20;
    rocksdb::BlockBasedTableOptions table;
    static std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(16 << 20);
    table.block_cache = cache;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    return options;
}

class Store final : public jm::sdk::KvStore {
public:
    Store(std::shared_ptr<RocksDbDatabase::State> state, rocksdb::ColumnFamilyHandle* family, std::string name) :
        m_state(std::move(state)), m_family(family), m_name(std::move(name)) {}

    Result<std::optional<std::string>> get(std::string_view key) const override {
        std::string value;
        auto s = m_state->db->Get(rocksdb::ReadOptions(), m_family, rocksdb::Slice(key.data(), key.size()), &value);
        if (s.IsNotFound()) return std::optional<std::string>();
        if (!s.ok()) return toError(s, "reading from namespace '" + m_name + "'");
        return std::optional<std::string>(std::move(value));
    }

    Result<void> put(std::string_view key, std::string_view value, jm::sdk::WriteOptions options) override {
        jm::sdk::WriteBatch batch;
        batch.put(key, value);
        return write(batch, options);
    }

    Result<void> erase(std::string_view key, jm::sdk::WriteOptions options) override {
        jm::sdk::WriteBatch batch;
        batch.erase(key);
        return write(batch, options);
    }

    Result<void> write(const jm::sdk::WriteBatch& batch, jm::sdk::WriteOptions options) override {
        rocksdb::WriteBatch rb;
        for (const auto& op : batch.ops()) {
            rocksdb::Status s = op.erase ? rb.Delete(m_family, op.key) : rb.Put(m_family, op.key, op.value);
            if (!s.ok()) return toError(s, "preparing a write to namespace '" + m_name + "'");
        }
        rocksdb::WriteOptions wo;
        wo.sync = options.sync;
        auto s = m_state->db->Write(wo, &rb);
        if (!s.ok()) return toError(s, "writing to namespace '" + m_name + "'");
        return {};
    }

    Result<void> iterate(std::string_view prefix,
                         const std::function<bool(std::string_view, std::string_view)>& fn) const override {
        std::unique_ptr<rocksdb::Iterator> it(m_state->db->NewIterator(rocksdb::ReadOptions(), m_family));
        for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
            auto key = it->key();
            std::string_view k(key.data(), key.size());
            if (!k.starts_with(prefix)) break;
            auto value = it->value();
            if (!fn(k, std::string_view(value.data(), value.size()))) break;
        }
        if (!it->status().ok()) return toError(it->status(), "iterating namespace '" + m_name + "'");
        return {};
    }

    Result<void> compact(std::string_view prefix) override {
        // The write-ahead log is shared by every namespace: flush them all so the log files that
        // still hold the old values are retired and deleted; then rewrite this namespace's files
        // for the range down to the bottom level, which drops overwritten and erased versions.
        std::vector<rocksdb::ColumnFamilyHandle*> all;
        {
            std::lock_guard lock(m_state->mutex);
            for (const auto& [name, handle] : m_state->families)
                all.push_back(handle);
        }
        rocksdb::FlushOptions flush;
        flush.wait = true;
        auto s = m_state->db->Flush(flush, all);
        if (!s.ok()) return toError(s, "flushing before compacting namespace '" + m_name + "'");
        rocksdb::CompactRangeOptions options;
        options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
        options.exclusive_manual_compaction = true;
        // The first key after every key with the prefix: the prefix with its last byte below
        // 0xff incremented (none when the prefix is empty or all 0xff: compact to the end).
        std::string end(prefix);
        while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff)
            end.pop_back();
        if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
        rocksdb::Slice begin_slice(prefix.data(), prefix.size()), end_slice(end);
        s = m_state->db->CompactRange(options, m_family, prefix.empty() ? nullptr : &begin_slice,
                                      end.empty() ? nullptr : &end_slice);
        if (!s.ok()) return toError(s, "compacting namespace '" + m_name + "'");
        return {};
    }

private:
    std::shared_ptr<RocksDbDatabase::State> m_state;
    rocksdb::ColumnFamilyHandle* m_family;
    std::string m_name;
};

} // namespace

RocksDbDatabase::RocksDbDatabase(std::shared_ptr<State> state) : m_state(std::move(state)) {}
RocksDbDatabase::~RocksDbDatabase() = default;

Result<std::unique_ptr<RocksDbDatabase>> RocksDbDatabase::open(const std::filesystem::path& datadir) {
    auto path = (datadir / "db").string();
    // The database holds the wallet's history: its directory is 0700 and its files 0600. RocksDB
    // creates files 0644 minus the umask, from its own threads too (Env::SetAllowNonOwnerAccess
    // has no effect in Debian's 7.8), so the process umask is what keeps them private.
    restrictNewFiles();
    if (auto made = createPrivateDirectory(datadir / "db"); !made) return made.error();
    rocksdb::DBOptions options;
    options.create_if_missing = true;
    options.create_missing_column_families = true;
    options.max_open_files = 256;
    options.keep_log_file_num = 3;
    options.max_log_file_size = 1 << 20;

    std::vector<std::string> names;
    auto listed = rocksdb::DB::ListColumnFamilies(options, path, &names);
    if (!listed.ok() || names.empty()) names = {rocksdb::kDefaultColumnFamilyName};
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& n : names)
        descriptors.emplace_back(n, familyOptions());

    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(options, path, descriptors, &handles, &raw);
    if (!s.ok()) {
        if (s.IsIOError() && s.ToString().find("lock") != std::string::npos)
            return jm::sdk::fail(errc::already_exists,
                                 "database " + path +
                                     " is in use by another jmnode; stop it or choose another node.datadir (" +
                                     s.ToString() + ")");
        return toError(s, "opening database " + path);
    }
    auto state = std::make_shared<State>();
    state->db.reset(raw);
    for (std::size_t i = 0; i < handles.size(); ++i)
        state->families.emplace(names[i], handles[i]);
    return std::unique_ptr<RocksDbDatabase>(new RocksDbDatabase(std::move(state)));
}

Result<jm::sdk::KvStorePtr> RocksDbDatabase::openNamespace(std::string_view instance) {
    if (!validName(instance))
        return jm::sdk::fail(errc::invalid_argument, "invalid storage namespace '" + std::string(instance) +
                                                         "' (use letters, digits, '_', '-', '.'; not 'default')");
    std::lock_guard lock(m_state->mutex);
    auto it = m_state->families.find(instance);
    if (it == m_state->families.end()) {
        rocksdb::ColumnFamilyHandle* handle = nullptr;
        auto s = m_state->db->CreateColumnFamily(familyOptions(), std::string(instance), &handle);
        if (!s.ok()) return toError(s, "creating namespace '" + std::string(instance) + "'");
        it = m_state->families.emplace(std::string(instance), handle).first;
    }
    return jm::sdk::KvStorePtr(std::make_unique<Store>(m_state, it->second, std::string(instance)));
}

} // namespace jm::host
