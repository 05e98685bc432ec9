#pragma once

#include <jm/sdk/event_bus.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/kv_store.hpp>
#include <jm/sdk/log.hpp>
#include <jm/sdk/service_registry.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace jm::sdk {

//! Everything a plugin instance gets from the host. Narrow on purpose.
//! Ownership: owned by the host; outlives the plugin instance it was given to (the instance is
//! destroyed before its context). References returned by members live as long as the context.
//! Executor: every member may be called from any thread.
class JM_SDK_API PluginContext {
public:
    virtual ~PluginContext();

    //! The instance's strand on the host's io_context. Everything that calls into the plugin
    //! (create, start, stop, bus deliveries, service callbacks) runs here.
    virtual Executor executor() = 0;
    //! A thread pool for blocking or heavy work (disk, heavy crypto). Post results back to
    //! executor().
    virtual Executor blockingExecutor() = 0;
    virtual EventBus& bus() = 0;
    virtual ServiceRegistry& services() = 0;
    //! Logger whose channel is the instance name.
    virtual Logger& logger() = 0;
    //! This instance's persistent key/value namespace.
    virtual KvStore& store() = 0;
    //! The store of the node's wallet called `name`: a namespace of the node's database that
    //! belongs to no instance ("wallet" is the one `jmnode wallet` creates and uses). Roles that
    //! spend (maker, taker) open it; one role per wallet. Ownership: the caller's; it may outlive
    //! nothing but the context. Errors: errc::not_found for a name the node does not keep,
    //! errc::unsupported where the host has no wallets (the default), storage errors.
    virtual Result<KvStorePtr> openWalletStore(std::string_view name);
    //! The config's "instance" name, unique in the node.
    virtual std::string_view instanceName() const = 0;
    //! "mainnet", "testnet", "signet" or "regtest" (node.network in the config).
    virtual std::string_view network() const = 0;
    //! The node's data directory (node.datadir), for files a plugin must keep outside the store.
    virtual const std::filesystem::path& dataDir() const = 0;
    //! Asks the host to shut the node down (e.g. after a fatal error); returns at once.
    //! `reason` is logged. noexcept by contract.
    virtual void requestShutdown(std::string_view reason) noexcept = 0;
};

} // namespace jm::sdk
