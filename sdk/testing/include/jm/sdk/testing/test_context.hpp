#pragma once

#include <jm/sdk/context.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <string>

namespace jm::sdk::testing {

//! A PluginContext for unit tests of plugins and plugin cores: a real io_context (run it with
//! run()/runFor() on the test thread, or start a thread), a strand, the SDK's real event bus
//! and service registry, an in-memory store and a logger for the instance channel.
//! Test double only; never used by `jmnode run`.
class TestContext final : public PluginContext {
public:
    explicit TestContext(std::string instance = "test", std::string network = "regtest");
    ~TestContext() override;

    Executor executor() override;
    Executor blockingExecutor() override;
    EventBus& bus() override;
    ServiceRegistry& services() override;
    Logger& logger() override;
    KvStore& store() override;
    std::string_view instanceName() const override;
    std::string_view network() const override;
    const std::filesystem::path& dataDir() const override;
    void requestShutdown(std::string_view reason) noexcept override;
    //! Stores backed by walletStore(): "wallet" only, as the host.
    Result<KvStorePtr> openWalletStore(std::string_view name) override;

    boost::asio::io_context& ioContext() { return m_ioc; }
    MemoryKvStore& memoryStore() { return m_store; }
    //! The in-memory store openWalletStore("wallet") gives access to (create a wallet in it).
    MemoryKvStore& walletStore() { return m_walletStore; }
    //! Where dataDir() points (default: the system's temporary directory).
    void setDataDir(std::filesystem::path dir) { m_dataDir = std::move(dir); }
    //! Runs ready handlers until none is left (restarts the io_context first).
    std::size_t poll();
    //! The reason given to requestShutdown, empty when not requested.
    std::string shutdownReason() const;

private:
    boost::asio::io_context m_ioc;
    boost::asio::strand<boost::asio::io_context::executor_type> m_strand;
    boost::asio::thread_pool m_blocking{1};
    EventBusPtr m_bus;
    ServiceRegistryPtr m_services;
    Logger m_logger;
    MemoryKvStore m_store;
    MemoryKvStore m_walletStore;
    std::string m_instance;
    std::string m_network;
    std::filesystem::path m_dataDir;
    mutable std::mutex m_mutex;
    std::string m_shutdownReason;
};

} // namespace jm::sdk::testing
