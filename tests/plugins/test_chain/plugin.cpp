// A backend instance over the SDK's TestChain, for integration tests of `jmnode wallet
// sync|info|utxos|send` without Bitcoin Core. A CLI command is one process, so the chain is
// rebuilt at every start from a JSON state file the test writes, and every transaction the
// node broadcasts is appended to that file (the next command sees it mined; the test reads it):
//   {"coins": [{"address": "bcrt1...", "value": 100000000}, ...],  funded in order, then
//    "blocks": 3,                                                   blocks mined on top (>= 1),
//    "broadcast": ["<tx hex>", ...]}                                replayed, one block each.
// Test-only: built into the test plugin directory, never installed.
#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/sdk/abi.hpp>
#include <jm/sdk/config.hpp>
#include <jm/sdk/plugin.hpp>
#include <jm/sdk/testing/test_chain.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <mutex>
#include <sstream>

namespace {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

Result<boost::json::object> readState(const std::string& path) {
    std::ifstream in(path);
    if (!in) return fail(errc::invalid_config, "cannot read test chain state " + path);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    if (ec || !v.is_object()) return fail(errc::invalid_config, "test chain state " + path + " is not a JSON object");
    return v.as_object();
}

class TestChainBackend final : public jm::chain::BlockchainBackend, public jm::sdk::Plugin {
public:
    explicit TestChainBackend(std::string state_path) : m_path(std::move(state_path)) {}

    // Builds the chain the state file describes. Errors: invalid_config naming the problem.
    Result<void> load(jm::bitcoin::Network network) {
        auto state = readState(m_path);
        if (!state) return state.error();
        try {
            if (const auto* coins = state->if_contains("coins"))
                for (const auto& c : coins->as_array()) {
                    auto script = jm::bitcoin::addressToScript(c.at("address").as_string(), network);
                    if (!script) return fail(errc::invalid_config, "test chain coin: " + script.error().message);
                    m_chain.fund(*script, c.at("value").to_number<std::int64_t>());
                }
            std::int64_t blocks = 1;
            if (const auto* b = state->if_contains("blocks")) blocks = b->to_number<std::int64_t>();
            m_chain.mine(static_cast<int>(std::max<std::int64_t>(1, blocks)));
            if (const auto* sent = state->if_contains("broadcast"))
                for (const auto& hex : sent->as_array()) {
                    auto tx = jm::bitcoin::fromHex(hex.as_string());
                    if (!tx) return fail(errc::invalid_config, "test chain state: bad transaction hex");
                    if (auto r = m_chain.submit(*tx); !r)
                        return fail(errc::invalid_config, "test chain state: replay refused: " + r.error().message);
                    m_chain.mine();
                }
        } catch (const std::exception& e) {
            return fail(errc::invalid_config, std::string("test chain state: ") + e.what());
        }
        return {};
    }

    Result<void> start() override { return {}; }
    void stop(std::function<void()> done) override { done(); }

    void tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) override {
        m_chain.tip(std::move(ex), std::move(done));
    }
    void scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                    jm::chain::Callback<jm::chain::WalletScan> done) override {
        m_chain.scanWallet(std::move(request), std::move(progress), std::move(ex), std::move(done));
    }
    void getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                  jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) override {
        m_chain.getTxOut(outpoint, std::move(ex), std::move(done));
    }
    void getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) override {
        m_chain.getTransaction(std::move(txid), std::move(ex), std::move(done));
    }
    void broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) override {
        auto hex = jm::bitcoin::toHex(tx);
        m_chain.broadcast(std::move(tx), std::move(ex),
                          [this, hex = std::move(hex), done = std::move(done)](Result<std::string> r) {
                              if (r) record(hex);
                              done(std::move(r));
                          });
    }
    void estimateFee(int target, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) override {
        m_chain.estimateFee(target, std::move(ex), std::move(done));
    }
    void watchTransaction(std::string txid, std::int32_t final_depth) override {
        m_chain.watchTransaction(std::move(txid), final_depth);
    }
    void unwatchTransaction(std::string txid) override { m_chain.unwatchTransaction(std::move(txid)); }

private:
    void record(const std::string& hex) {
        std::lock_guard lock(m_mutex);
        auto state = readState(m_path);
        if (!state) return;
        if (!state->contains("broadcast")) (*state)["broadcast"] = boost::json::array();
        (*state)["broadcast"].as_array().push_back(boost::json::string(hex));
        std::ofstream(m_path, std::ios::trunc) << boost::json::serialize(*state) << "\n";
    }

    std::string m_path;
    std::mutex m_mutex;
    jm::sdk::testing::TestChain m_chain;
};

jm::sdk::ConfigSchema schema() {
    jm::sdk::ConfigSchema s;
    s.required("state", jm::sdk::ConfigType::String, "JSON file describing the chain (see plugin.cpp)");
    return s;
}

class Factory final : public jm::sdk::PluginFactory {
public:
    std::string_view kind() const override { return "backend"; }
    std::string_view name() const override { return "test_chain"; }
    std::string_view description() const override { return "TEST ONLY: the SDK's TestChain as a backend"; }
    const jm::sdk::ConfigSchema& configSchema() const override { return m_schema; }
    std::vector<std::string> provides() const override { return {"backend/1"}; }
    Result<jm::sdk::PluginPtr> create(jm::sdk::PluginContext& ctx, const boost::json::object& config) override {
        auto network = jm::bitcoin::parseNetwork(ctx.network());
        if (!network) return network.error();
        auto backend = std::make_unique<TestChainBackend>(*jm::sdk::configString(config, "state"));
        if (auto r = backend->load(*network); !r) return r.error();
        if (auto r = ctx.services().provide<jm::chain::BlockchainBackend>(ctx.instanceName(), *backend); !r)
            return r.error();
        return jm::sdk::PluginPtr(std::move(backend));
    }

private:
    jm::sdk::ConfigSchema m_schema = schema();
};

class Module final : public jm::sdk::PluginModule {
public:
    std::span<jm::sdk::PluginFactory* const> factories() override { return m_list; }

private:
    Factory m_factory;
    jm::sdk::PluginFactory* m_list[1] = {&m_factory};
};

} // namespace

JM_PLUGIN_ENTRY("test_chain", "0.0.1", Module)
