// The event bus rules of architecture.md 9.3, each as a test.
#include <jm/sdk/event_bus.hpp>
#include <jm/sdk/events.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>

namespace {

struct Counted {
    static constexpr std::string_view topic = "test.counted/1";
    int publisher = 0;
    int seq = 0;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Counted& c) {
        v = {{"publisher", c.publisher}, {"seq", c.seq}};
    }
};

struct Other {
    static constexpr std::string_view topic = "test.other/1";
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Other&) {
        v = boost::json::object();
    }
};

struct Fixture {
    boost::asio::thread_pool pool{4};
    jm::sdk::EventBusPtr bus = jm::sdk::makeEventBus(jm::sdk::makeLogger("bus-test"));
    ~Fixture() { pool.join(); }
    auto strand() { return boost::asio::make_strand(pool.get_executor()); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(event_bus_tests, Fixture)

BOOST_AUTO_TEST_CASE(delivers_by_topic_string_only) {
    std::atomic<int> counted{0}, other{0};
    auto s1 = bus->subscribe<Counted>(strand(), [&](const Counted&) { ++counted; });
    auto s2 = bus->subscribe<Other>(strand(), [&](const Other&) { ++other; });
    bus->publish(Counted{});
    bus->publish(Counted{});
    bus->publish(Other{});
    bus->flushForTest();
    BOOST_CHECK_EQUAL(counted.load(), 2);
    BOOST_CHECK_EQUAL(other.load(), 1);
}

BOOST_AUTO_TEST_CASE(publisher_never_runs_subscriber_code_inline) {
    std::thread::id publisher = std::this_thread::get_id();
    std::promise<std::thread::id> ran_on;
    auto sub = bus->subscribe<Other>(strand(), [&](const Other&) { ran_on.set_value(std::this_thread::get_id()); });
    bus->publish(Other{});
    BOOST_CHECK(ran_on.get_future().get() != publisher);
}

BOOST_AUTO_TEST_CASE(publish_does_not_block_on_a_slow_subscriber) {
    std::promise<void> release;
    auto gate = release.get_future().share();
    auto sub = bus->subscribe<Other>(strand(), [gate](const Other&) { gate.wait(); });
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i)
        bus->publish(Other{});
    auto elapsed = std::chrono::steady_clock::now() - t0;
    release.set_value();
    bus->flushForTest();
    // The subscriber is blocked on the gate for the whole loop; the publisher must not be.
    BOOST_CHECK(elapsed < std::chrono::seconds(2));
}

BOOST_AUTO_TEST_CASE(per_subscriber_fifo_with_concurrent_publishers) {
    constexpr int PUBLISHERS = 4, EACH = 2000;
    std::mutex mutex;
    std::vector<std::vector<int>> seen_by_publisher(PUBLISHERS);
    // Delivered on a plain (non-strand) multi-threaded executor: FIFO must still hold.
    auto sub = bus->subscribe<Counted>(pool.get_executor(), [&](const Counted& c) {
        std::lock_guard lock(mutex);
        seen_by_publisher[c.publisher].push_back(c.seq);
    });
    std::vector<std::thread> publishers;
    for (int p = 0; p < PUBLISHERS; ++p)
        publishers.emplace_back([&, p] {
            for (int i = 0; i < EACH; ++i)
                bus->publish(Counted{p, i});
        });
    for (auto& t : publishers)
        t.join();
    bus->flushForTest();
    for (int p = 0; p < PUBLISHERS; ++p) {
        BOOST_REQUIRE_EQUAL(seen_by_publisher[p].size(), static_cast<std::size_t>(EACH));
        for (int i = 0; i < EACH; ++i)
            BOOST_REQUIRE_EQUAL(seen_by_publisher[p][i], i);
    }
}

BOOST_AUTO_TEST_CASE(no_callback_after_reset_on_the_subscriber_strand) {
    auto s = strand();
    std::atomic<int> after_reset{0};
    std::atomic<bool> reset_done{false};
    jm::sdk::Subscription sub;
    std::promise<void> first;
    bool first_set = false;
    sub = bus->subscribe<Counted>(s, [&](const Counted&) {
        if (reset_done) ++after_reset;
        if (!first_set) {
            first_set = true;
            first.set_value();
        }
    });
    for (int i = 0; i < 1000; ++i)
        bus->publish(Counted{0, i});
    first.get_future().wait();
    // Unsubscribe on the subscriber's own strand while deliveries are still queued.
    std::promise<void> reset;
    boost::asio::post(s, [&] {
        sub.reset();
        reset_done = true;
        reset.set_value();
    });
    reset.get_future().wait();
    for (int i = 0; i < 100; ++i)
        bus->publish(Counted{0, i});
    bus->flushForTest();
    BOOST_CHECK_EQUAL(after_reset.load(), 0);
    BOOST_CHECK(!sub.active());
}

BOOST_AUTO_TEST_CASE(a_throwing_subscriber_is_contained) {
    std::atomic<int> good{0};
    auto bad = bus->subscribe<Other>(strand(), [](const Other&) { throw std::runtime_error("subscriber bug"); });
    auto ok = bus->subscribe<Other>(strand(), [&](const Other&) { ++good; });
    bus->publish(Other{});
    bus->publish(Other{});
    bus->flushForTest();
    BOOST_CHECK_EQUAL(good.load(), 2);
    BOOST_CHECK_EQUAL(bus->exceptionCount(), 2u);
}

BOOST_AUTO_TEST_CASE(topic_subscription_sees_json_and_wildcard_sees_all) {
    std::mutex mutex;
    std::vector<std::string> seen;
    auto all = bus->subscribeTopic("*", strand(), [&](const jm::sdk::EventView& e) {
        std::lock_guard lock(mutex);
        seen.push_back(std::string(e.topic) + " " + boost::json::serialize(e.json()));
    });
    bus->publish(jm::sdk::events::BlockConnected{101, "00ff"});
    bus->publish(Other{});
    bus->flushForTest();
    BOOST_REQUIRE_EQUAL(seen.size(), 2u);
    BOOST_CHECK_EQUAL(seen[0], "chain.block_connected/1 {\"height\":101,\"hash\":\"00ff\"}");
    BOOST_CHECK_EQUAL(seen[1], "test.other/1 {}");
}

BOOST_AUTO_TEST_CASE(closed_bus_drops_publishes_but_finishes_queued_ones) {
    std::atomic<int> n{0};
    auto sub = bus->subscribe<Other>(strand(), [&](const Other&) { ++n; });
    bus->publish(Other{});
    bus->close();
    bus->publish(Other{});
    bus->flushForTest();
    BOOST_CHECK_EQUAL(n.load(), 1);
    auto late = bus->subscribe<Other>(strand(), [&](const Other&) { ++n; });
    BOOST_CHECK(!late.active());
}

BOOST_AUTO_TEST_CASE(subscription_moves_and_destructs_cleanly) {
    std::atomic<int> n{0};
    {
        auto a = bus->subscribe<Other>(strand(), [&](const Other&) { ++n; });
        jm::sdk::Subscription b = std::move(a);
        BOOST_CHECK(!a.active());
        BOOST_CHECK(b.active());
        bus->publish(Other{});
        bus->flushForTest();
    }
    bus->publish(Other{});
    bus->flushForTest();
    BOOST_CHECK_EQUAL(n.load(), 1);
}

BOOST_AUTO_TEST_SUITE_END()
