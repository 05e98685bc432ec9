#include "core_backend.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/descriptor.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/network.hpp>
#include <jm/sdk/events.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>

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
                      std::optional<std::chrono::milliseconds> timeout, bool resend) {
    auto name = method;
    m_rpc->call(
        std::move(method), std::move(params), std::move(wallet),
        [name, done = std::move(done)](RpcResult r) {
            if (auto* failure = std::get_if<RpcFailure>(&r)) return done(toBackendError(*failure, name));
            done(std::move(std::get<json::value>(r)));
        },
        timeout, resend);
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
        auto watched = [this] {
            std::vector<std::string> txids;
            for (const auto& [txid, w] : m_watched)
                txids.push_back(txid);
            lookAtWatched(std::move(txids), [this] { poll(); });
        };
        rpc("getbestblockhash", {}, "", [this, watched](jm::sdk::Result<json::value> hash) {
            if (m_stopping) return;
            noteReachability(hash.has_value(), hash ? "" : hash.error().message);
            if (!hash || !hash->is_string() || hash->as_string() == m_lastTip) return watched();
            std::string best(hash->as_string());
            rpc("getblockheader", {best, true}, "", [this, best, watched](jm::sdk::Result<json::value> header) {
                if (m_stopping) return;
                auto height = header ? jsonInt(*header, "height") : std::nullopt;
                if (!height || *height < 0 || *height > INT32_MAX) return watched();
                bool first = m_lastTip.empty();
                m_lastTip = best;
                m_tipHeight = static_cast<std::int32_t>(*height);
                if (!first) m_ctx.bus().publish(jm::sdk::events::BlockConnected{m_tipHeight, best});
                bool outside = std::any_of(m_watched.begin(), m_watched.end(),
                                           [](const auto& w) { return w.second.outside_wallet; });
                // Without -txindex a confirmed transaction the wallet does not know is only
                // found in its block: search the new ones (a few back at the first tip).
                if (!outside) return watched();
                scanBlocks(best, first ? 6 : 24, watched);
            });
        });
    });
}

void CoreBackend::noteReachability(bool answered, const std::string& detail) {
    if (answered) {
        m_failedPolls = 0;
        if (!m_unreachable) return;
        m_unreachable = false;
        JM_LOG(m_ctx.logger(), info) << "Bitcoin Core answers again";
        m_ctx.bus().publish(jm::sdk::events::BackendStatus{std::string(m_ctx.instanceName()), true, ""});
        return;
    }
    if (++m_failedPolls < UNREACHABLE_AFTER || m_unreachable) return;
    m_unreachable = true;
    JM_LOG(m_ctx.logger(), warning) << "Bitcoin Core is unreachable: " << detail;
    m_ctx.bus().publish(jm::sdk::events::BackendStatus{std::string(m_ctx.instanceName()), false, detail});
}

void CoreBackend::scanBlocks(std::string hash, int budget, std::function<void()> done) {
    if (m_stopping) return;
    if (budget <= 0 || hash.empty() || m_scannedBlocks.count(hash)) return done();
    rpc("getblock", {hash, 2}, "", [this, hash, budget, done](jm::sdk::Result<json::value> r) {
        if (m_stopping) return;
        auto block = r ? readBlockSpends(*r) : jm::sdk::Result<BlockSpends>(r.error());
        if (!block) return done();                           // tried again at the next new block
        std::map<jm::bitcoin::OutPoint, std::string> spends; // input -> watched txid spending it
        for (const auto& [txid, w] : m_watched)
            for (const auto& in : w.inputs)
                spends.emplace(in, txid);
        for (const auto& tx : block->txs) {
            if (auto it = m_watched.find(tx.txid); it != m_watched.end()) {
                it->second.block_hash = block->hash;
                continue;
            }
            for (const auto& in : tx.inputs)
                if (auto s = spends.find(in); s != spends.end()) {
                    auto& w = m_watched.at(s->second);
                    w.conflict_txid = tx.txid;
                    w.conflict_block = block->hash;
                }
        }
        if (m_scannedBlocks.size() > 2000) m_scannedBlocks.clear();
        m_scannedBlocks.insert(hash);
        scanBlocks(block->previous, budget - 1, done);
    });
}

