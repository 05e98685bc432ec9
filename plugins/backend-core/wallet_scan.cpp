// CoreBackend::scanWallet: the watch-only descriptor wallet in Bitcoin Core that mirrors a
// jmnode wallet (created on first use, descriptors imported or widened as the gap limit needs,
// rescanning from the wallet's birthday), then its unspent outputs, used addresses and
// transactions.
#include "core_backend.hpp"

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/descriptor.hpp>
#include <jm/bitcoin/encoding.hpp>

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <set>

namespace jm::plugins::backend_core {

using jm::sdk::errc;
using jm::sdk::fail;
namespace json = boost::json;

namespace {

// Core starts a rescan this long before the timestamp it is given (block times may lag).
constexpr std::int64_t TIMESTAMP_WINDOW = 2 * 60 * 60;

std::string recordKey(const std::string& wallet_id) { return "rescanned/" + wallet_id; }

//! What the store says was imported and rescanned: descriptor -> {from, by_time, end}.
struct Rescanned {
    std::int64_t from = 0; //!< a block height, or a unix time when `by_time`
    bool by_time = false;
    std::int64_t end = 0;
};

std::map<std::string, Rescanned> loadRecords(jm::sdk::KvStore& store, const std::string& wallet_id) {
    std::map<std::string, Rescanned> out;
    auto text = store.get(recordKey(wallet_id));
    if (!text || !text->has_value()) return out; // unreadable: everything is imported again
    boost::system::error_code ec;
    auto v = json::parse(**text, ec);
    auto* o = v.if_object();
    if (ec || !o) return out;
    for (const auto& [desc, r] : *o) {
        auto height = jsonInt(r, "height");
        auto time = jsonInt(r, "time");
        auto end = jsonInt(r, "end");
        // An import that started and never recorded its rescan's end: as if never imported.
        if (auto* pending = jsonMember(r, "pending"); pending && !(pending->is_bool() && !pending->as_bool())) continue;
        if ((height || time) && end) out[std::string(desc)] = {height ? *height : *time, !height, *end};
    }
    return out;
}

} // namespace

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
            self->m_chain = *s;
            self->m_scan.tip = {s->blocks, s->best_hash};
            self->ensureWallet();
        });
    }

