#include <jm/sdk/event_bus.hpp>

#include <boost/asio/post.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace jm::sdk {

Subscription::Subscription(std::shared_ptr<State> state) noexcept : m_state(std::move(state)) {}
Subscription::Subscription(Subscription&& other) noexcept : m_state(std::move(other.m_state)) {}
Subscription& Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        reset();
        m_state = std::move(other.m_state);
    }
    return *this;
}
Subscription::~Subscription() { reset(); }

void Subscription::reset() noexcept {
    if (!m_state) return;
    m_state->cancelled.store(true, std::memory_order_release);
    m_state->detach();
    m_state.reset();
}

bool Subscription::active() const noexcept { return m_state && !m_state->cancelled.load(std::memory_order_acquire); }

namespace {

constexpr std::string_view ALL_TOPICS = "*";
// Deliveries run per drain pass before the drain re-posts itself, so one busy subscriber
// cannot monopolise its executor.
constexpr int MAX_DELIVERIES_PER_PASS = 64;

struct Core;

struct Delivery {
    std::string_view topic; // interned in Core::topics
    std::shared_ptr<const void> payload;
    boost::json::value (*to_json)(const void*);
};

// One subscription: its own FIFO queue, drained by at most one task at a time on its executor,
// which gives per-subscriber ordering even when the executor is not a strand.
struct Subscriber final : Subscription::State, std::enable_shared_from_this<Subscriber> {
    Subscriber(std::weak_ptr<Core> core, std::string topic, Executor ex, std::function<void(const EventView&)> fn) :
        core(std::move(core)), topic(std::move(topic)), executor(std::move(ex)), callback(std::move(fn)) {}

    void detach() noexcept override;
    void enqueue(Delivery d);
    void drain();

    std::weak_ptr<Core> core;
    std::string topic;
    Executor executor;
    std::function<void(const EventView&)> callback;
    std::mutex queue_mutex;
    std::deque<Delivery> queue;
    bool scheduled = false;
};

struct Core {
    explicit Core(Logger lg) : logger(std::move(lg)) {}

    std::string_view intern(std::string_view topic) {
        return *topics.emplace(topic).first; // caller holds mutex
    }

    void finished(std::size_t n) {
        std::lock_guard lock(mutex);
        pending -= n;
        if (pending == 0) idle.notify_all();
    }

    Logger logger;
    std::mutex mutex;
    std::condition_variable idle;
    std::set<std::string, std::less<>> topics;
    std::map<std::string, std::vector<std::shared_ptr<Subscriber>>, std::less<>> subscribers;
    std::size_t pending = 0;
    bool closed = false;
    std::atomic<std::uint64_t> exceptions{0};
};

void Subscriber::detach() noexcept {
    auto c = core.lock();
    if (!c) return;
    std::lock_guard lock(c->mutex);
    auto it = c->subscribers.find(topic);
    if (it == c->subscribers.end()) return;
    std::erase_if(it->second, [this](const auto& s) { return s.get() == this; });
    if (it->second.empty()) c->subscribers.erase(it);
}

void Subscriber::enqueue(Delivery d) {
    bool post_now = false;
    {
        std::lock_guard lock(queue_mutex);
        queue.push_back(std::move(d));
        if (!scheduled) scheduled = post_now = true;
    }
    if (post_now) boost::asio::post(executor, [self = shared_from_this()] { self->drain(); });
}

void Subscriber::drain() {
    auto c = core.lock();
    for (int i = 0; i < MAX_DELIVERIES_PER_PASS; ++i) {
        Delivery d;
        {
            std::lock_guard lock(queue_mutex);
            if (queue.empty()) {
                scheduled = false;
                return;
            }
            d = std::move(queue.front());
            queue.pop_front();
        }
        // The cancelled flag is checked here, on the subscriber's executor: after reset() on
        // that executor no callback runs.
        if (!cancelled.load(std::memory_order_acquire)) {
            try {
                callback(EventView{d.topic, d.payload.get(), d.to_json});
            } catch (const std::exception& e) {
                if (c) {
                    c->exceptions.fetch_add(1);
                    JM_LOG(c->logger, error) << "event subscriber for '" << d.topic << "' threw: " << e.what();
                }
            } catch (...) {
                if (c) {
                    c->exceptions.fetch_add(1);
                    JM_LOG(c->logger, error)
                        << "event subscriber for '" << d.topic << "' threw a non-standard exception";
                }
            }
        }
        d.payload.reset(); // release before signalling idle
        if (c) c->finished(1);
    }
    boost::asio::post(executor, [self = shared_from_this()] { self->drain(); });
}

class Bus final : public EventBus {
public:
    explicit Bus(Logger logger) : m_core(std::make_shared<Core>(std::move(logger))) {}

    ~Bus() override {
        std::lock_guard lock(m_core->mutex);
        m_core->closed = true;
        m_core->subscribers.clear();
    }

    void flushForTest() override {
        std::unique_lock lock(m_core->mutex);
        m_core->idle.wait(lock, [&] { return m_core->pending == 0; });
    }

    void close() override {
        std::lock_guard lock(m_core->mutex);
        m_core->closed = true;
    }

    std::uint64_t exceptionCount() const override { return m_core->exceptions.load(); }

protected:
    Subscription subscribeErased(std::string_view topic, Executor ex,
                                 std::function<void(const EventView&)> fn) override {
        auto sub = std::make_shared<Subscriber>(m_core, std::string(topic), std::move(ex), std::move(fn));
        std::lock_guard lock(m_core->mutex);
        if (m_core->closed) return Subscription();
        m_core->subscribers[std::string(topic)].push_back(sub);
        return Subscription(std::move(sub));
    }

    void publishErased(std::string_view topic, std::shared_ptr<const void> event,
                       boost::json::value (*to_json)(const void*)) override {
        std::vector<std::shared_ptr<Subscriber>> targets;
        std::string_view interned;
        {
            std::lock_guard lock(m_core->mutex);
            if (m_core->closed) return;
            for (auto key : {topic, ALL_TOPICS}) {
                auto it = m_core->subscribers.find(key);
                if (it != m_core->subscribers.end())
                    targets.insert(targets.end(), it->second.begin(), it->second.end());
            }
            if (targets.empty()) return;
            interned = m_core->intern(topic);
            m_core->pending += targets.size();
        }
        for (auto& sub : targets)
            sub->enqueue(Delivery{interned, event, to_json});
    }

private:
    std::shared_ptr<Core> m_core;
};

} // namespace

EventBusPtr makeEventBus(Logger logger) { return std::make_unique<Bus>(std::move(logger)); }

} // namespace jm::sdk