void CoreBackend::lookAtWatched(std::vector<std::string> txids, std::function<void()> done) {
    if (m_stopping) return;
    while (!txids.empty() && !m_watched.count(txids.back()))
        txids.pop_back(); // unwatched meanwhile
    if (txids.empty()) return done();
    auto txid = txids.back();
    txids.pop_back();
    auto next = [this, txids = std::move(txids), done]() mutable {
        if (!m_stopping) lookAtWatched(std::move(txids), std::move(done));
    };
    auto outside = [this, txid, next]() mutable {
        lookOutsideWallet(txid, [this, txid, next](std::optional<jm::chain::TxSighting> s) mutable {
            if (s) sighted(txid, *s);
            next();
        });
    };
    if (m_walletName.empty()) return outside();
    rpc("gettransaction", {txid, true, true}, m_walletName,
        [this, txid, next, outside](jm::sdk::Result<json::value> r) mutable {
            if (m_stopping) return;
            if (!r) {
                if (r.error().code == errc::not_found) return outside(); // not the wallet's
                return next();                                           // Core unreachable: nothing learned
            }
            auto it = m_watched.find(txid);
            if (it == m_watched.end()) return next();
            it->second.outside_wallet = false;
            bool unsure = false;
            std::vector<jm::bitcoin::OutPoint> inputs;
            auto s = readWalletTxSighting(*r, unsure, inputs);
            if (!inputs.empty()) it->second.inputs = std::move(inputs);
            if (!unsure) {
                sighted(txid, s);
                return next();
            }
            // Unconfirmed without a known conflict: still in the mempool, or evicted.
            rpc("getmempoolentry", {txid}, "", [this, txid, s, next](jm::sdk::Result<json::value> m) mutable {
                if (m_stopping) return;
                if (m) {
                    sighted(txid, s);
                    return next();
                }
                if (m.error().code != errc::not_found) return next();
                // Not in the mempool: replaced (the wallet may not know yet), or gone.
                whereInputsAre(txid, [this, txid, next](std::optional<jm::chain::TxSighting> where) mutable {
                    if (where) sighted(txid, *where);
                    next();
                });
            });
        });
}