private:
    //! One descriptor to import: its text with checksum and range end.
    struct Import {
        std::string desc; //!< without checksum (the key of records)
        std::int64_t end = 1;
        bool ranged = false;
    };

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
                    self->m_have = readDescriptors(*r);
                    self->plan();
                });
    }

    //! Rescans start at the birthday block (rescanblockchain: exact, whatever the block times),
    //! or at the birthday time Core is given with the import (a wallet created here).
    bool byTime() const { return m_request.birthday_time > 0; }
    std::int64_t from() const {
        return byTime() ? m_request.birthday_time : std::max<std::int64_t>(0, m_request.birthday_height);
    }

    void blockTime(std::int32_t height, std::function<void(std::int64_t)> next) {
        m_b.rpc("getblockhash", {height}, "",
                [self = shared_from_this(), next = std::move(next)](jm::sdk::Result<json::value> hash) mutable {
                    if (!hash) return self->finish(hash.error());
                    self->m_b.rpc("getblockheader", {*hash, true}, "",
                                  [self, next = std::move(next)](jm::sdk::Result<json::value> header) {
                                      if (!header) return self->finish(header.error());
                                      auto time = jsonInt(*header, "time");
                                      if (!time)
                                          return self->finish(fail(errc::protocol_error, "block header without time"));
                                      next(*time);
                                  });
                });
    }

    //! Imports what Core does not watch, and again what was never recorded as rescanned from the
    //! birthday (an import interrupted by a stop of Core, a birthday moved earlier).
    void plan() {
        auto network = jm::bitcoin::parseNetwork(m_b.m_ctx.network());
        if (!network) return finish(network.error());
        auto records = loadRecords(m_b.m_ctx.store(), m_request.wallet_id);
        auto needed = [&](const std::string& desc, std::int64_t end) {
            auto have = m_have.find(desc);
            auto done = records.find(desc);
            // Rescanned from the birthday or earlier (a birthday of the other kind: again). Past
            // the rescanned range Core watches what it topped up as the descriptor was used
            // (from the block that used it on, before which nothing paid those scripts): a range
            // jmnode widened itself is marked pending until its rescan ends.
            return have == m_have.end() || have->second.end < end || done == records.end() ||
                   done->second.by_time != byTime() || done->second.from > from();
        };
        for (const auto& range : m_request.ranges) {
            auto desc = "wpkh(" + range.xpub + "/" + std::to_string(range.branch) + "/*)";
            if (needed(desc, range.end)) m_imports.push_back({desc, std::max<std::int64_t>(range.end, 1), true});
        }
        for (const auto& script : m_request.scripts) {
            auto address = jm::bitcoin::scriptToAddress(script, *network);
            if (!address) return finish(address.error());
            auto desc = "addr(" + *address + ")";
            if (needed(desc, 1)) m_imports.push_back({desc, 1, false});
        }
        if (m_imports.empty()) return listUnspent();
        checkPruning();
    }

    //! A rescan needs the blocks from the birthday on; only then does pruning matter.
    void checkPruning() {
        if (!m_chain.pruned || m_chain.prune_height <= 0) return waitForRescan(0);
        auto refuse = [self = shared_from_this()] {
            auto birthday = self->byTime() ? "time " + std::to_string(self->m_request.birthday_time)
                                           : "block " + std::to_string(self->m_request.birthday_height);
            self->finish(fail(errc::invalid_config,
                              "Bitcoin Core is pruned up to block " + std::to_string(self->m_chain.prune_height) +
                                  ", past the wallet's birthday (" + birthday +
                                  "): its history cannot be rescanned (give the height of the wallet's first "
                                  "transaction with --rescan-from, or use an unpruned node)"));
        };
        if (!byTime()) {
            if (m_chain.prune_height > m_request.birthday_height) return refuse();
            return waitForRescan(0);
        }
        // Core rescans from the first block less than TIMESTAMP_WINDOW older than the birthday:
        // the last pruned block must be older still.
        blockTime(m_chain.prune_height - 1, [self = shared_from_this(), refuse](std::int64_t time) {
            if (time >= self->m_request.birthday_time - TIMESTAMP_WINDOW) return refuse();
            self->waitForRescan(0);
        });
    }

    //! A rescan Core is already running for this wallet (one left by an interrupted sync) must
    //! end before an import: Core refuses a second one.
    void waitForRescan(int waited) {
        m_b.m_progressRpc->call(
            "getwalletinfo", {}, m_request.wallet_id, [self = shared_from_this(), waited](RpcResult r) {
                const json::value* scanning = nullptr;
                if (auto* info = std::get_if<json::value>(&r)) scanning = jsonMember(*info, "scanning");
                if (!scanning || !scanning->is_object()) return self->runImport();
                if (waited * 1000LL > self->m_b.m_settings.rescan_timeout.count())
                    return self->finish(fail(errc::unavailable, "Bitcoin Core is still rescanning the wallet; "
                                                                "try again when it is done"));
                auto* p = jsonMember(*scanning, "progress");
                self->report(0.05 + 0.9 * (p && p->is_number() ? p->to_number<double>() : 0.0),
                             "waiting for Bitcoin Core's rescan");
                auto timer =
                    std::make_shared<boost::asio::steady_timer>(self->m_b.m_ctx.executor(), std::chrono::seconds(1));
                timer->async_wait([self, timer, waited](boost::system::error_code ec) {
                    if (!ec) self->waitForRescan(waited + 1);
                });
            });
    }

    void runImport() {
        if (auto marked = markPending(); !marked) return finish(marked.error());
        json::array imports;
        for (const auto& i : m_imports) {
            auto full = jm::bitcoin::withDescriptorChecksum(i.desc);
            if (!full) return finish(full.error());
            // By height: imported without a rescan ("now"), then rescanblockchain from the block.
            json::object o{{"desc", *full}, {"timestamp", byTime() ? json::value(from()) : json::value("now")}};
            if (i.ranged) {
                // Core refuses a range narrower than the one it has (it keeps watching ahead).
                auto have = m_have.find(i.desc);
                auto end = std::max(i.end, have == m_have.end() ? 0 : have->second.end);
                o["range"] = json::array{0, end - 1};
                o["active"] = false;
            }
            imports.push_back(std::move(o));
        }
        report(0.05, "importing " + std::to_string(imports.size()) + " descriptors and rescanning");
        m_pollingProgress = true;
        pollProgress();
        // Never resent after a timeout: the first import may still be rescanning in Core.
        m_b.m_rpc->call(
            "importdescriptors", {imports}, m_request.wallet_id,
            [self = shared_from_this()](RpcResult r) {
                self->m_pollingProgress = false;
                if (auto* failure = std::get_if<RpcFailure>(&r)) {
                    if (failure->rpc_code == -4 && failure->error.message.find("rescanning") != std::string::npos &&
                        ++self->m_importAttempts < 3)
                        return self->waitForRescan(0); // someone else's rescan got there first
                    return self->finish(failed(*failure, "importdescriptors"));
                }
                auto& v = std::get<json::value>(r);
                if (auto why = importFailure(v); !why.empty()) {
                    // An import of a sync killed midway can still finish in Core after this scan
                    // listed the descriptors, widening them (Core watches 1000 ahead): read the
                    // ranges again and import with those.
                    if (why.find("new range must include current range") != std::string::npos &&
                        ++self->m_importAttempts < 3)
                        return self->relistAndImport();
                    return self->finish(fail(errc::rejected, "Bitcoin Core refused a descriptor: " + why));
                }
                if (self->byTime()) return self->recordImport();
                self->rescan();
            },
            m_b.m_settings.rescan_timeout, false);
    }

    void relistAndImport() {
        m_b.rpc("listdescriptors", {}, m_request.wallet_id,
                [self = shared_from_this()](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    self->m_have = readDescriptors(*r);
                    self->runImport();
                });
    }

    //! Before an import: its descriptors count as never rescanned until recordImport, so an
    //! import Core stops during (its range widened, the rescan not done) is repeated.
    jm::sdk::Result<void> markPending() {
        auto& store = m_b.m_ctx.store();
        auto key = recordKey(m_request.wallet_id);
        json::object records;
        if (auto text = store.get(key); text && text->has_value()) {
            boost::system::error_code ec;
            auto v = json::parse(**text, ec);
            if (!ec && v.is_object()) records = std::move(v.as_object());
        }
        for (const auto& i : m_imports)
            if (auto* r = records.if_contains(i.desc); r && r->is_object()) r->as_object()["pending"] = true;
        return store.put(key, json::serialize(records), {true});
    }

    void rescan() {
        report(0.05, "rescanning from block " + std::to_string(from()));
        m_pollingProgress = true;
        pollProgress();
        m_b.m_rpc->call(
            "rescanblockchain", {from()}, m_request.wallet_id,
            [self = shared_from_this()](RpcResult r) {
                self->m_pollingProgress = false;
                if (auto* failure = std::get_if<RpcFailure>(&r)) {
                    if (failure->rpc_code == -4 && failure->error.message.find("rescanning") != std::string::npos &&
                        ++self->m_importAttempts < 3)
                        return self->waitForRescan(0);
                    return self->finish(failed(*failure, "rescanblockchain"));
                }
                self->recordImport();
            },
            m_b.m_settings.rescan_timeout, false);
    }

    //! A failed import or rescan; one that timed out may still run in Core.
    static jm::sdk::Error failed(const RpcFailure& failure, std::string_view method) {
        auto error = toBackendError(failure, method);
        if (!failure.rpc_code && error.code == errc::unavailable)
            error.message += "; Bitcoin Core may still be rescanning: sync again later (it waits for the rescan "
                             "and repeats it)";
        return error;
    }

    //! The rescan finished: remembered, so later scans skip it. (Core stopped before this point:
    //! nothing is recorded and the next scan imports and rescans again.)
    void recordImport() {
        m_b.rpc("listdescriptors", {}, m_request.wallet_id,
                [self = shared_from_this()](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    self->m_have = readDescriptors(*r);
                    auto& store = self->m_b.m_ctx.store();
                    auto key = recordKey(self->m_request.wallet_id);
                    json::object records;
                    if (auto text = store.get(key); text && text->has_value()) {
                        boost::system::error_code ec;
                        auto v = json::parse(**text, ec);
                        if (!ec && v.is_object()) records = std::move(v.as_object());
                    }
                    for (const auto& i : self->m_imports) {
                        auto have = self->m_have.find(i.desc);
                        if (have == self->m_have.end())
                            return self->finish(fail(errc::protocol_error, "Bitcoin Core does not list the descriptor "
                                                                           "it imported"));
                        records[i.desc] = json::object{{self->byTime() ? "time" : "height", self->from()},
                                                       {"end", std::max(have->second.end, i.end)}};
                    }
                    if (auto put = store.put(key, json::serialize(records), {true}); !put)
                        return self->finish(put.error());
                    self->listUnspent();
                });
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

    //! The coins with their confirmations and the tip they count from, as one snapshot: the
    //! tip is read before and after listunspent (Core syncs the wallet to its tip for that call)
    //! and the listing is repeated if a block arrived in between. A tip read long before (at the
    //! start of a rescan) would put a coin in the wrong block for NG's extended utxo strings.
    void listUnspent(int attempt = 1) {
        report(0.95, "listing coins");
        m_b.chainState([self = shared_from_this(), attempt](jm::sdk::Result<ChainState> before) {
            if (!before) return self->finish(before.error());
            self->m_b.rpc(
                "listunspent", {0, 9999999, json::array{}, true}, self->m_request.wallet_id,
                [self, attempt, before = *before](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    auto utxos = readUnspent(*r);
                    self->m_b.chainState([self, attempt, before, utxos = std::move(utxos)](
                                             jm::sdk::Result<ChainState> after) mutable {
                        if (!after) return self->finish(after.error());
                        if (after->best_hash != before.best_hash && attempt < MAX_LISTING_ATTEMPTS)
                            return self->listUnspent(attempt + 1);
                        if (after->best_hash != before.best_hash)
                            return self->finish(fail(errc::unavailable,
                                                     "blocks kept arriving while the wallet's coins were listed; "
                                                     "try again"));
                        self->m_scan.tip = {after->blocks, after->best_hash};
                        self->m_scan.utxos = std::move(utxos);
                        self->listTransactions();
                    });
                });
        });
    }
    static constexpr int MAX_LISTING_ATTEMPTS = 5;

    //! Every wallet transaction with an entry per output (include_change): listtransactions
    //! leaves out outputs to the wallet's own scripts that are not in its address book, which is
    //! all of them for imported descriptors when the transaction spends the wallet's coins.
    void listTransactions() {
        auto parsed = jm::bitcoin::parseNetwork(m_b.m_ctx.network());
        if (!parsed) return finish(parsed.error());
        auto network = *parsed;
        m_b.rpc("listsinceblock", {nullptr, 1, true, false, true}, m_request.wallet_id,
                [self = shared_from_this(), network](jm::sdk::Result<json::value> r) {
                    if (!r) return self->finish(r.error());
                    auto activity = readWalletTransactions(*r, network);
                    auto used = std::move(activity.receiving);
                    for (const auto& u : self->m_scan.utxos)
                        used.insert(u.script_pubkey);
                    self->m_scan.history = std::move(activity.history);
                    self->m_scan.used_scripts.assign(used.begin(), used.end());
                    // Core marks a descriptor's scripts used up to the highest one paid, also past
                    // the range asked for (it watches 1000 ahead).
                    for (const auto& range : self->m_request.ranges) {
                        auto have =
                            self->m_have.find("wpkh(" + range.xpub + "/" + std::to_string(range.branch) + "/*)");
                        if (have == self->m_have.end()) continue;
                        auto next = std::clamp<std::int64_t>(have->second.next, 0, UINT32_MAX);
                        self->m_scan.ranges.push_back({range.xpub, range.branch, static_cast<std::uint32_t>(next)});
                    }
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
    ChainState m_chain;
    std::map<std::string, DescriptorState> m_have;
    std::vector<Import> m_imports;
    int m_importAttempts = 0;
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
