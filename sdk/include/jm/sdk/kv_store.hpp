#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jm::sdk {

//! How a write reaches the disk.
struct WriteOptions {
    //! Wait for the write-ahead log to be fsync'd before returning: the write survives a crash
    //! of the process and of the machine. Use it for anything that must never be lost or
    //! repeated (wallet indices before an address is revealed, commitments used).
    bool sync = false;
};

//! A set of puts and erases applied atomically: after a crash either all or none are visible.
//! Plain value type. Executor: any (not thread-safe itself).
class JM_SDK_API WriteBatch {
public:
    struct Op {
        bool erase = false;
        std::string key;
        std::string value;
    };
    void put(std::string_view key, std::string_view value);
    void erase(std::string_view key);
    const std::vector<Op>& ops() const noexcept { return m_ops; }
    bool empty() const noexcept { return m_ops.empty(); }

private:
    std::vector<Op> m_ops;
};

//! A persistent, ordered, binary key/value namespace. The host gives each plugin instance its
//! own namespace (a RocksDB column family named after the instance) in the node's data
//! directory; instances cannot see each other's keys.
//!
//! Executor: every member is thread-safe and blocking (disk I/O; a synced write waits for
//! fsync). Small reads and writes from a strand are acceptable; bulk work belongs on
//! ctx.blockingExecutor(). Errors: errc::io_error for disk failures, errc::corrupt_data when the
//! database reports corruption.
class JM_SDK_API KvStore {
public:
    virtual ~KvStore();

    //! The value of `key`, or nullopt when absent.
    virtual Result<std::optional<std::string>> get(std::string_view key) const = 0;
    virtual Result<void> put(std::string_view key, std::string_view value, WriteOptions options = {}) = 0;
    virtual Result<void> erase(std::string_view key, WriteOptions options = {}) = 0;
    //! Applies every op of `batch` atomically.
    virtual Result<void> write(const WriteBatch& batch, WriteOptions options = {}) = 0;
    //! Calls `fn` for each key starting with `prefix`, in key order, until it returns false.
    //! Ownership: the views are valid during the call only.
    virtual Result<void> iterate(std::string_view prefix,
                                 const std::function<bool(std::string_view key, std::string_view value)>& fn) const = 0;
    //! Rewrites the files holding keys that start with `prefix` so that values overwritten or
    //! erased there are gone from disk, not only hidden (e.g. a secret re-sealed under a new
    //! password). Blocking and slow on large namespaces (flushes and compacts): call it rarely,
    //! from ctx.blockingExecutor() when the namespace is big.
    virtual Result<void> compact(std::string_view prefix) = 0;
};

using KvStorePtr = std::unique_ptr<KvStore>;

} // namespace jm::sdk
