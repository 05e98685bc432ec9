// CoreBackend::scanWallet: the watch-only descriptor wallet in Bitcoin Core that mirrors a
// jmnode wallet (created on first use, descriptors imported or widened as the gap limit needs),
// then its unspent outputs, used addresses and transactions.
#include "core_backend.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/descriptor.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <boost/asio/post.hpp>

#include <map>
#include <set>

namespace jm::plugins::backend_core {

using jm::sdk::errc;
using jm::sdk::fail;
namespace json = boost::json;

class CoreBackend::Scan : public std::enable_shared_from_this<CoreBackend::Scan> {
public:
    Scan(CoreBackend& backend, jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
         jm::chain::Callback<jm::chain::WalletScan> done) :
        m_b(backend),
        m_request(std::move(request)), m_progress(std::move(progress)), m_ex(std::move(ex)), m_done(std::move(done)) {}

    void run() {
        report(0.0, "checking Bitcoin Core");
        m_b.chainState([self = shared_from_this()](jm::sdk::Result<ChainState> s) {
            if (!s) return self->finish(s.error());
            if (s->initial_block_download)
                return self->finish(
                    fail(errc::unavailable, "Bitcoin Core is still syncing (initial block download, " +
                                                std::to_string(static_cast<int>(s->verification_progress * 100)) +
                                                " % verified); try again when it is done"));
            if (s->pruned && s->prune_height > self->m_request.birthday_height)
                return self->finish(fail(errc::invalid_config, "Bitcoin Core is pruned up to block " +
                                                                   std::to_string(s->prune_height) +
                                                                   ", past the wallet's birthday " +
                                                                   std::to_string(self->m_request.birthday_height) +
                                                                   ": its history cannot be rescanned"));
            self->m_scan.tip = {s->blocks, s->best_hash};
            self->ensureWallet();
        });
    }

private:
    void report(double fraction, const std::string& what) {
        if (m_progress) m_progress(fraction, what);
    }

    void finish(jm::sdk::Result<jm::chain::WalletScan> result) {
        m_pollingProgress = false;
        boost::asio::post(
            m_ex, [done = std::move(m_done), result = std::move(result)]() mutable { done(std::move(result)); });
    }

    void ensureWallet() {
        auto& name = m_request.wallet_id;
        m_b.rpc("listwallets", {}, "", [self = shared_from_this(), name](jm::sdk::Result<json::value> r) {
            if (!r) return self->finish(r.error());
            if (auto* list = r->if_array())
                for (const auto& w : *list)
                    if (w.is_string() && w.as_string() == name) return self->listDescriptors();
            self->m_b.rpc("loadwallet", {name}, "", [self, name](jm::sdk::Result<json::value> loaded) {
                if (loaded) return self->listDescriptors();
                // Not there yet: a blank watch-only descriptor wallet, loaded on Core's restarts.
                self->m_b.rpc("createwallet", {name, true, true, "", false, true, true}, "",
                              [self](jm::sdk::Result<json::value> created) {
                                  if (!created) return self->finish(created.error());
                                  self->listDescriptors();
                              });
            });
        });
    }

    void listDescriptors() {
        m_b.m_walletName = m_request.wallet_id;
        m_b.rpc("listdescriptors", {}, m_request.wallet_id,
                [self = shared_from_this()](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    auto have = readDescriptors(*r);
                    self->importMissing(have);
                });
    }

    void importMissing(const std::map<std::string, std::int64_t>& have) {
        auto network = jm::bitcoin::parseNetwork(m_b.m_ctx.network());
        if (!network) return finish(network.error());
        json::array imports;
        auto timestamp = m_request.birthday_height <= 0 ? json::value(0) : json::value(nullptr);
        for (const auto& range : m_request.ranges) {
            auto desc = "wpkh(" + range.xpub + "/" + std::to_string(range.branch) + "/*)";
            auto it = have.find(desc);
            if (it != have.end() && it->second >= range.end) continue;
            auto full = jm::bitcoin::withDescriptorChecksum(desc);
            if (!full) return finish(full.error());
            imports.push_back(json::object{{"desc", *full},
                                           {"range", json::array{0, range.end == 0 ? 0 : range.end - 1}},
                                           {"active", false},
                                           {"timestamp", timestamp}});
        }
        for (const auto& script : m_request.scripts) {
            auto address = jm::bitcoin::scriptToAddress(script, *network);
            if (!address) return finish(address.error());
            auto desc = "addr(" + *address + ")";
            if (have.count(desc)) continue;
            auto full = jm::bitcoin::withDescriptorChecksum(desc);
            if (!full) return finish(full.error());
            imports.push_back(json::object{{"desc", *full}, {"timestamp", timestamp}});
        }
        if (imports.empty()) return listUnspent();
        if (m_request.birthday_height > 0 && timestamp.is_null()) return birthdayTime(std::move(imports));
        runImport(std::move(imports));
    }

