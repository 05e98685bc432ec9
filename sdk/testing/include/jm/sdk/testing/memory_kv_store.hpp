#pragma once

#include <jm/sdk/kv_store.hpp>

#include <map>
#include <mutex>

namespace jm::sdk::testing {

//! An in-memory KvStore with the real store's semantics (ordered keys, atomic batches) but no
//! durability. Test double only. Executor: thread-safe.
class MemoryKvStore final : public KvStore {
public:
    Result<std::optional<std::string>> get(std::string_view key) const override;
    Result<void> put(std::string_view key, std::string_view value, WriteOptions options = {}) override;
    Result<void> erase(std::string_view key, WriteOptions options = {}) override;
    Result<void> write(const WriteBatch& batch, WriteOptions options = {}) override;
    Result<void> iterate(std::string_view prefix,
                         const std::function<bool(std::string_view key, std::string_view value)>& fn) const override;
    //! How many writes asked for sync (tests of "persist before reveal" check it).
    std::size_t syncedWrites() const;

private:
    mutable std::mutex m_mutex;
    std::map<std::string, std::string, std::less<>> m_data;
    std::size_t m_synced = 0;
};

} // namespace jm::sdk::testing
