#pragma once

#include <jm/sdk/executor.hpp>
#include <jm/sdk/export.hpp>
#include <jm/sdk/log.hpp>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace jm::sdk {

class EventBus;

//! A published event seen through a topic subscription: the payload (the publisher's E) and its
//! JSON form. Ownership: valid during the callback only.
struct JM_SDK_API EventView {
    std::string_view topic;
    const void* payload = nullptr;
    boost::json::value (*to_json)(const void*) = nullptr;
    //! The event as JSON (E's boost::json::value_from conversion).
    boost::json::value json() const { return to_json(payload); }
};

//! Move-only RAII handle of one subscription. Destroying it or calling reset() unsubscribes.
//! Guarantee: once reset() has returned on the subscriber's own executor (strand), no further
//! callback of this subscription runs, even for events already queued.
//! Executor: reset() and the destructor may be called from any thread; the guarantee above
//! holds when called on the subscriber's strand.
class JM_SDK_API Subscription {
public:
    //! Shared between the handle and the queued deliveries; set once on unsubscribe.
    struct State {
        std::atomic<bool> cancelled{false};
        virtual ~State();
        //! Called once by reset(): drops the subscriber from the bus. noexcept by contract.
        virtual void detach() noexcept = 0;
    };

    Subscription() noexcept = default;
    explicit Subscription(std::shared_ptr<State> state) noexcept;
    Subscription(Subscription&& other) noexcept;
    Subscription& operator=(Subscription&& other) noexcept;
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;
    ~Subscription();

    //! Unsubscribes; idempotent. Errors: none.
    void reset() noexcept;
    //! True while subscribed.
    bool active() const noexcept;

private:
    std::shared_ptr<State> m_state;
};

//! Publish/subscribe notifications between plugins (not requests: use services for those).
//!
//! Events are immutable value types with a `static constexpr std::string_view topic`, a string
//! with a version suffix such as "chain.block_connected/1", and a boost::json::value_from
//! conversion (a tag_invoke overload) so notifiers can forward any event. Topics are matched as
//! strings, never by typeid, so the bus works across shared objects.
//!
//! Delivery rules:
//! * publish() never blocks on subscribers and never runs subscriber code inline; each delivery
//!   is posted to the subscriber's executor;
//! * per subscriber, events arrive in the order they were published (from one thread); there is
//!   no ordering promise across subscribers;
//! * a callback that throws is logged and counted (exceptionCount()), and delivery continues;
//! * after close() (host shutdown) publish() drops events.
class JM_SDK_API EventBus {
public:
    virtual ~EventBus();

    //! Subscribes `fn` to events of type E, delivered on `ex` (normally ctx.executor()).
    //! Ownership: `fn` is moved into the bus and destroyed after unsubscribe.
    //! Executor: any. Errors: none (a closed bus returns an inactive Subscription).
    template <class E> [[nodiscard]] Subscription subscribe(Executor ex, std::function<void(const E&)> fn) {
        return subscribeErased(E::topic, std::move(ex),
                               [fn = std::move(fn)](const EventView& e) { fn(*static_cast<const E*>(e.payload)); });
    }

    //! Publishes an event to every current subscriber of E::topic. Executor: any. Never blocks.
    template <class E> void publish(E event) {
        publishErased(E::topic, std::make_shared<const E>(std::move(event)),
                      [](const void* p) { return boost::json::value_from(*static_cast<const E*>(p)); });
    }

    //! Subscribes to a topic by name; for bridges such as notifiers that forward many topics as
    //! JSON. "*" subscribes to every topic. Executor: any.
    [[nodiscard]] Subscription subscribeTopic(std::string_view topic, Executor ex,
                                              std::function<void(const EventView&)> fn) {
        return subscribeErased(topic, std::move(ex), std::move(fn));
    }

    //! Blocks until every delivery queued so far has run (or was cancelled). For tests only;
    //! must not be called from a thread the deliveries need. Executor: a non-I/O thread.
    virtual void flushForTest() = 0;
    //! Stops accepting publishes; already-queued deliveries still run. Executor: any.
    virtual void close() = 0;
    //! Number of subscriber callbacks that threw. Executor: any.
    virtual std::uint64_t exceptionCount() const = 0;

protected:
    virtual Subscription subscribeErased(std::string_view topic, Executor ex,
                                         std::function<void(const EventView&)> fn) = 0;
    virtual void publishErased(std::string_view topic, std::shared_ptr<const void> event,
                               boost::json::value (*to_json)(const void*)) = 0;
};

using EventBusPtr = std::unique_ptr<EventBus>;

//! The SDK's event bus implementation, used by the host and by tests (the real semantics, not a
//! fake). `logger` receives the exception-firewall records. Executor: any.
JM_SDK_API EventBusPtr makeEventBus(Logger logger);

} // namespace jm::sdk
