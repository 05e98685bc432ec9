#pragma once

#include <jm/sdk/kv_store.hpp>

#include <filesystem>
#include <memory>
#include <string_view>

namespace jm::host {

//! The node's one RocksDB database (<datadir>/db), with a column family per plugin instance.
//! Only the host links RocksDB; plugins see their namespace through jm::sdk::KvStore.
//! Stores returned by openNamespace() keep the database's internals alive, so they may outlive
//! this object. Thread-safe.
class RocksDbDatabase {
public:
    //! Opens or creates <datadir>/db with every existing column family. A new db directory is
    //! 0700 and the files RocksDB writes are 0600: this sets the process umask (restrictNewFiles).
    //! Errors: errc::already_exists when another process has it open; errc::corrupt_data when
    //! RocksDB reports corruption; errc::io_error otherwise.
    static jm::sdk::Result<std::unique_ptr<RocksDbDatabase>> open(const std::filesystem::path& datadir);
    ~RocksDbDatabase();

    //! The namespace of `instance` (created on first use). Names are [A-Za-z0-9_.-]+ and not
    //! "default". Errors: errc::invalid_argument for a bad name; errc::io_error.
    jm::sdk::Result<jm::sdk::KvStorePtr> openNamespace(std::string_view instance);

    struct State;

private:
    explicit RocksDbDatabase(std::shared_ptr<State> state);
    std::shared_ptr<State> m_state;
};

} // namespace jm::host
