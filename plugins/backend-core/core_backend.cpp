#include "core_backend.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/descriptor.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/sdk/events.hpp>

#include <boost/asio/post.hpp>

#include <cmath>
#include <set>

namespace jm::plugins::backend_core {

using jm::sdk::errc;
using jm::sdk::fail;
namespace json = boost::json;

namespace {

template <class T> void reply(jm::sdk::Executor ex, jm::chain::Callback<T> done, jm::sdk::Result<T> result) {
    boost::asio::post(ex, [done = std::move(done), result = std::move(result)]() mutable { done(std::move(result)); });
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Settings

const jm::sdk::ConfigSchema& CoreSettings::schema() {
    static const jm::sdk::ConfigSchema s = [] {
        jm::sdk::ConfigSchema schema;
        schema.optional("rpc_host", jm::sdk::ConfigType::String, "127.0.0.1", "Bitcoin Core's RPC address (an IP)");
        schema.bounded("rpc_port", jm::sdk::ConfigType::Int, 0, 0, 65535,
                       "RPC port; 0 = the network's default (8332, 18332, 38332, 18443)");
        schema.optional("rpc_user", jm::sdk::ConfigType::String, "", "RPC user (with rpc_password); else the cookie");
        schema.optional("rpc_password", jm::sdk::ConfigType::String, "", "RPC password");
        schema.optional("rpc_cookie", jm::sdk::ConfigType::String, "",
                        "cookie file; default ~/.bitcoin/<network dir>/.cookie");
        schema.optional("timeout", jm::sdk::ConfigType::Duration, "30s", "time allowed for one RPC call");
        schema.bounded("retries", jm::sdk::ConfigType::Int, 3, 0, 20,
                       "extra attempts when the node cannot be reached or times out");
        schema.optional("rescan_timeout", jm::sdk::ConfigType::Duration, "6h",
                        "time allowed for importing the wallet with a rescan from its birthday");
        schema.optional("poll_interval", jm::sdk::ConfigType::Duration, "2s",
                        "how often new blocks and watched transactions are checked");
        schema.optional("fallback_fee_sat_vb", jm::sdk::ConfigType::Double, 10.0,
                        "fee rate used when Core has no estimate (regtest, a fresh node)");
        return schema;
    }();
    return s;
}

jm::sdk::Result<CoreSettings> CoreSettings::fromConfig(const json::object& config, std::string_view network) {
    CoreSettings s;
    try {
        s.rpc.host = jm::sdk::configString(config, "rpc_host").value();
        auto port = jm::sdk::configInt(config, "rpc_port").value();
        if (port == 0)
            port = network == "mainnet" ? 8332 : network == "testnet" ? 18332 : network == "signet" ? 38332 : 18443;
        s.rpc.port = static_cast<std::uint16_t>(port);
        s.rpc.user = jm::sdk::configString(config, "rpc_user").value();
        s.rpc.password = jm::sdk::configString(config, "rpc_password").value();
        auto cookie = jm::sdk::configString(config, "rpc_cookie").value();
        if (cookie.empty()) {
            const char* home = std::getenv("HOME");
            std::string dir = network == "mainnet" ? "" : network == "testnet" ? "testnet3" : std::string(network);
            cookie = std::string(home ? home : ".") + "/.bitcoin/" + (dir.empty() ? "" : dir + "/") + ".cookie";
        } else if (cookie.starts_with("~/")) {
            const char* home = std::getenv("HOME");
            cookie = std::string(home ? home : ".") + cookie.substr(1);
        }
        s.rpc.cookie_file = cookie;
        s.rpc.timeout = jm::sdk::configDuration(config, "timeout").value();
        s.rpc.retries = static_cast<int>(jm::sdk::configInt(config, "retries").value());
        s.rescan_timeout = jm::sdk::configDuration(config, "rescan_timeout").value();
        s.poll_interval = jm::sdk::configDuration(config, "poll_interval").value();
        s.fallback_fee = std::llround(jm::sdk::configDouble(config, "fallback_fee_sat_vb").value() * 1000);
    } catch (const std::exception& e) {
        return fail(errc::invalid_config, e.what());
    }
    if (s.rpc.user.empty() != s.rpc.password.empty())
        return fail(errc::invalid_config, "rpc_user and rpc_password go together");
    boost::system::error_code ec;
    boost::asio::ip::make_address(s.rpc.host, ec);
    if (ec) return fail(errc::invalid_config, "rpc_host must be an IP address");
    return s;
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

CoreBackend::CoreBackend(jm::sdk::PluginContext& ctx, CoreSettings settings) :
    m_ctx(ctx), m_settings(std::move(settings)), m_rpc(std::make_shared<RpcClient>(ctx.executor(), m_settings.rpc)),
    m_progressRpc(std::make_shared<RpcClient>(ctx.executor(), m_settings.rpc)), m_pollTimer(ctx.executor()) {}

CoreBackend::~CoreBackend() = default;

void CoreBackend::rpc(std::string method, json::array params, std::string wallet,
                      std::function<void(jm::sdk::Result<json::value>)> done,
                      std::optional<std::chrono::milliseconds> timeout) {
    auto name = method;
    m_rpc->call(
        std::move(method), std::move(params), std::move(wallet),
        [name, done = std::move(done)](RpcResult r) {
            if (auto* failure = std::get_if<RpcFailure>(&r)) return done(toBackendError(*failure, name));
            done(std::move(std::get<json::value>(r)));
        },
        timeout);
}

void CoreBackend::chainState(std::function<void(jm::sdk::Result<ChainState>)> done) {
    rpc("getblockchaininfo", {}, "", [this, done = std::move(done)](jm::sdk::Result<json::value> r) {
        if (!r) return done(r.error());
        auto s = readChainState(*r);
        if (!s) return done(s.error());
        if (!chainMatches(s->chain, m_ctx.network()))
            return done(fail(errc::invalid_config, "Bitcoin Core runs chain '" + s->chain +
                                                       "' but jmnode is configured for " +
                                                       std::string(m_ctx.network())));
        done(std::move(*s));
    });
}

jm::sdk::Result<void> CoreBackend::start() {
    chainState([this](jm::sdk::Result<ChainState> s) {
        if (!s) {
            JM_LOG(m_ctx.logger(), error)
                << "Bitcoin Core at " << m_settings.rpc.host << ":" << m_settings.rpc.port << ": " << s.error().message;
            if (s.error().code == errc::invalid_config || s.error().code == errc::permission_denied)
                m_ctx.requestShutdown(s.error().message);
            return;
        }
        JM_LOG(m_ctx.logger(), info) << "Bitcoin Core (" << s->chain << ") at height " << s->blocks
                                     << (s->initial_block_download ? ", still syncing" : "");
    });
    poll();
    return {};
}

void CoreBackend::stop(std::function<void()> done) {
    m_stopping = true;
    m_pollTimer.cancel();
    m_rpc->close();
    m_progressRpc->close();
    done();
}

void CoreBackend::poll() {
    if (m_stopping) return;
    m_pollTimer.expires_after(m_settings.poll_interval);
    m_pollTimer.async_wait([this](boost::system::error_code ec) {
        if (ec || m_stopping) return;
        rpc("getbestblockhash", {}, "", [this](jm::sdk::Result<json::value> hash) {
            if (!hash || !hash->is_string() || hash->as_string() == m_lastTip) {
                pollWatched();
                return poll();
            }
            std::string best(hash->as_string());
            rpc("getblockcount", {}, "", [this, best](jm::sdk::Result<json::value> count) {
                if (count && count->is_int64()) {
                    bool first = m_lastTip.empty();
                    m_lastTip = best;
                    if (!first)
                        m_ctx.bus().publish(
                            jm::sdk::events::BlockConnected{static_cast<std::int32_t>(count->as_int64()), best});
                }
                pollWatched();
                poll();
            });
        });
    });
}

void CoreBackend::pollWatched() {
    for (auto& [txid, last] : m_watched) {
        auto id = txid;
        auto handle = [this, id](int confirmations, std::int32_t height) {
            auto& previous = m_watched[id];
            if (confirmations == previous) return;
            if (confirmations >= 0 && previous < 0) m_ctx.bus().publish(jm::sdk::events::TxSeen{id});
            if (confirmations > 0) m_ctx.bus().publish(jm::sdk::events::TxConfirmed{id, confirmations, height});
            if (confirmations <= 0 && previous > 0) m_ctx.bus().publish(jm::sdk::events::TxReorged{id});
            previous = confirmations;
        };
        auto lookup = [handle](jm::sdk::Result<json::value> r) {
            if (!r) return; // not known (yet)
            auto confirmations = static_cast<int>(jsonInt(*r, "confirmations").value_or(0));
            auto height = static_cast<std::int32_t>(jsonInt(*r, "blockheight").value_or(0));
            handle(std::max(confirmations, 0), height);
        };
        if (!m_walletName.empty())
            rpc("gettransaction", {id, true}, m_walletName, lookup);
        else
            rpc("getrawtransaction", {id, true}, "", lookup);
    }
}

void CoreBackend::watchTransaction(std::string txid) {
    boost::asio::post(m_ctx.executor(), [this, txid = std::move(txid)] { m_watched.emplace(txid, -1); });
}

// ---------------------------------------------------------------------------------------------
// Simple queries

void CoreBackend::tip(jm::sdk::Executor ex, jm::chain::Callback<jm::chain::ChainTip> done) {
    boost::asio::post(m_ctx.executor(), [this, ex, done = std::move(done)]() mutable {
        chainState([ex, done = std::move(done)](jm::sdk::Result<ChainState> s) mutable {
            if (!s) return reply<jm::chain::ChainTip>(ex, std::move(done), s.error());
            reply<jm::chain::ChainTip>(ex, std::move(done), jm::chain::ChainTip{s->blocks, s->best_hash});
        });
    });
}

void CoreBackend::getTxOut(jm::bitcoin::OutPoint outpoint, jm::sdk::Executor ex,
                           jm::chain::Callback<std::optional<jm::chain::TxOutInfo>> done) {
    boost::asio::post(m_ctx.executor(), [this, outpoint, ex, done = std::move(done)]() mutable {
        auto txid = outpoint.toString().substr(0, 64);
        rpc("gettxout", {txid, outpoint.vout, true}, "",
            [ex, done = std::move(done)](jm::sdk::Result<json::value> r) mutable {
                using Out = std::optional<jm::chain::TxOutInfo>;
                if (!r) return reply<Out>(ex, std::move(done), r.error());
                reply<Out>(ex, std::move(done), readTxOut(*r));
            });
    });
}

void CoreBackend::getTransaction(std::string txid, jm::sdk::Executor ex, jm::chain::Callback<jm::bitcoin::Bytes> done) {
    boost::asio::post(m_ctx.executor(), [this, txid, ex, done = std::move(done)]() mutable {
        rpc("getrawtransaction", {txid}, "",
            [this, txid, ex, done = std::move(done)](jm::sdk::Result<json::value> r) mutable {
                auto decode = [](const std::string& hex) -> jm::sdk::Result<jm::bitcoin::Bytes> {
                    auto bytes = jm::bitcoin::fromHex(hex);
                    if (!bytes) return fail(errc::protocol_error, "Bitcoin Core sent a transaction that is not hex");
                    return *bytes;
                };
                if (r && r->is_string())
                    return reply<jm::bitcoin::Bytes>(ex, std::move(done), decode(std::string(r->as_string())));
                if (m_walletName.empty())
                    return reply<jm::bitcoin::Bytes>(ex, std::move(done),
                                                     r ? fail(errc::protocol_error, "unexpected answer")
                                                       : jm::sdk::Result<jm::bitcoin::Bytes>(r.error()));
                // Without -txindex only the wallet knows confirmed transactions.
                rpc("gettransaction", {txid, true}, m_walletName,
                    [ex, done = std::move(done), decode](jm::sdk::Result<json::value> w) mutable {
                        if (!w) return reply<jm::bitcoin::Bytes>(ex, std::move(done), w.error());
                        reply<jm::bitcoin::Bytes>(ex, std::move(done), decode(jsonText(*w, "hex")));
                    });
            });
    });
}

void CoreBackend::broadcast(jm::bitcoin::Bytes tx, jm::sdk::Executor ex, jm::chain::Callback<std::string> done) {
    boost::asio::post(m_ctx.executor(), [this, tx = std::move(tx), ex, done = std::move(done)]() mutable {
        rpc("sendrawtransaction", {jm::bitcoin::toHex(tx)}, "",
            [ex, done = std::move(done)](jm::sdk::Result<json::value> r) mutable {
                if (!r) return reply<std::string>(ex, std::move(done), r.error());
                if (!r->is_string())
                    return reply<std::string>(ex, std::move(done), fail(errc::protocol_error, "no txid in the answer"));
                reply<std::string>(ex, std::move(done), std::string(r->as_string()));
            });
    });
}

void CoreBackend::estimateFee(int target_blocks, jm::sdk::Executor ex, jm::chain::Callback<std::int64_t> done) {
    boost::asio::post(m_ctx.executor(), [this, target_blocks, ex, done = std::move(done)]() mutable {
        rpc("estimatesmartfee", {std::max(1, target_blocks)}, "",
            [this, ex, done = std::move(done)](jm::sdk::Result<json::value> r) mutable {
                if (!r) return reply<std::int64_t>(ex, std::move(done), r.error());
                if (auto* rate = jsonMember(*r, "feerate"))
                    if (auto sats = satoshis(*rate); sats && *sats > 0)
                        return reply<std::int64_t>(ex, std::move(done), *sats);
                JM_LOG(m_ctx.logger(), info) << "no fee estimate from Bitcoin Core; using the fallback "
                                             << m_settings.fallback_fee / 1000.0 << " sat/vB";
                reply<std::int64_t>(ex, std::move(done), m_settings.fallback_fee);
            });
    });
}

} // namespace jm::plugins::backend_core
