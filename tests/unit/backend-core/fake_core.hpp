// Test helpers of the Bitcoin Core backend: an HTTP server answering JSON-RPC like Bitcoin Core
// (results, errors, recorded replies, or a handler per method) and a running backend.
#pragma once

#include <core_backend.hpp>

#include <jm/bitcoin/descriptor.hpp>

#include <jm/sdk/testing/test_context.hpp>

#include <util/http_test_server.hpp>
#include <util/vectors.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace jm::test::core {

using namespace jm::plugins::backend_core;
namespace json = boost::json;

//! Answers JSON-RPC by method from a table of results or errors, like Bitcoin Core does (HTTP 200
//! for results, 500 with an error object for RPC errors, 404 for unknown methods).
class FakeCore {
public:
    FakeCore() {
        server.setResponder([this](const jm::test::HttpTestServer::Request& r) { return answer(r); });
    }
    void result(const std::string& method, json::value v) {
        std::lock_guard lock(m_mutex);
        m_results[method] = std::move(v);
        m_errors.erase(method);
    }
    void error(const std::string& method, int code, const std::string& message) {
        std::lock_guard lock(m_mutex);
        m_errors[method] = {code, message};
    }
    //! Answers `method` with what `fn` returns for the call's params (rpcError() for an error);
    //! nullopt falls back to the result/error tables. Runs on the server's threads (it may
    //! sleep, to stall an answer).
    using Handler = std::function<std::optional<json::value>(const json::array& params)>;
    void handler(const std::string& method, Handler fn) {
        std::lock_guard lock(m_mutex);
        m_handlers[method] = std::move(fn);
    }
    //! How many calls of `method` arrived.
    std::size_t count(const std::string& method) {
        std::size_t n = 0;
        for (auto& c : calls())
            n += c.at("method").as_string() == method ? 1 : 0;
        return n;
    }
    //! Answers `method` with a recorded HTTP status and body.
    void recorded(const std::string& method, int http_status, std::string body) {
        std::lock_guard lock(m_mutex);
        m_recorded[method] = {http_status, std::move(body)};
    }
    void status(int http_status) {
        std::lock_guard lock(m_mutex);
        m_status = http_status;
    }
    std::vector<json::object> calls() {
        std::vector<json::object> out;
        for (const auto& r : server.received())
            out.push_back(json::parse(r.body).as_object());
        return out;
    }
    json::object lastCall(const std::string& method) {
        json::object found;
        for (auto& c : calls())
            if (c.at("method").as_string() == method) found = c;
        return found;
    }
    jm::test::HttpTestServer server;

private:
    jm::test::HttpTestServer::Response answer(const jm::test::HttpTestServer::Request& r) {
        auto body = json::parse(r.body).as_object();
        std::string method(body.at("method").as_string());
        Handler fn;
        {
            std::lock_guard lock(m_mutex);
            if (auto h = m_handlers.find(method); h != m_handlers.end()) fn = h->second;
        }
        if (fn)
            if (auto v = fn(body.at("params").as_array())) {
                if (auto* e = v->is_object() ? v->as_object().if_contains("__rpc_error") : nullptr)
                    return {500,
                            json::serialize(json::object{{"id", body.at("id")}, {"result", nullptr}, {"error", *e}}),
                            "application/json"};
                return {200, json::serialize(json::object{{"id", body.at("id")}, {"result", *v}, {"error", nullptr}}),
                        "application/json"};
            }
        std::lock_guard lock(m_mutex);
        if (m_status != 200) return {m_status, "", "text/html"};
        if (auto rec = m_recorded.find(method); rec != m_recorded.end())
            return {rec->second.first, rec->second.second, "application/json"};
        json::object reply{{"id", body.at("id")}};
        if (auto e = m_errors.find(method); e != m_errors.end()) {
            reply["result"] = nullptr;
            reply["error"] = {{"code", e->second.first}, {"message", e->second.second}};
            return {e->second.first == -32601 ? 404 : 500, json::serialize(reply), "application/json"};
        }
        auto it = m_results.find(method);
        if (it == m_results.end()) {
            reply["result"] = nullptr;
            reply["error"] = {{"code", -32601}, {"message", "Method not found"}};
            return {404, json::serialize(reply), "application/json"};
        }
        reply["result"] = it->second;
        reply["error"] = nullptr;
        return {200, json::serialize(reply), "application/json"};
    }
    std::mutex m_mutex;
    std::map<std::string, json::value> m_results;
    std::map<std::string, std::pair<int, std::string>> m_errors;
    std::map<std::string, std::pair<int, std::string>> m_recorded;
    std::map<std::string, Handler> m_handlers;
    int m_status = 200;
};

