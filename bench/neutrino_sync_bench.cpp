// neutrino_sync: how long backend-neutrino's P2P light client (P2pChainSource) takes to sync the
// headers and BIP157 filter headers of a regtest chain, then fetch every filter, from the tests'
// in-process P2P peer (TestNode, on its own thread and io_context, over loopback). Prints the
// times and the process's resident memory (VmRSS) before and after; the served chain lives in
// the same process, so the client's share is the difference. The store is in memory. Then a
// wallet rescan through NeutrinoBackend (backend/1) over the synced client: a wallet with no
// coins in the chain (two branches, watch_ahead scripts each), so every filter is matched.
//
//   bench_neutrino_sync [--blocks 10000]
#include "neutrino_backend.hpp"
#include "p2p_chain_source.hpp"
#include "p2p_test_node.hpp"

#include <jm/bitcoin/bip32.hpp>
#include <jm/sdk/testing/test_context.hpp>

#include <jm/net/peer_address.hpp>
#include <jm/sdk/testing/memory_kv_store.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/log/core/core.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;
using namespace jm::plugins::backend_neutrino;

double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

double rssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmRSS:")) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    boost::log::core::get()->set_logging_enabled(false); // the figures only, no sync log
    std::uint32_t blocks = 10'000;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--blocks") == 0) blocks = static_cast<std::uint32_t>(std::stoul(argv[++i]));

    auto t0 = Clock::now();
    auto chain = std::make_shared<jm::test::neutrino::TestBlockChain>(jm::test::neutrino::TestBlockChain::genesis());
    chain->extend(blocks);
    std::printf("chain of %u regtest blocks built in %.2f s (not part of the sync)\n", blocks, seconds(t0));

    boost::asio::io_context server_io;
    auto guard = boost::asio::make_work_guard(server_io);
    jm::test::neutrino::TestNode node(server_io, chain);
    std::thread server([&] { server_io.run(); });
    double rss_before = rssMiB();

    jm::sdk::testing::TestContext ctx("neutrino");
    auto& io = ctx.ioContext();
    P2pChainSourceSettings settings;
    settings.params = chainParams(jm::bitcoin::Network::Regtest);
    settings.peers.connection.network = jm::bitcoin::Network::Regtest;
    settings.peers.peers.push_back(*jm::net::parsePeerAddress(node.address()));
    settings.tick = std::chrono::milliseconds{50};
    auto source = P2pChainSource::open(ctx.executor(), settings, ctx.store());
    if (!source) {
        std::fprintf(stderr, "open failed: %s\n", source.error().message.c_str());
        return 1;
    }
    auto run_until = [&](auto pred) {
        auto deadline = Clock::now() + std::chrono::minutes{10};
        while (!pred() && Clock::now() < deadline) {
            io.restart();
            io.run_for(std::chrono::milliseconds{2});
        }
        return pred();
    };
    auto t1 = Clock::now();
    (*source)->start();
    bool synced = run_until([&] { return (*source)->synced() && (*source)->verifiedHeight() == blocks; });
    double sync_s = seconds(t1);
    if (!synced) {
        std::fprintf(stderr, "sync did not finish\n");
        return 1;
    }
    double rss_synced = rssMiB();

    auto t2 = Clock::now();
    std::optional<jm::sdk::Result<std::vector<VerifiedFilter>>> filters;
    (*source)->getFilters(0, blocks, [&](auto r) { filters = std::move(r); });
    run_until([&] { return filters.has_value(); });
    double filters_s = seconds(t2);
    if (!filters || !*filters) {
        std::fprintf(stderr, "filters failed\n");
        return 1;
    }
    std::size_t filter_bytes = 0;
    for (const auto& f : **filters)
        filter_bytes += f.filter.size();
    double rss_filters = rssMiB();

    std::printf("headers + filter headers of %u blocks: %.2f s (%.0f blocks/s)\n", blocks, sync_s, blocks / sync_s);
    std::printf("all %u filters (%zu bytes), each checked against its filter header: %.2f s\n", blocks + 1,
                filter_bytes, filters_s);
    std::printf("VmRSS: %.1f MiB before (served chain included), %.1f MiB synced, %.1f MiB holding every filter\n",
                rss_before, rss_synced, rss_filters);
    std::printf("light client's share after the sync: %.1f MiB\n", rss_synced - rss_before);

    // The wallet rescan from genesis through the backend/1 implementation.
    NeutrinoSettings backend_settings; // defaults: watch_ahead 200, filter_batch 1000
    NeutrinoBackend backend(ctx, **source, backend_settings);
    backend.start();
    auto master = jm::bitcoin::ExtendedKey::fromSeed(jm::bitcoin::Bytes(32, 7)).value();
    auto account = master.derivePath(jm::bitcoin::parseDerivationPath("m/84'/1'/0'").value()).value().neuter();
    jm::chain::WatchRequest request;
    request.wallet_id = "bench";
    auto xpub = account.toString(jm::bitcoin::Network::Regtest, false);
    request.ranges = {{xpub, 0, 20}, {xpub, 1, 20}};
    auto t3 = Clock::now();
    std::optional<jm::sdk::Result<jm::chain::WalletScan>> scan;
    backend.scanWallet(request, {}, ctx.executor(), [&](auto r) { scan = std::move(r); });
    run_until([&] { return scan.has_value(); });
    double scan_s = seconds(t3);
    if (!scan || !*scan) {
        std::fprintf(stderr, "rescan failed: %s\n", scan ? scan->error().message.c_str() : "timed out");
        return 1;
    }
    double rss_scanned = rssMiB();
    std::printf("wallet rescan through NeutrinoBackend from genesis to %d (%u blocks, 2 branches x %u scripts "
                "watched ahead): %.2f s; VmRSS after: %.1f MiB\n",
                (*scan)->tip.height, blocks, backend_settings.watch_ahead, scan_s, rss_scanned);
    backend.stop();

    (*source)->stop();
    filters.reset();
    guard.reset();
    server_io.stop();
    server.join();
    return 0;
}