    //! The rescan starts at the birthday block's time.
    void birthdayTime(json::array imports) {
        m_b.rpc("getblockhash", {m_request.birthday_height}, "",
                [self = shared_from_this(), imports = std::move(imports)](jm::sdk::Result<json::value> hash) mutable {
                    if (!hash) return self->finish(hash.error());
                    self->m_b.rpc("getblockheader", {*hash, true}, "",
                                  [self, imports = std::move(imports)](jm::sdk::Result<json::value> header) mutable {
                                      if (!header) return self->finish(header.error());
                                      auto time = jsonInt(*header, "time").value_or(0);
                                      for (auto& i : imports)
                                          i.as_object()["timestamp"] = time;
                                      self->runImport(std::move(imports));
                                  });
                });
    }

    void runImport(json::array imports) {
        report(0.05, "importing " + std::to_string(imports.size()) + " descriptors and rescanning");
        m_pollingProgress = true;
        pollProgress();
        m_b.rpc(
            "importdescriptors", {imports}, m_request.wallet_id,
            [self = shared_from_this()](jm::sdk::Result<json::value> r) {
                self->m_pollingProgress = false;
                if (!r) return self->finish(r.error());
                if (auto why = importFailure(*r); !why.empty())
                    return self->finish(fail(errc::rejected, "Bitcoin Core refused a descriptor: " + why));
                self->listUnspent();
            },
            m_b.m_settings.rescan_timeout);
    }

    //! While importdescriptors rescans (one blocked connection), report its progress through the
    //! second connection.
    void pollProgress() {
        if (!m_pollingProgress) return;
        auto timer = std::make_shared<boost::asio::steady_timer>(m_b.m_ctx.executor(), std::chrono::seconds(1));
        timer->async_wait([self = shared_from_this(), timer](boost::system::error_code ec) {
            if (ec || !self->m_pollingProgress) return;
            self->m_b.m_progressRpc->call("getwalletinfo", {}, self->m_request.wallet_id, [self](RpcResult r) {
                if (auto* info = std::get_if<json::value>(&r))
                    if (auto* scanning = jsonMember(*info, "scanning"); scanning && scanning->is_object()) {
                        auto* p = jsonMember(*scanning, "progress");
                        if (p && p->is_number() && self->m_pollingProgress)
                            self->report(0.05 + 0.9 * p->to_number<double>(), "rescanning");
                    }
                self->pollProgress();
            });
        });
    }

    void listUnspent() {
        report(0.95, "listing coins");
        m_b.rpc("listunspent", {0, 9999999, json::array{}, true}, m_request.wallet_id,
                [self = shared_from_this()](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    self->m_scan.utxos = readUnspent(*r);
                    self->listTransactions();
                });
    }

    void listTransactions() {
        auto parsed = jm::bitcoin::parseNetwork(m_b.m_ctx.network());
        if (!parsed) return finish(parsed.error());
        auto network = *parsed;
        m_b.rpc("listtransactions", {"*", 1'000'000, 0, true}, m_request.wallet_id,
                [self = shared_from_this(), network](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    auto activity = readTransactions(*r, network);
                    auto used = std::move(activity.receiving);
                    for (const auto& u : self->m_scan.utxos)
                        used.insert(u.script_pubkey);
                    self->m_scan.history = std::move(activity.history);
                    self->m_scan.used_scripts.assign(used.begin(), used.end());
                    self->report(1.0, "scanned");
                    self->finish(std::move(self->m_scan));
                });
    }

    CoreBackend& m_b;
    jm::chain::WatchRequest m_request;
    jm::chain::Progress m_progress;
    jm::sdk::Executor m_ex;
    jm::chain::Callback<jm::chain::WalletScan> m_done;
    jm::chain::WalletScan m_scan;
    bool m_pollingProgress = false;
};

void CoreBackend::scanWallet(jm::chain::WatchRequest request, jm::chain::Progress progress, jm::sdk::Executor ex,
                             jm::chain::Callback<jm::chain::WalletScan> done) {
    boost::asio::post(m_ctx.executor(), [this, request = std::move(request), progress = std::move(progress), ex,
                                         done = std::move(done)]() mutable {
        std::make_shared<Scan>(*this, std::move(request), std::move(progress), ex, std::move(done))->run();
    });
}

} // namespace jm::plugins::backend_core