//! What a FakeCore::Handler returns for an RPC error.
inline json::value rpcError(int code, const std::string& message) {
    return json::object{{"__rpc_error", json::object{{"code", code}, {"message", message}}}};
}

//! The descriptors of a watch-only wallet in a FakeCore, answering listdescriptors and
//! importdescriptors like Bitcoin Core: an import adds or widens a descriptor (refusing a
//! narrower range, as Core does) and sets its timestamp (-1 for "now"); rescanblockchain is
//! recorded.
struct FakeCoreWallet {
    struct Desc {
        std::int64_t end = 0; // exclusive; 0 unranged
        std::int64_t next = 0;
        std::int64_t timestamp = 0;
    };
    explicit FakeCoreWallet(FakeCore& core) {
        answerRescans(core);
        core.handler("listdescriptors", [this](const json::array&) -> std::optional<json::value> {
            std::lock_guard lock(mutex);
            json::array list;
            for (const auto& [desc, d] : descs) {
                json::object o{{"desc", desc}, {"timestamp", d.timestamp}, {"active", false}};
                if (d.end > 0) {
                    o["range"] = json::array{0, d.end - 1};
                    o["next"] = d.next;
                    o["next_index"] = d.next;
                }
                list.push_back(std::move(o));
            }
            if (widen_after_next_list > 0) { // an earlier import finishing right after this answer
                for (auto& [desc, d] : descs)
                    if (d.end > 0) d.end = std::max(d.end, widen_after_next_list);
                widen_after_next_list = 0;
            }
            return json::object{{"wallet_name", "jm-test"}, {"descriptors", std::move(list)}};
        });
        core.handler("importdescriptors", [this](const json::array& params) -> std::optional<json::value> {
            std::lock_guard lock(mutex);
            imports.push_back(params.at(0).as_array());
            json::array results;
            for (const auto& i : params.at(0).as_array()) {
                auto& d = descs[std::string(i.at("desc").as_string())];
                std::int64_t end = 0;
                if (auto* r = i.as_object().if_contains("range")) end = r->as_array()[1].to_number<std::int64_t>() + 1;
                if (end < d.end) { // Core answers per descriptor
                    results.push_back(
                        json::object{{"success", false},
                                     {"error", json::object{{"code", -8},
                                                            {"message", "new range must include current range = [0," +
                                                                            std::to_string(d.end - 1) + "]"}}}});
                    continue;
                }
                d.end = end;
                d.timestamp = i.at("timestamp").is_string() ? -1 : i.at("timestamp").to_number<std::int64_t>();
                results.push_back(json::object{{"success", true}});
            }
            return results;
        });
    }
    //! Also answers rescanblockchain (recording the start heights).
    void answerRescans(FakeCore& core) {
        core.handler("rescanblockchain", [this](const json::array& params) -> std::optional<json::value> {
            std::lock_guard lock(mutex);
            auto start = params.empty() ? 0 : params.at(0).to_number<std::int64_t>();
            rescans.push_back(start);
            return json::object{{"start_height", start}, {"stop_height", 150}};
        });
    }
    std::vector<std::int64_t> rescanned() {
        std::lock_guard lock(mutex);
        return rescans;
    }
    //! Adds a descriptor as if imported earlier (e.g. by an import Core stopped during).
    void add(const std::string& desc_without_checksum, std::int64_t end, std::int64_t next = 0) {
        std::lock_guard lock(mutex);
        descs[jm::bitcoin::withDescriptorChecksum(desc_without_checksum).value()] = {end, next, 0};
    }
    //! The next listdescriptors answer is the last before Core widens every ranged descriptor to
    //! `end` (set with the mutex held).
    std::int64_t widen_after_next_list = 0;
    std::vector<json::array> imported() {
        std::lock_guard lock(mutex);
        return imports;
    }
    std::mutex mutex;
    std::map<std::string, Desc> descs;
    std::vector<json::array> imports;
    std::vector<std::int64_t> rescans;
};

