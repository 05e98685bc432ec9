#pragma once

#include <jm/sdk/testing/test_context.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <future>
#include <thread>

namespace jm::test {

//! A TestContext whose io_context runs on a background thread, with a helper to run code on
//! the instance's strand and wait for it (as the host does for create/start/stop).
class RunningContext {
public:
    explicit RunningContext(std::string instance = "notify") : m_ctx(std::move(instance)) {
        m_thread = std::thread([this] {
            auto guard = boost::asio::make_work_guard(m_ctx.ioContext());
            m_ctx.ioContext().run();
        });
    }
    ~RunningContext() {
        m_ctx.ioContext().stop();
        m_thread.join();
    }
    jm::sdk::testing::TestContext& ctx() { return m_ctx; }

    template <class F> auto onStrand(F f) -> decltype(f()) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(m_ctx.executor(), [&] { task(); });
        return future.get();
    }

private:
    jm::sdk::testing::TestContext m_ctx;
    std::thread m_thread;
};

} // namespace jm::test
