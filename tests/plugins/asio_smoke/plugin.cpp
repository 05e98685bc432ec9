// Creates a steady_timer and a post on its strand of the host's io_context and reports when
// both handlers ran on that strand. Guards the one-toolchain rule (architecture.md 10.4): with a
// mismatched Asio the plugin would get its own reactor and the timer would never fire.
#include "../common/single_factory.hpp"
#include "../common/smoke_result.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>

namespace {

class AsioSmoke final : public jm::sdk::Plugin {
public:
    explicit AsioSmoke(jm::sdk::PluginContext& ctx) : m_ctx(ctx), m_timer(ctx.executor()) {}

    jm::sdk::Result<void> start() override {
        m_timer.expires_after(std::chrono::milliseconds(20));
        m_timer.async_wait([this](const boost::system::error_code& ec) {
            m_timerOk = !ec && onStrand();
            report();
        });
        boost::asio::post(m_ctx.executor(), [this] {
            m_postOk = onStrand();
            report();
        });
        return {};
    }

    void stop(std::function<void()> done) override {
        m_timer.cancel();
        done();
    }

private:
    bool onStrand() const {
        auto executor = m_ctx.executor(); // target() points into this object: keep it alive
        auto* strand = executor.target<boost::asio::strand<boost::asio::io_context::executor_type>>();
        return strand && strand->running_in_this_thread();
    }
    void report() {
        if (++m_fired < 2) return;
        m_ctx.bus().publish(jm::test::SmokeResult{"asio", m_timerOk && m_postOk,
                                                  std::string("timer ") + (m_timerOk ? "ok" : "bad") + ", post " +
                                                      (m_postOk ? "ok" : "bad")});
    }

    jm::sdk::PluginContext& m_ctx;
    boost::asio::steady_timer m_timer;
    int m_fired = 0;
    bool m_timerOk = false;
    bool m_postOk = false;
};

class Module final : public jm::test::SingleFactoryModule {
public:
    Module() :
        SingleFactoryModule(
            "asio_smoke", {},
            [](jm::sdk::PluginContext& ctx, const boost::json::object&) -> jm::sdk::Result<jm::sdk::PluginPtr> {
                return std::make_unique<AsioSmoke>(ctx);
            }) {}
};

} // namespace

JM_PLUGIN_ENTRY("asio_smoke", "0.0.1", Module)
