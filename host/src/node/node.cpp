#include <node/node.hpp>

#include <plugins/barrier.hpp>

#include <jm/sdk/events.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <future>

namespace jm::host {

using jm::sdk::errc;
using jm::sdk::Result;

namespace {

// How long the I/O threads may take to drain after every instance has stopped, before the
// io_context is stopped outright.
constexpr auto DRAIN_TIMEOUT = std::chrono::seconds(5);

// Runs `f` on `ex` and waits for its result (create/start run on the instance's strand).
template <class F> auto runOn(const jm::sdk::Executor& ex, F f) -> std::invoke_result_t<F> {
    std::promise<std::invoke_result_t<F>> promise;
    auto future = promise.get_future();
    boost::asio::post(ex, [&] { promise.set_value(f()); });
    return future.get();
}

} // namespace

Node::Node(NodeConfig config, std::vector<InstancePlan> plans) :
    m_config(std::move(config)), m_logger(jm::sdk::makeLogger("host")),
    m_bus(jm::sdk::makeEventBus(jm::sdk::makeLogger("bus"))), m_services(jm::sdk::makeServiceRegistry()) {
    for (auto& p : plans)
        m_instances.push_back(Instance{std::move(p), nullptr, nullptr, InstanceState::Planned, {}});
}

Node::~Node() { stop(); }

Result<void> Node::start(bool handle_signals) {
    auto lock = DataDirLock::acquire(m_config.datadir);
    if (!lock) return lock.error();
    m_lock.emplace(std::move(*lock));
    auto db = RocksDbDatabase::open(m_config.datadir);
    if (!db) return db.error();
    m_database = std::move(*db);

    m_blocking = std::make_unique<boost::asio::thread_pool>(m_config.blocking_threads);
    m_work.emplace(m_ioc.get_executor());
    if (handle_signals) {
        m_signals = std::make_unique<boost::asio::signal_set>(m_ioc, SIGINT, SIGTERM);
        m_signals->async_wait([this](const boost::system::error_code& ec, int signo) {
            if (!ec) requestShutdown(signo == SIGINT ? "SIGINT" : "SIGTERM");
        });
    }
    for (int i = 0; i < m_config.io_threads; ++i)
        m_threads.emplace_back([this] { m_ioc.run(); });
    JM_LOG(m_logger, info) << "node starting: network " << m_config.network << ", data directory "
                           << m_config.datadir.string() << ", " << m_instances.size() << " plugin instance(s)";

    for (auto& instance : m_instances) {
        if (auto r = createInstance(instance); !r) {
            stopStarted();
            return r.error();
        }
    }
    for (auto& instance : m_instances) {
        if (auto r = startInstance(instance); !r) {
            stopStarted();
            return r.error();
        }
    }
    m_bus->publish(jm::sdk::events::NodeStarted{JMNODE_VERSION, m_config.network});
    JM_LOG(m_logger, info) << "node started";
    return {};
}

Result<void> Node::createInstance(Instance& instance) {
    const auto& name = instance.plan.name;
    auto store = m_database->openNamespace(name);
    if (!store) return store.error().withContext("instance '" + name + "'");
    instance.context = std::make_unique<InstanceContext>(name, m_ioc, *m_blocking, *m_bus, *m_services,
                                                         std::move(*store), m_config.network, m_config.datadir,
                                                         [this](std::string_view reason) { requestShutdown(reason); });
    instance.context->setWalletStoreOpener([this](std::string_view wallet) -> Result<jm::sdk::KvStorePtr> {
        // The wallets `jmnode wallet [--wallet NAME]` manages, each in its own namespace.
        auto ns = walletNamespace(wallet);
        if (!ns) return ns.error();
        return openStore(*ns);
    });
    auto* factory = instance.plan.factory;
    auto* ctx = instance.context.get();
    auto created = runOn(ctx->executor(), [&] {
        return callPlugin("create() of instance '" + name + "'",
                          [&] { return factory->create(*ctx, instance.plan.config); });
    });
    if (!created || !*created) {
        instance.state = InstanceState::Failed;
        instance.error = created
                             ? jm::sdk::Error(errc::plugin_failed, "create() of instance '" + name + "' returned null")
                             : created.error().withContext("instance '" + name + "'");
        JM_LOG(m_logger, error) << instance.error->message;
        return *instance.error;
    }
    instance.plugin = std::move(*created);
    instance.state = InstanceState::Created;
    JM_LOG(m_logger, debug) << "created instance '" << name << "' (" << instance.plan.plugin->name << "/"
                            << instance.plan.factory->name() << ")";
    return {};
}

Result<void> Node::startInstance(Instance& instance) {
    const auto& name = instance.plan.name;
    auto* plugin = instance.plugin.get();
    auto started = runOn(instance.context->executor(), [&] {
        return callPlugin("start() of instance '" + name + "'", [&] { return plugin->start(); });
    });
    if (!started) {
        instance.error = started.error().withContext("instance '" + name + "' failed to start");
        JM_LOG(m_logger, error) << instance.error->message;
        // A failed start may have opened sockets or timers: give it its stop().
        stopInstance(instance);
        instance.state = InstanceState::Failed;
        return *instance.error;
    }
    instance.state = InstanceState::Started;
    JM_LOG(m_logger, info) << "started instance '" << name << "'";
    return {};
}

void Node::stopInstance(Instance& instance) {
    struct Done {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
    };
    auto done = std::make_shared<Done>();
    auto* plugin = instance.plugin.get();
    const auto& name = instance.plan.name;
    boost::asio::post(instance.context->executor(), [plugin, done, name, this] {
        auto r = callPlugin("stop() of instance '" + name + "'", [&]() -> Result<void> {
            plugin->stop([done] {
                std::lock_guard lock(done->mutex);
                done->done = true;
                done->cv.notify_all();
            });
            return {};
        });
        if (!r) {
            JM_LOG(m_logger, error) << r.error().message;
            std::lock_guard lock(done->mutex);
            done->done = true;
            done->cv.notify_all();
        }
    });
    std::unique_lock lock(done->mutex);
    if (!done->cv.wait_for(lock, m_config.stop_timeout, [&] { return done->done; }))
        JM_LOG(m_logger, error) << "instance '" << name << "' did not stop within " << m_config.stop_timeout.count()
                                << " ms; continuing shutdown";
    instance.state = InstanceState::Stopped;
    JM_LOG(m_logger, info) << "stopped instance '" << name << "'";
}

void Node::stopStarted() {
    for (auto it = m_instances.rbegin(); it != m_instances.rend(); ++it)
        if (it->state == InstanceState::Started) stopInstance(*it);
}

std::string Node::waitForShutdown() {
    std::unique_lock lock(m_mutex);
    m_shutdownCv.wait(lock, [&] { return m_shutdownReason.has_value(); });
    return *m_shutdownReason;
}

void Node::requestShutdown(std::string_view reason) noexcept {
    try {
        std::lock_guard lock(m_mutex);
        if (m_shutdownReason) return;
        m_shutdownReason = std::string(reason);
        JM_LOG(m_logger, info) << "shutdown requested: " << reason;
    } catch (...) {
    }
    m_shutdownCv.notify_all();
}

void Node::joinThreads() {
    m_work.reset();
    if (m_signals) {
        boost::system::error_code ec;
        m_signals->cancel(ec);
    }
    // Instances have cancelled their I/O; give queued handlers a moment, then stop outright. A
    // node whose start failed before its threads ran (data directory locked) has nothing to drain.
    if (!m_threads.empty()) {
        auto deadline = std::chrono::steady_clock::now() + DRAIN_TIMEOUT;
        while (!m_ioc.stopped() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!m_ioc.stopped()) {
            JM_LOG(m_logger, warning) << "I/O still pending " << DRAIN_TIMEOUT.count()
                                      << " s after every instance stopped; "
                                      << "stopping the event loop";
            m_ioc.stop();
        }
    }
    for (auto& t : m_threads)
        t.join();
    m_threads.clear();
    if (m_blocking) m_blocking->join();
}

void Node::stop() {
    if (m_stopped) return;
    m_stopped = true;
    if (m_bus) {
        std::string reason;
        {
            std::lock_guard lock(m_mutex);
            reason = m_shutdownReason.value_or("stop");
        }
        m_bus->publish(jm::sdk::events::NodeStopping{reason});
        m_bus->close();
    }
    stopStarted();
    joinThreads();
    // Destroy in reverse creation order; a provider's registration goes before the object.
    for (auto it = m_instances.rbegin(); it != m_instances.rend(); ++it) {
        if (m_services) m_services->removeInstance(it->plan.name);
        it->plugin.reset();
        it->context.reset();
    }
    m_signals.reset();
    m_bus.reset();
    m_services.reset();
    m_blocking.reset();
    m_database.reset();
    m_lock.reset();
    if (!m_instances.empty() || m_lock) JM_LOG(m_logger, info) << "node stopped";
}

jm::sdk::Result<jm::sdk::KvStorePtr> Node::openStore(std::string_view name) {
    if (!m_database) return jm::sdk::fail(jm::sdk::errc::unavailable, "the node is not started");
    return m_database->openNamespace(name);
}

std::vector<std::pair<std::string, InstanceState>> Node::instanceStates() const {
    std::vector<std::pair<std::string, InstanceState>> out;
    for (const auto& i : m_instances)
        out.emplace_back(i.plan.name, i.state);
    return out;
}

jm::sdk::Plugin* Node::instance(std::string_view name) const {
    for (const auto& i : m_instances)
        if (i.plan.name == name) return i.plugin.get();
    return nullptr;
}

std::optional<jm::sdk::Error> Node::instanceError(std::string_view name) const {
    for (const auto& i : m_instances)
        if (i.plan.name == name) return i.error;
    return std::nullopt;
}

} // namespace jm::host