void CoreBackend::lookOutsideWallet(const std::string& txid,
                                    std::function<void(std::optional<jm::chain::TxSighting>)> seen) {
    using Where = jm::chain::TxSighting::Where;
    auto it = m_watched.find(txid);
    if (it == m_watched.end()) return seen(std::nullopt);
    it->second.outside_wallet = true;
    // Last: a transaction spending what it spends (in a block found earlier, or the mempool).
    auto conflicts = [this, txid, seen]() {
        auto it = m_watched.find(txid);
        if (it == m_watched.end()) return seen(std::nullopt);
        auto mempool = [this, txid, seen]() { whereInputsAre(txid, seen); };
        if (it->second.conflict_block.empty()) return mempool();
        rpc("getblockheader", {it->second.conflict_block, true}, "",
            [this, txid, seen, mempool](jm::sdk::Result<json::value> r) {
                auto it = m_watched.find(txid);
                if (it == m_watched.end()) return seen(std::nullopt);
                auto depth = r ? jsonInt(*r, "confirmations").value_or(-1) : -1;
                if (!r && r.error().code != errc::not_found) return seen(std::nullopt);
                if (depth <= 0) {
                    it->second.conflict_block.clear(); // that block left the best chain
                    it->second.conflict_txid.clear();
                    return mempool();
                }
                jm::chain::TxSighting s;
                s.where = Where::Conflicted;
                s.conflicting_txid = it->second.conflict_txid;
                s.confirmations = static_cast<std::int32_t>(std::min<std::int64_t>(depth, INT32_MAX));
                seen(s);
            });
    };
    // The mempool, or any block with -txindex.
    auto raw = [this, txid, seen, conflicts]() {
        rpc("getrawtransaction", {txid, true}, "", [this, txid, seen, conflicts](jm::sdk::Result<json::value> r) {
            auto it = m_watched.find(txid);
            if (it == m_watched.end()) return seen(std::nullopt);
            if (!r) return r.error().code == errc::not_found ? conflicts() : seen(std::nullopt);
            std::vector<jm::bitcoin::OutPoint> inputs;
            auto s = readRawTxSighting(*r, m_tipHeight, inputs);
            if (!s) return seen(std::nullopt);
            if (!inputs.empty()) it->second.inputs = std::move(inputs);
            if (s->where != Where::Chain || s->block_hash.empty()) return seen(*s);
            it->second.block_hash = s->block_hash;
            // Its height from the block's header: the tip read at the poll's start may be older
            // than this answer (a block found in between), and a height off by one is a reorg.
            rpc("getblockheader", {s->block_hash, true}, "",
                [this, txid, seen, s = *s](jm::sdk::Result<json::value> header) mutable {
                    if (!m_watched.count(txid)) return seen(std::nullopt);
                    auto depth = header ? jsonInt(*header, "confirmations").value_or(-1) : -1;
                    auto height = header ? jsonInt(*header, "height") : std::nullopt;
                    if (depth <= 0 || !height) return seen(std::nullopt); // looked at again at the next poll
                    s.confirmations = static_cast<std::int32_t>(std::min<std::int64_t>(depth, INT32_MAX));
                    s.height = static_cast<std::int32_t>(std::clamp<std::int64_t>(*height, 0, INT32_MAX));
                    seen(s);
                });
        });
    };
    if (it->second.block_hash.empty()) return raw();
    // Found in a block before: is that block still in the best chain?
    rpc("getblockheader", {it->second.block_hash, true}, "", [this, txid, seen, raw](jm::sdk::Result<json::value> r) {
        auto it = m_watched.find(txid);
        if (it == m_watched.end()) return seen(std::nullopt);
        if (!r && r.error().code != errc::not_found) return seen(std::nullopt);
        auto depth = r ? jsonInt(*r, "confirmations").value_or(-1) : -1;
        auto height = r ? jsonInt(*r, "height").value_or(0) : 0;
        if (depth <= 0) {
            it->second.block_hash.clear(); // reorganised away: back to the mempool, or gone
            return raw();
        }
        jm::chain::TxSighting s;
        s.where = Where::Chain;
        s.confirmations = static_cast<std::int32_t>(std::min<std::int64_t>(depth, INT32_MAX));
        s.height = static_cast<std::int32_t>(std::clamp<std::int64_t>(height, 0, INT32_MAX));
        s.block_hash = it->second.block_hash;
        seen(s);
    });
}

void CoreBackend::whereInputsAre(const std::string& txid,
                                 std::function<void(std::optional<jm::chain::TxSighting>)> seen) {
    using Where = jm::chain::TxSighting::Where;
    auto it = m_watched.find(txid);
    if (it == m_watched.end()) return seen(std::nullopt);
    if (it->second.inputs.empty()) return seen(jm::chain::TxSighting{}); // never seen: nothing known
    json::array outputs;
    for (const auto& in : it->second.inputs)
        outputs.push_back(json::object{{"txid", in.toString().substr(0, 64)}, {"vout", in.vout}});
    // The mempool is the authority on replacements (the wallet learns of them a moment later).
    rpc("gettxspendingprevout", {outputs}, "", [this, txid, seen](jm::sdk::Result<json::value> r) {
        if (m_stopping) return;
        if (!r) return seen(std::nullopt);
        if (auto other = readOtherSpender(*r, txid)) {
            jm::chain::TxSighting s;
            s.where = Where::Conflicted;
            s.conflicting_txid = other->first;
            s.confirmations = other->second.empty() ? 0 : 1; // in a block (with -txospenderindex)
            return seen(s);
        }
        auto it = m_watched.find(txid);
        if (it == m_watched.end()) return seen(std::nullopt);
        inputsUnspent(it->second.inputs, 0, [seen](std::optional<bool> unspent) {
            // Every input still unspent: it is gone and could come back. Spent in a block the
            // backend has not matched yet (the wallet lags behind the chain): no news yet.
            if (unspent && *unspent) return seen(jm::chain::TxSighting{});
            seen(std::nullopt);
        });
    });
}

