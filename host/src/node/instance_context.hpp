#pragma once

#include <jm/sdk/context.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <string>

namespace jm::host {

//! The PluginContext the host gives one instance: its own strand on the node's io_context, the
//! node's blocking pool, bus and registry, a logger on the instance's channel, and the
//! instance's storage namespace. Owned by the Node; destroyed after its instance.
class InstanceContext final : public jm::sdk::PluginContext {
public:
    using ShutdownFn = std::function<void(std::string_view)>;
    using WalletStoreFn = std::function<jm::sdk::Result<jm::sdk::KvStorePtr>(std::string_view)>;

    InstanceContext(std::string name, boost::asio::io_context& ioc, boost::asio::thread_pool& blocking,
                    jm::sdk::EventBus& bus, jm::sdk::ServiceRegistry& services, jm::sdk::KvStorePtr store,
                    std::string network, std::filesystem::path datadir, ShutdownFn shutdown);

    jm::sdk::Executor executor() override { return m_strand; }
    jm::sdk::Executor blockingExecutor() override { return m_blocking.get_executor(); }
    jm::sdk::EventBus& bus() override { return m_bus; }
    jm::sdk::ServiceRegistry& services() override { return m_services; }
    jm::sdk::Logger& logger() override { return m_logger; }
    jm::sdk::KvStore& store() override { return *m_store; }
    std::string_view instanceName() const override { return m_name; }
    std::string_view network() const override { return m_network; }
    const std::filesystem::path& dataDir() const override { return m_datadir; }
    void requestShutdown(std::string_view reason) noexcept override;
    jm::sdk::Result<jm::sdk::KvStorePtr> openWalletStore(std::string_view name) override;
    //! How openWalletStore reaches the node's database (unset: the SDK's "no wallets").
    void setWalletStoreOpener(WalletStoreFn fn) { m_walletStore = std::move(fn); }

private:
    std::string m_name;
    boost::asio::strand<boost::asio::io_context::executor_type> m_strand;
    boost::asio::thread_pool& m_blocking;
    jm::sdk::EventBus& m_bus;
    jm::sdk::ServiceRegistry& m_services;
    jm::sdk::Logger m_logger;
    jm::sdk::KvStorePtr m_store;
    std::string m_network;
    std::filesystem::path m_datadir;
    ShutdownFn m_shutdown;
    WalletStoreFn m_walletStore;
};

} // namespace jm::host
