#pragma once

#include <config/node_config.hpp>
#include <node/instance_context.hpp>
#include <plugins/instance_plan.hpp>
#include <storage/data_dir_lock.hpp>
#include <storage/rocksdb_database.hpp>

#include <jm/sdk/event_bus.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/sdk/service_registry.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace jm::host {

//! Lifecycle of one plugin instance inside the node.
enum class InstanceState { Planned, Created, Started, Failed, Stopped };

//! A running jmnode: the io_context and its threads, the blocking pool, the event bus, the
//! service registry, the data directory (lock + RocksDB) and the plugin instances.
//!
//! Phases (architecture.md 9.7): start() takes the data-directory lock, opens the database,
//! starts the I/O threads, then creates every instance on its strand in plan order, then
//! starts them in the same order; if one fails, the started ones are stopped in reverse and
//! start() returns the error. waitForShutdown() blocks until a signal (when installed) or
//! requestShutdown(). stop() publishes node.stopping/1, closes the bus, stops instances in
//! reverse order with a deadline each, joins the threads and destroys instances in reverse.
//! Executor: start/waitForShutdown/stop from the main thread; requestShutdown from anywhere.
class Node {
public:
    Node(NodeConfig config, std::vector<InstancePlan> plans);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    //! Errors: the lock or database cannot be had, or an instance failed in create or start
    //! (the message names the instance).
    jm::sdk::Result<void> start(bool handle_signals);
    //! Blocks until shutdown is requested; returns the reason.
    std::string waitForShutdown();
    //! Stops and destroys every instance, then the node's machinery. Idempotent.
    void stop();
    //! Asks waitForShutdown() to return. Executor: any. noexcept.
    void requestShutdown(std::string_view reason) noexcept;

    //! Valid from construction until stop() returns.
    jm::sdk::EventBus& bus() { return *m_bus; }
    jm::sdk::ServiceRegistry& services() { return *m_services; }
    boost::asio::io_context& ioContext() { return m_ioc; }
    //! A namespace of the node's database that belongs to no instance (the CLI's "wallet").
    //! Valid between start() and stop(). Errors: not started; storage errors.
    jm::sdk::Result<jm::sdk::KvStorePtr> openStore(std::string_view name);
    //! The state and last error of each instance, in plan order. Executor: main thread.
    std::vector<std::pair<std::string, InstanceState>> instanceStates() const;
    //! The Plugin object of an instance (null when not created). For loader tests.
    jm::sdk::Plugin* instance(std::string_view name) const;
    //! The error an instance's create/start produced, when it failed.
    std::optional<jm::sdk::Error> instanceError(std::string_view name) const;

private:
    struct Instance {
        InstancePlan plan;
        std::unique_ptr<InstanceContext> context;
        jm::sdk::PluginPtr plugin;
        InstanceState state = InstanceState::Planned;
        std::optional<jm::sdk::Error> error;
    };

    jm::sdk::Result<void> createInstance(Instance& instance);
    jm::sdk::Result<void> startInstance(Instance& instance);
    void stopInstance(Instance& instance);
    void stopStarted();
    void joinThreads();

    NodeConfig m_config;
    jm::sdk::Logger m_logger;
    // Made at construction so tests can subscribe before start().
    jm::sdk::EventBusPtr m_bus;
    jm::sdk::ServiceRegistryPtr m_services;
    boost::asio::io_context m_ioc;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work;
    std::unique_ptr<boost::asio::thread_pool> m_blocking;
    std::vector<std::thread> m_threads;
    std::optional<DataDirLock> m_lock;
    std::unique_ptr<RocksDbDatabase> m_database;
    std::vector<Instance> m_instances;
    std::unique_ptr<boost::asio::signal_set> m_signals;

    mutable std::mutex m_mutex;
    std::condition_variable m_shutdownCv;
    std::optional<std::string> m_shutdownReason;
    bool m_stopped = false;
};

} // namespace jm::host