void CoreBackend::inputsUnspent(std::vector<jm::bitcoin::OutPoint> inputs, std::size_t i,
                                std::function<void(std::optional<bool>)> done) {
    if (i >= inputs.size()) return done(true);
    auto txid = inputs[i].toString().substr(0, 64);
    auto vout = inputs[i].vout;
    rpc("gettxout", {txid, vout, true}, "",
        [this, inputs = std::move(inputs), i, done](jm::sdk::Result<json::value> r) mutable {
            if (m_stopping) return;
            if (!r) return done(std::nullopt);
            if (r->is_null()) return done(false);
            inputsUnspent(std::move(inputs), i + 1, std::move(done));
        });
}

void CoreBackend::sighted(const std::string& txid, const jm::chain::TxSighting& sighting) {
    auto it = m_watched.find(txid);
    if (it == m_watched.end()) return;
    if (auto event = it->second.watch.observe(sighting)) m_ctx.bus().publish(std::move(*event));
    if (it->second.watch.finished()) m_watched.erase(it);
}

void CoreBackend::watchTransaction(std::string txid, std::int32_t final_depth) {
    boost::asio::post(m_ctx.executor(), [this, txid = std::move(txid), final_depth] {
        if (auto it = m_watched.find(txid); it != m_watched.end())
            it->second.watch.setFinalDepth(final_depth);
        else
            m_watched.emplace(txid, Watched{jm::chain::TxWatch(txid, final_depth), {}, {}, {}, {}, false});
    });
}

void CoreBackend::unwatchTransaction(std::string txid) {
    boost::asio::post(m_ctx.executor(), [this, txid = std::move(txid)] { m_watched.erase(txid); });
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
        auto parsed = jm::bitcoin::parseTransaction(tx);
        auto txid = parsed ? parsed->txidHex() : std::string();
        // Resent after a timeout: Core answers a transaction it already has in its mempool
        // with its txid, and one already mined with an error handled below.
        m_rpc->call("sendrawtransaction", {jm::bitcoin::toHex(tx)}, "",
                    [this, txid, ex, done = std::move(done)](RpcResult r) mutable {
                        if (auto* failure = std::get_if<RpcFailure>(&r))
                            return alreadyThere(txid, *failure, ex, std::move(done));
                        auto& v = std::get<json::value>(r);
                        if (!v.is_string())
                            return reply<std::string>(ex, std::move(done),
                                                      fail(errc::protocol_error, "no txid in the answer"));
                        reply<std::string>(ex, std::move(done), std::string(v.as_string()));
                    });
    });
}

void CoreBackend::alreadyThere(std::string txid, RpcFailure rejection, jm::sdk::Executor ex,
                               jm::chain::Callback<std::string> done) {
    auto error = toBackendError(rejection, "sendrawtransaction");
    // -27: its outputs are in the UTXO set, so it is mined. -25 (inputs missing or spent) and
    // -26 (rejected) also come back when it is mined with its outputs spent, or already known.
    if (txid.empty() || !rejection.rpc_code) return reply<std::string>(ex, std::move(done), error);
    if (*rejection.rpc_code == -27) return reply<std::string>(ex, std::move(done), txid);
    if (*rejection.rpc_code != -25 && *rejection.rpc_code != -26) return reply<std::string>(ex, std::move(done), error);
    auto known = [this, txid, error, ex, done = std::move(done)](jm::sdk::Result<json::value> r) mutable {
        if (r) return reply<std::string>(ex, std::move(done), txid); // in the mempool (or -txindex)
        if (m_walletName.empty()) return reply<std::string>(ex, std::move(done), error);
        rpc("gettransaction", {txid, true}, m_walletName,
            [txid, error, ex, done = std::move(done)](jm::sdk::Result<json::value> w) mutable {
                if (w && jsonInt(*w, "confirmations").value_or(0) > 0)
                    return reply<std::string>(ex, std::move(done), txid);
                reply<std::string>(ex, std::move(done), error);
            });
    };
    rpc("getrawtransaction", {txid, true}, "", std::move(known));
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