inline json::value chainInfo(const std::string& chain = "regtest", bool ibd = false, bool pruned = false,
                             int prune_height = 0) {
    json::object info{{"chain", chain},
                      {"blocks", 150},
                      {"headers", 150},
                      {"bestblockhash", "3f9a1b8e0c6d4e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f"},
                      {"difficulty", 4.656542373906925e-10},
                      {"verificationprogress", ibd ? 0.42 : 1},
                      {"initialblockdownload", ibd},
                      {"chainwork", "000000000000000000000000000000000000000000000000000000000000012e"},
                      {"size_on_disk", 45678},
                      {"pruned", pruned},
                      {"warnings", json::array{}}};
    if (pruned) info["pruneheight"] = prune_height;
    return info;
}

//! A running context with the backend created on its strand.
struct Harness {
    explicit Harness(FakeCore& core, std::string network = "regtest", int retries = 1,
                     std::chrono::milliseconds rescan_timeout = std::chrono::seconds(5)) :
        ctx("core", network) {
        thread = std::thread([this] {
            auto guard = boost::asio::make_work_guard(ctx.ioContext());
            ctx.ioContext().run();
        });
        RpcSettings rpc;
        rpc.port = core.server.port();
        rpc.user = "jm";
        rpc.password = "secret";
        rpc.timeout = std::chrono::milliseconds(500);
        rpc.retries = retries;
        rpc.retry_delay = std::chrono::milliseconds(10);
        CoreSettings settings;
        settings.rpc = rpc;
        settings.poll_interval = std::chrono::milliseconds(100);
        settings.rescan_timeout = rescan_timeout;
        backend = std::make_unique<CoreBackend>(ctx, settings);
    }
    template <class F> auto onStrand(F f) {
        std::packaged_task<decltype(f())()> task(std::move(f));
        auto future = task.get_future();
        boost::asio::post(ctx.executor(), [&] { task(); });
        return future.get();
    }
    ~Harness() {
        onStrand([&] {
            backend->stop([] {});
            return 0;
        });
        ctx.ioContext().stop();
        thread.join();
    }
    //! Calls a service member and waits for its completion.
    template <class T, class Call> jm::sdk::Result<T> wait(Call call) {
        std::promise<jm::sdk::Result<T>> promise;
        call(ctx.executor(), [&](jm::sdk::Result<T> r) { promise.set_value(std::move(r)); });
        auto future = promise.get_future();
        BOOST_REQUIRE(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        return future.get();
    }
    jm::sdk::testing::TestContext ctx;
    std::thread thread;
    std::unique_ptr<CoreBackend> backend;
};

inline bool member_feerate(const json::value& v) { return v.is_object() && v.as_object().contains("feerate"); }

inline const std::string TPUB =
    "tpubDCBWBScQPGv4Xk3JSbhw6wYYpayMjb2eAYyArpbSqQTbLDpphHGAetB6VQgVeftLML8vDSUEWcC2xDi3qJJ3YCDChJDvqVzpgoYSuT52MhJ";

//! tests/data/core_rpc: replies recorded from Bitcoin Core (see each file's "source").
inline json::object recordedReply(const std::string& name) {
    return jm::test::loadVectors("../core_rpc/" + name + ".json").as_object();
}

inline RpcResult replay(const std::string& name) {
    auto r = recordedReply(name);
    return parseRpcReply(static_cast<unsigned>(r.at("status").to_number<int>()), r.at("body").as_string());
}

} // namespace jm::test::core
