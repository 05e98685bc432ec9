// backend/1 over the light client (NeutrinoBackend on a MemoryChainSource): a real wallet synced
// through block filters sees what the SDK TestChain (an independent full-chain computation) sees
// for the same transactions; the gap limit moves with used scripts; a restart resumes; reorgs,
// relayed transactions, hinted lookups of counterparties' coins and watched transactions.
#include "memory_chain_source.hpp"
#include "p2p_test_node.hpp"

#include <neutrino_backend.hpp>
#include <neutrino_plugin.hpp>
#include <p2p_chain_source_factory.hpp>

#include <jm/bitcoin/address.hpp>
#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/script.hpp>
#include <jm/bitcoin/sighash.hpp>
#include <jm/sdk/events.hpp>
#include <jm/sdk/testing/test_chain.hpp>
#include <jm/sdk/testing/test_context.hpp>
#include <jm/wallet/payment.hpp>
#include <jm/wallet/utxo_set.hpp>
#include <jm/wallet/wallet.hpp>
#include <jm/wallet/wallet_sync.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <set>

using namespace jm::plugins::backend_neutrino;
using jm::bitcoin::OutPoint;
using jm::bitcoin::Script;
using jm::bitcoin::Transaction;
using jm::plugins::backend_neutrino::testing::MemoryChainSource;
using jm::sdk::errc;
using jm::sdk::testing::TestContext;

namespace {

constexpr const char* ELSEWHERE = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

Script elsewhere() { return jm::bitcoin::addressToScript(ELSEWHERE, jm::bitcoin::Network::Regtest).value(); }

template <class F> void runUntil(TestContext& ctx, F ready) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!ready() && std::chrono::steady_clock::now() < deadline) {
        ctx.ioContext().restart();
        ctx.ioContext().run_for(std::chrono::milliseconds(2));
    }
    BOOST_REQUIRE_MESSAGE(ready(), "timed out");
}

template <class T, class Call> jm::sdk::Result<T> await(TestContext& ctx, Call call) {
    std::optional<jm::sdk::Result<T>> out;
    call([&](jm::sdk::Result<T> r) { out = std::move(r); });
    runUntil(ctx, [&] { return out.has_value(); });
    return std::move(*out);
}

NeutrinoSettings settings(std::uint32_t watch_ahead = 10) {
    NeutrinoSettings s;
    s.watch_ahead = watch_ahead;
    s.filter_batch = 7; // several batches per scan
    s.sync_wait = std::chrono::milliseconds(300);
    return s;
}

//! A backend over a source, started, with its own strand.
struct Node {
    explicit Node(TestContext& ctx, MemoryChainSource& source, NeutrinoSettings s = settings()) :
        backend(ctx, source, s), m_ctx(ctx) {
        backend.start();
    }
    jm::sdk::Result<jm::chain::WalletScan> scan(const jm::chain::WatchRequest& request,
                                                std::vector<double>* progress = nullptr) {
        return await<jm::chain::WalletScan>(m_ctx, [&](auto done) {
            backend.scanWallet(
                request,
                [progress](double f, const std::string&) {
                    if (progress) progress->push_back(f);
                },
                m_ctx.executor(), done);
        });
    }
    jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> hinted(OutPoint op,
                                                                std::optional<jm::chain::OutPointHint> hint) {
        return await<std::optional<jm::chain::TxOutInfo>>(
            m_ctx, [&](auto done) { backend.getTxOutHinted(op, hint, m_ctx.executor(), done); });
    }
    //! Lets queued chain changes and the following scans run.
    void settle() {
        for (int i = 0; i < 50; ++i)
            m_ctx.poll();
    }
    NeutrinoBackend backend;
    TestContext& m_ctx;
};

//! A watch-only account: scripts of xpub/branch/i.
struct Account {
    Account() {
        auto master = jm::bitcoin::ExtendedKey::fromSeed(jm::bitcoin::Bytes(32, 7)).value();
        auto account = master.derivePath(jm::bitcoin::parseDerivationPath("m/84'/1'/0'").value()).value().neuter();
        xpub = account.toString(jm::bitcoin::Network::Regtest, false);
        key = account;
        secret = master.derivePath(jm::bitcoin::parseDerivationPath("m/84'/1'/0'").value()).value();
    }
    //! Signs input `i` of `tx`, which spends `amount` from script(branch, index).
    void sign(Transaction& tx, std::size_t i, std::uint32_t branch, std::uint32_t index, std::int64_t amount) const {
        auto k = secret->derive(branch).value().derive(index).value();
        BOOST_REQUIRE(jm::bitcoin::signP2wpkhInput(tx, i, k.privateKey(), amount));
    }
    Script script(std::uint32_t branch, std::uint32_t index) const {
        return jm::bitcoin::p2wpkhScript(key->derive(branch).value().derive(index).value().publicKey());
    }
    jm::chain::WatchRequest request(std::uint32_t end = 5) const {
        jm::chain::WatchRequest r;
        r.wallet_id = "jm-test";
        r.ranges = {{xpub, 0, end}, {xpub, 1, end}};
        return r;
    }
    std::string xpub;
    std::optional<jm::bitcoin::ExtendedKey> key;
    std::optional<jm::bitcoin::ExtendedKey> secret;
};

//! A transaction spending `inputs` (junk witnesses: blocks are not checked for signatures, relayed
//! spends of wallet coins are, see Account::sign) to `outputs`.
Transaction spend(std::vector<OutPoint> inputs, std::vector<jm::bitcoin::TxOut> outputs, std::uint32_t tag = 0) {
    Transaction tx;
    tx.version = 2;
    for (const auto& op : inputs) {
        jm::bitcoin::TxIn in;
        in.prevout = op;
        in.witness = {jm::bitcoin::Bytes(71, 1), jm::bitcoin::Bytes(33, 2)};
        tx.inputs.push_back(in);
    }
    tx.outputs = std::move(outputs);
    tx.locktime = tag;
    return tx;
}

//! Coins from outside (a funding transaction spending an unrelated coin).
Transaction funding(std::vector<jm::bitcoin::TxOut> outputs, std::uint32_t tag) {
    jm::bitcoin::Hash256 foreign{};
    foreign[0] = static_cast<std::uint8_t>(tag);
    foreign[1] = static_cast<std::uint8_t>(tag >> 8);
    foreign[31] = 0xee;
    return spend({{foreign, tag}}, std::move(outputs), tag);
}

std::set<std::pair<std::string, std::int64_t>> coins(const jm::chain::WalletScan& s) {
    std::set<std::pair<std::string, std::int64_t>> out;
    for (const auto& u : s.utxos)
        out.insert({u.outpoint.toString(), u.value});
    return out;
}

std::uint32_t usedEnd(const jm::chain::WalletScan& s, std::uint32_t branch) {
    for (const auto& r : s.ranges)
        if (r.branch == branch) return r.used_end;
    return 0;
}

//! The same transactions on the SDK TestChain (UTXO set, signatures) and in the memory source's
//! blocks: the TestChain's wallet view is the independent reference.
struct Twin {
    //! The TestChain watches as far ahead as the light client (settings().watch_ahead).
    explicit Twin(TestContext& ctx) : ctx(ctx), source(ctx.executor()) { chain.setWatchAhead(10); }
    OutPoint fund(const Script& script, std::int64_t value) {
        auto op = chain.fund(script, value);
        auto raw = await<jm::bitcoin::Bytes>(ctx, [&](auto done) {
                       chain.getTransaction(op.toString().substr(0, 64), ctx.executor(), done);
                   }).value();
        pending.push_back(jm::bitcoin::parseTransaction(raw).value());
        return op;
    }
    std::string submit(const Transaction& tx) {
        auto txid = chain.submit(tx.serialize());
        BOOST_REQUIRE_MESSAGE(txid.has_value(), (txid ? "" : txid.error().message));
        pending.push_back(tx);
        return *txid;
    }
    void mine() {
        chain.mine(1);
        source.mine(std::move(pending));
        pending.clear();
    }
    TestContext& ctx;
    jm::sdk::testing::TestChain chain;
    MemoryChainSource source;
    std::vector<Transaction> pending;
};

jm::wallet::Wallet makeWallet(jm::sdk::KvStore& store, std::uint8_t seed) {
    return jm::wallet::Wallet::create(store,
                                      {jm::bitcoin::Network::Regtest, 5, 6, jm::wallet::KdfStrength::Interactive},
                                      jm::bitcoin::Bytes(16, seed), "", "pw")
        .value();
}

jm::sdk::Result<jm::wallet::SyncResult> sync(TestContext& ctx, jm::wallet::Wallet& wallet,
                                             jm::chain::BlockchainBackend& backend) {
    return await<jm::wallet::SyncResult>(
        ctx, [&](auto done) { jm::wallet::WalletSync::run(wallet, backend, {}, {}, ctx.executor(), done); });
}

//! What a sync shows, comparable between backends: coins and confirmed history.
struct View {
    std::set<std::tuple<std::string, std::int64_t, int, int>> utxos; // outpoint, value, mixdepth, confirmations
    std::set<std::tuple<std::string, std::int64_t, std::int64_t, int, std::int64_t>> history;
    bool operator==(const View&) const = default;
};

View viewOf(const jm::wallet::SyncResult& r) {
    View v;
    for (const auto& u : r.utxos)
        v.utxos.insert({u.outpoint.toString(), u.value, u.mixdepth, u.confirmations});
    for (const auto& h : r.history)
        v.history.insert({h.txid, h.received, h.spent, h.confirmations, h.confirmations > 0 ? h.time : 0});
    return v;
}

void requireSameView(const View& light, const View& full) {
    BOOST_TEST(light.utxos.size() == full.utxos.size());
    BOOST_TEST(light.history.size() == full.history.size());
    BOOST_CHECK(light.utxos == full.utxos);
    BOOST_CHECK(light.history == full.history);
}

} // namespace

BOOST_AUTO_TEST_SUITE(neutrino_backend_tests)

BOOST_AUTO_TEST_CASE(a_wallet_synced_through_filters_matches_the_full_chain_view) {
    TestContext ctx("neutrino");
    Twin twin(ctx);
    jm::sdk::testing::MemoryKvStore store;
    auto wallet = makeWallet(store, 9);
    auto address = [&](int mixdepth, std::uint32_t branch, std::uint32_t index) {
        return jm::bitcoin::addressToScript(wallet.addressAt(mixdepth, branch, index).value().address,
                                            jm::bitcoin::Network::Regtest)
            .value();
    };
    // Some empty blocks, then coins to three mixdepths (one far into the external branch).
    for (int i = 0; i < 3; ++i)
        twin.mine();
    twin.fund(address(0, 0, 0), 80'000'000);
    twin.fund(address(1, 0, 4), 30'000'000);
    twin.fund(elsewhere(), 5'000'000);
    twin.mine();
    twin.fund(address(2, 0, 9), 12'000'000);
    twin.mine();
    twin.mine();

    Node node(ctx, twin.source);
    auto full = sync(ctx, wallet, twin.chain);
    BOOST_REQUIRE_MESSAGE(full.has_value(), (full ? "" : full.error().message));
    auto light = sync(ctx, wallet, node.backend);
    BOOST_REQUIRE_MESSAGE(light.has_value(), (light ? "" : light.error().message));
    BOOST_TEST(light->utxos.size() == 3u);
    requireSameView(viewOf(*light), viewOf(*full));
    BOOST_TEST(light->tip.height == 6);

    // A payment from mixdepth 0 (change back to it), mined: both views agree again.
    jm::wallet::UtxoSet utxos(store);
    BOOST_REQUIRE(utxos.replace(full->utxos));
    auto payment = jm::wallet::buildPayment(wallet, utxos, {0, elsewhere(), 20'000'000, 2000, full->tip.height});
    BOOST_REQUIRE_MESSAGE(payment.has_value(), (payment ? "" : payment.error().message));
    BOOST_REQUIRE(jm::wallet::commitChange(wallet, *payment));
    twin.submit(payment->tx);
    twin.mine();
    twin.mine();
    node.settle();
    full = sync(ctx, wallet, twin.chain);
    BOOST_REQUIRE(full.has_value());
    light = sync(ctx, wallet, node.backend);
    BOOST_REQUIRE_MESSAGE(light.has_value(), (light ? "" : light.error().message));
    requireSameView(viewOf(*light), viewOf(*full));
    // The payment's history entry: what left the wallet is the coin it spent.
    auto entry = std::find_if(light->history.begin(), light->history.end(),
                              [&](const auto& h) { return h.txid == payment->tx.txidHex(); });
    BOOST_REQUIRE(entry != light->history.end());
    BOOST_TEST(entry->spent == 80'000'000);
    BOOST_TEST(entry->received == payment->change_value);
    BOOST_TEST(entry->confirmations == 2);
}

BOOST_AUTO_TEST_CASE(the_gap_limit_moves_with_used_scripts_beyond_the_first_window) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    // watch_ahead 10, request end 5: scripts [0, 10) at first. Block 1 pays 3 (the window
    // moves to 14) and 12 in the same transaction; block 2 pays 20 (beyond the first window,
    // inside the one 12 opened), block 3 pays 30 (opened by 20) and 45 (beyond every window).
    source.mine({funding({{1000, account.script(0, 12)}, {3000, account.script(0, 3)}}, 1)});
    source.mine({funding({{2000, account.script(0, 20)}}, 2)});
    source.mine({funding({{4000, account.script(0, 30)}, {5000, account.script(0, 45)}}, 3)});
    source.mine({});
    Node node(ctx, source);
    std::vector<double> progress;
    auto scan = node.scan(account.request(5), &progress);
    BOOST_REQUIRE_MESSAGE(scan.has_value(), (scan ? "" : scan.error().message));
    std::set<std::int64_t> values;
    for (const auto& u : scan->utxos)
        values.insert(u.value);
    BOOST_TEST((values == std::set<std::int64_t>{1000, 2000, 3000, 4000}));
    BOOST_TEST(usedEnd(*scan, 0) == 31u); // reported past the requested end, as Core does
    BOOST_TEST(usedEnd(*scan, 1) == 0u);
    BOOST_TEST(scan->used_scripts.size() == 4u);
    BOOST_TEST(scan->history.size() == 3u);
    BOOST_REQUIRE(progress.size() > 2u);
    BOOST_TEST(progress.front() < 1.0);
    BOOST_TEST(progress.back() == 1.0);
    // One pass over the 5 blocks: the window moved during it, nothing was matched twice.
    BOOST_TEST(source.filtersServed() == 5u);

    // Asked for a wider window than it watches (a wallet with a larger gap): the new scripts
    // are matched from the birthday, and 45 is found.
    auto wider = node.scan(account.request(46));
    BOOST_REQUIRE(wider.has_value());
    BOOST_TEST(wider->utxos.size() == 5u);
    BOOST_TEST(usedEnd(*wider, 0) == 46u);
    BOOST_TEST(source.filtersServed() == 10u);
}

BOOST_AUTO_TEST_CASE(a_restart_resumes_the_scan_without_rescanning_from_the_birthday) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    for (int i = 0; i < 20; ++i)
        source.mine({});
    auto f = funding({{70'000, account.script(0, 1)}}, 3);
    source.mine({f});
    source.mine({});
    auto request = account.request();
    request.birthday_height = 10; // filters of blocks 10..22 only
    jm::chain::WalletScan first;
    {
        Node node(ctx, source);
        auto scan = node.scan(request);
        BOOST_REQUIRE(scan.has_value());
        first = *scan;
        BOOST_TEST(source.filtersServed() == 13u);
        node.backend.stop();
    }
    BOOST_TEST(first.utxos.size() == 1u);
    // A new instance over the same store: nothing to match again.
    auto served = source.filtersServed();
    {
        Node node(ctx, source);
        auto scan = node.scan(request);
        BOOST_REQUIRE(scan.has_value());
        BOOST_TEST(source.filtersServed() == served);
        BOOST_CHECK(coins(*scan) == coins(first));
        BOOST_TEST(scan->history.size() == 1u);
        node.backend.stop();
    }
    // Two blocks later (mined while it was off): only their filters.
    source.mine({spend({{f.txid(), 0}}, {{60'000, account.script(1, 0)}}, 4)});
    source.mine({});
    ctx.poll();
    {
        Node node(ctx, source);
        auto scan = node.scan(request);
        BOOST_REQUIRE(scan.has_value());
        BOOST_TEST(source.filtersServed() == served + 2);
        BOOST_REQUIRE(scan->utxos.size() == 1u);
        BOOST_TEST(scan->utxos[0].value == 60'000);
        BOOST_TEST(scan->utxos[0].confirmations == 2);
        BOOST_TEST(scan->history.size() == 2u);
    }
    // The birthday by time: the first block no older than it (minus two hours of lag).
    TestContext other("neutrino");
    MemoryChainSource copy(other.executor());
    for (int i = 0; i < 30; ++i)
        copy.mine({});
    Node node(other, copy);
    auto by_time = account.request();
    by_time.wallet_id = "by-time";
    by_time.birthday_time = 1'700'000'000 + 600 * 25 + 7200;
    BOOST_REQUIRE(node.scan(by_time).has_value());
    BOOST_TEST(copy.filtersServed() == 6u); // blocks 25..30
}

// The light client found that filters it had given came from a lone lying peer (the
// cross-check once another peer connected): it reports the blocks from the lie on as
// disconnected and connected again, the same blocks with the true filters, and the wallet
// finds the payment the lie hid.
BOOST_AUTO_TEST_CASE(a_payment_a_lying_filter_hid_is_found_once_the_filters_are_corrected) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    source.mine({});
    auto a = funding({{11'000, account.script(0, 0)}}, 5);
    source.mine({a});
    source.mine({});
    source.hideInFilter(2, account.script(0, 0));
    Node node(ctx, source);
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_TEST(scan->utxos.empty());
    source.correctFilters(2);
    node.settle();
    scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE(scan->utxos.size() == 1u);
    BOOST_TEST(scan->utxos[0].value == 11'000);
    BOOST_TEST(scan->utxos[0].confirmations == 2);
    BOOST_TEST(scan->tip.height == 3);
}

BOOST_AUTO_TEST_CASE(a_reorganisation_removes_a_transaction_and_adds_another) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    source.mine({});
    auto a = funding({{11'000, account.script(0, 0)}}, 5);
    auto b = funding({{22'000, account.script(0, 1)}}, 6);
    source.mine({a});
    source.mine({});
    Node node(ctx, source);
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE(scan->utxos.size() == 1u);
    BOOST_TEST(scan->utxos[0].value == 11'000);
    BOOST_TEST(scan->utxos[0].confirmations == 2);

    std::vector<jm::sdk::events::BlockConnected> blocks;
    auto sub = ctx.bus().subscribe<jm::sdk::events::BlockConnected>(ctx.executor(),
                                                                    [&](const auto& e) { blocks.push_back(e); });
    // Blocks 2 and 3 replaced by three blocks, b in the second of them; a is gone.
    source.reorg(2, {{}, {b}, {}});
    node.settle();
    runUntil(ctx, [&] { return !blocks.empty(); });
    BOOST_TEST(blocks.back().height == 4);
    scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE(scan->utxos.size() == 1u);
    BOOST_TEST(scan->utxos[0].value == 22'000);
    BOOST_TEST(scan->utxos[0].confirmations == 2);
    BOOST_TEST(scan->history.size() == 1u);
    BOOST_TEST(scan->history[0].txid == b.txidHex());
    BOOST_TEST(scan->tip.height == 4);
}

BOOST_AUTO_TEST_CASE(a_relayed_transaction_counts_unconfirmed_then_confirms) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    auto f = funding({{90'000, account.script(0, 0)}}, 7);
    source.mine({f});
    Node node(ctx, source);
    BOOST_REQUIRE(node.scan(account.request()).has_value());
    // The wallet spends its coin (change to itself); a peer relays it.
    auto pay = spend({{f.txid(), 0}}, {{50'000, elsewhere()}, {39'000, account.script(1, 0)}}, 8);
    account.sign(pay, 0, 0, 0, 90'000);
    source.relay(pay);
    node.settle();
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE(scan->utxos.size() == 1u);
    BOOST_TEST(scan->utxos[0].value == 39'000);
    BOOST_TEST(scan->utxos[0].confirmations == 0);
    auto entry = std::find_if(scan->history.begin(), scan->history.end(),
                              [&](const auto& h) { return h.txid == pay.txidHex(); });
    BOOST_REQUIRE(entry != scan->history.end());
    BOOST_TEST(entry->confirmations == 0);
    BOOST_TEST(entry->spent == 90'000);
    BOOST_TEST(entry->received == 39'000);
    // The spent coin is gone for getTxOut, the change is there unconfirmed.
    auto spent = await<std::optional<jm::chain::TxOutInfo>>(ctx, [&](auto done) {
        node.backend.getTxOut({f.txid(), 0}, ctx.executor(), done);
    });
    BOOST_REQUIRE(spent.has_value());
    BOOST_TEST(!spent->has_value());

    source.mine({pay});
    node.settle();
    scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE(scan->utxos.size() == 1u);
    BOOST_TEST(scan->utxos[0].confirmations == 1);
    auto change = await<std::optional<jm::chain::TxOutInfo>>(ctx, [&](auto done) {
        node.backend.getTxOut({pay.txid(), 1}, ctx.executor(), done);
    });
    BOOST_REQUIRE(change.has_value());
    BOOST_REQUIRE(change->has_value());
    BOOST_TEST((*change)->value == 39'000);
    BOOST_TEST((*change)->confirmations == 1);
    // Not the wallet's output: a light client cannot tell without a hint.
    auto foreign = await<std::optional<jm::chain::TxOutInfo>>(ctx, [&](auto done) {
        node.backend.getTxOut({pay.txid(), 0}, ctx.executor(), done);
    });
    BOOST_REQUIRE(!foreign.has_value());
    BOOST_TEST((foreign.error().code == errc::unsupported));
}

BOOST_AUTO_TEST_CASE(a_relayed_spend_of_a_wallet_coin_without_its_signature_is_ignored) {
    // A hostile peer relays a made-up spend of the wallet's coin: the light client cannot ask a
    // mempool, but it knows the coin's script and amount and checks the signature.
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    auto f = funding({{90'000, account.script(0, 0)}}, 7);
    source.mine({f});
    Node node(ctx, source);
    BOOST_REQUIRE(node.scan(account.request()).has_value());
    auto fake = spend({{f.txid(), 0}}, {{89'000, elsewhere()}}, 8); // a witness of junk bytes
    auto forged = spend({{f.txid(), 0}}, {{89'000, elsewhere()}}, 9);
    account.sign(forged, 0, 0, 0, 80'000); // signed for another amount
    forged.outputs[0].value = 89'000;
    source.relay(fake);
    source.relay(forged);
    node.settle();
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE_EQUAL(scan->utxos.size(), 1u);
    BOOST_TEST(scan->utxos[0].value == 90'000);
    BOOST_TEST(scan->history.size() == 1u);
    auto coin = await<std::optional<jm::chain::TxOutInfo>>(ctx, [&](auto done) {
        node.backend.getTxOut({f.txid(), 0}, ctx.executor(), done);
    });
    BOOST_REQUIRE(coin.has_value());
    BOOST_TEST(coin->has_value());
    // The same spend signed: taken.
    auto real = spend({{f.txid(), 0}}, {{89'000, elsewhere()}}, 10);
    account.sign(real, 0, 0, 0, 90'000);
    source.relay(real);
    node.settle();
    scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_TEST(scan->utxos.empty());
}

BOOST_AUTO_TEST_CASE(an_immature_coinbase_is_history_but_not_a_coin_yet) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    source.mine({}, account.script(0, 2));
    Node node(ctx, source);
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_TEST(scan->utxos.empty());
    BOOST_REQUIRE(scan->history.size() == 1u);
    BOOST_TEST(scan->history[0].immature);
    BOOST_TEST(scan->history[0].received == 50'0000'0000);
    for (int i = 0; i < 100; ++i)
        source.mine({});
    node.settle();
    scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_REQUIRE(scan->utxos.size() == 1u); // 101 deep: spendable
    BOOST_TEST(!scan->history[0].immature);
}

BOOST_AUTO_TEST_CASE(a_hinted_lookup_finds_a_coin_sees_it_spent_and_rejects_wrong_hints) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Node node(ctx, source);
    BOOST_TEST(!node.backend.capabilities().any_outpoint_lookup);
    Script theirs = elsewhere();
    Script other = Account().script(0, 0);
    source.mine({});
    auto coin = funding({{123'456, theirs}, {1000, other}}, 9);
    source.mine({coin});
    for (int i = 0; i < 5; ++i)
        source.mine({});
    OutPoint op{coin.txid(), 0};

    auto found = node.hinted(op, jm::chain::OutPointHint{theirs, 2});
    BOOST_REQUIRE_MESSAGE(found.has_value(), (found ? "" : found.error().message));
    BOOST_REQUIRE(found->has_value());
    BOOST_TEST((*found)->value == 123'456);
    BOOST_TEST((*found)->confirmations == 6);
    BOOST_CHECK((*found)->script_pubkey == theirs);
    // Wrong script, wrong height, wrong vout, a height above the tip: not a usable coin.
    BOOST_TEST(!node.hinted(op, jm::chain::OutPointHint{other, 2}).value().has_value());
    BOOST_TEST(!node.hinted(op, jm::chain::OutPointHint{theirs, 3}).value().has_value());
    BOOST_TEST(!node.hinted({coin.txid(), 1}, jm::chain::OutPointHint{theirs, 2}).value().has_value());
    BOOST_TEST(!node.hinted({coin.txid(), 5}, jm::chain::OutPointHint{theirs, 2}).value().has_value());
    BOOST_TEST(!node.hinted(op, jm::chain::OutPointHint{theirs, 50}).value().has_value());
    auto unhinted = node.hinted(op, std::nullopt);
    BOOST_REQUIRE(!unhinted.has_value());
    BOOST_TEST((unhinted.error().code == errc::unsupported));

    // A new block: still there, one deeper (the cache continues from where it checked).
    source.mine({});
    node.settle();
    auto again = node.hinted(op, jm::chain::OutPointHint{theirs, 2});
    BOOST_REQUIRE(again.has_value() && again->has_value());
    BOOST_TEST((*again)->confirmations == 7);

    // Spent in the mempool, then in a block: gone.
    auto spender = spend({op}, {{120'000, other}}, 10);
    source.relay(spender);
    node.settle();
    BOOST_TEST(!node.hinted(op, jm::chain::OutPointHint{theirs, 2}).value().has_value());
    source.mine({spender});
    node.settle();
    TestContext fresh_ctx("neutrino");
    // A fresh instance (no relayed transactions, no cache) finds the spend in the block.
    MemoryChainSource& same = source;
    (void)fresh_ctx;
    NeutrinoBackend cold(ctx, same, settings());
    auto cold_result = await<std::optional<jm::chain::TxOutInfo>>(ctx, [&](auto done) {
        cold.getTxOutHinted(op, jm::chain::OutPointHint{theirs, 2}, ctx.executor(), done);
    });
    BOOST_REQUIRE(cold_result.has_value());
    BOOST_TEST(!cold_result->has_value());
}

BOOST_AUTO_TEST_CASE(a_hinted_lookup_is_bounded_and_continues_where_it_stopped) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    auto s = settings();
    s.filter_batch = 5;
    s.hint_max_filters = 10;
    Node node(ctx, source, s);
    auto coin = funding({{5000, elsewhere()}}, 11);
    source.mine({coin});
    for (int i = 0; i < 25; ++i)
        source.mine({});
    jm::chain::OutPointHint hint{elsewhere(), 1};
    auto first = node.hinted({coin.txid(), 0}, hint);
    BOOST_REQUIRE(!first.has_value());
    BOOST_TEST((first.error().code == errc::unavailable));
    auto second = node.hinted({coin.txid(), 0}, hint);
    BOOST_REQUIRE(!second.has_value());
    auto third = node.hinted({coin.txid(), 0}, hint);
    BOOST_REQUIRE_MESSAGE(third.has_value(), (third ? "" : third.error().message));
    BOOST_REQUIRE(third->has_value());
    BOOST_TEST((*third)->confirmations == 26);
    // Every block after the coin's was checked once, none twice.
    BOOST_TEST(source.filtersServed() == 1u + 25u);
}

BOOST_AUTO_TEST_CASE(watched_transactions_publish_their_states) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    auto f = funding({{90'000, account.script(0, 0)}, {40'000, account.script(0, 1)}}, 12);
    source.mine({f});
    Node node(ctx, source);
    BOOST_REQUIRE(node.scan(account.request()).has_value());
    std::vector<jm::sdk::events::TxStatusChanged> events;
    std::string following; // the watched transaction whose events are collected
    auto sub = ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(ctx.executor(), [&](const auto& e) {
        if (e.txid == following) events.push_back(e);
    });
    using State = jm::sdk::events::TxState;

    // The wallet's payment: broadcast (unconfirmed), mined, final at depth 2.
    auto pay = spend({{f.txid(), 0}}, {{80'000, elsewhere()}}, 13);
    auto txid =
        await<std::string>(ctx, [&](auto done) { node.backend.broadcast(pay.serialize(), ctx.executor(), done); });
    BOOST_REQUIRE(txid.has_value());
    BOOST_TEST(*txid == pay.txidHex());
    BOOST_TEST(source.broadcasts().size() == 1u);
    auto raw =
        await<jm::bitcoin::Bytes>(ctx, [&](auto done) { node.backend.getTransaction(*txid, ctx.executor(), done); });
    BOOST_REQUIRE(raw.has_value());
    BOOST_CHECK(*raw == pay.serialize());
    following = *txid;
    node.backend.watchTransaction(*txid, 2);
    runUntil(ctx, [&] { return events.size() >= 1; });
    BOOST_TEST((events[0].state == State::Mempool));
    source.mine({pay});
    runUntil(ctx, [&] { return events.size() >= 2; });
    BOOST_TEST((events[1].state == State::Confirmed));
    BOOST_TEST(events[1].confirmations == 1);
    BOOST_TEST(events[1].height == 2);
    BOOST_TEST(!events[1].final);
    source.mine({});
    runUntil(ctx, [&] { return events.size() >= 3; });
    BOOST_TEST(events[2].confirmations == 2);
    BOOST_TEST(events[2].final);

    // Somebody else's transaction (a CoinJoin the wallet does not take part in): known once
    // relayed, then found in its block by its own output scripts.
    auto theirs = funding({{7'000, elsewhere()}}, 14);
    source.relay(theirs);
    node.settle();
    events.clear();
    following = theirs.txidHex();
    node.backend.watchTransaction(theirs.txidHex(), 3);
    runUntil(ctx, [&] { return events.size() >= 1; });
    BOOST_TEST((events[0].state == State::Mempool));
    source.mine({theirs});
    runUntil(ctx, [&] { return events.size() >= 2; });
    BOOST_TEST((events[1].state == State::Confirmed));
    BOOST_TEST(events[1].confirmations == 1);
    BOOST_TEST(events[1].txid == theirs.txidHex());

    // Relayed, mined, and only then watched: found in the block mined since it was relayed.
    auto late = funding({{8'000, elsewhere()}}, 23);
    source.relay(late);
    node.settle();
    source.mine({late});
    node.settle();
    events.clear();
    following = late.txidHex();
    node.backend.watchTransaction(late.txidHex(), 3);
    runUntil(ctx, [&] { return events.size() >= 1; });
    BOOST_TEST((events[0].state == State::Confirmed)); // its first state is the right one
    BOOST_TEST(events[0].height == 5);

    // A wallet transaction whose input a block spends otherwise: conflicted.
    auto mine_tx = spend({{f.txid(), 1}}, {{39'000, account.script(1, 0)}}, 15);
    auto rival = spend({{f.txid(), 1}}, {{38'000, elsewhere()}}, 16);
    account.sign(mine_tx, 0, 0, 1, 40'000);
    source.relay(mine_tx);
    node.settle();
    events.clear();
    following = mine_tx.txidHex();
    node.backend.watchTransaction(mine_tx.txidHex(), 6);
    runUntil(ctx, [&] { return events.size() >= 1; });
    BOOST_TEST((events[0].state == State::Mempool));
    source.mine({rival});
    runUntil(ctx, [&] { return events.size() >= 2; });
    BOOST_TEST((events[1].state == State::Conflicted));
    BOOST_TEST(events[1].conflicting_txid == rival.txidHex());
    BOOST_TEST(events[1].confirmations == 1);
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_TEST(scan->utxos.empty());
    BOOST_TEST(std::none_of(scan->history.begin(), scan->history.end(),
                            [&](const auto& h) { return h.txid == mine_tx.txidHex(); }));
}

BOOST_AUTO_TEST_CASE(a_coinjoin_paying_the_wallet_is_found_for_its_watch_through_reorgs) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    auto f = funding({{90'000, account.script(0, 0)}}, 20);
    source.mine({f});
    Node node(ctx, source);
    BOOST_REQUIRE(node.scan(account.request()).has_value());
    std::vector<jm::sdk::events::TxStatusChanged> events;
    auto sub = ctx.bus().subscribe<jm::sdk::events::TxStatusChanged>(ctx.executor(),
                                                                     [&](const auto& e) { events.push_back(e); });
    using State = jm::sdk::events::TxState;
    // A maker signed a CoinJoin the taker broadcasts: watched before this node ever sees it,
    // never relayed to it; its block pays the wallet, so the filters find it.
    auto coinjoin = spend({{f.txid(), 0}, {funding({{1, elsewhere()}}, 21).txid(), 0}},
                          {{50'000, account.script(0, 1)}, {50'000, elsewhere()}, {38'000, account.script(1, 0)}}, 22);
    node.backend.watchTransaction(coinjoin.txidHex(), 3);
    node.settle();
    BOOST_TEST(events.empty()); // not found yet: nothing to say
    source.mine({coinjoin});
    runUntil(ctx, [&] { return !events.empty(); });
    BOOST_TEST(events[0].txid == coinjoin.txidHex());
    BOOST_TEST((events[0].state == State::Confirmed));
    BOOST_TEST(events[0].confirmations == 1);
    BOOST_TEST(events[0].height == 2);
    // Its block leaves the best chain: back to unconfirmed; mined again in the new branch.
    source.reorg(1, {{}});
    runUntil(ctx, [&] { return events.size() >= 2; });
    BOOST_TEST((events[1].state == State::Mempool));
    source.mine({coinjoin});
    runUntil(ctx, [&] { return events.size() >= 3; });
    BOOST_TEST((events[2].state == State::Confirmed));
    BOOST_TEST(events[2].height == 3);
    BOOST_TEST(events[2].block_hash == source.blockAt(3).header.hashHex());
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_TEST(scan->utxos.size() == 2u);
    BOOST_TEST(scan->history.size() == 2u);
}

BOOST_AUTO_TEST_CASE(queries_without_an_answer_say_why) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Node node(ctx, source);
    auto fee = await<std::int64_t>(ctx, [&](auto done) { node.backend.estimateFee(3, ctx.executor(), done); });
    BOOST_REQUIRE(!fee.has_value());
    BOOST_TEST((fee.error().code == errc::unsupported));
    auto tx = await<jm::bitcoin::Bytes>(
        ctx, [&](auto done) { node.backend.getTransaction(std::string(64, 'a'), ctx.executor(), done); });
    BOOST_REQUIRE(!tx.has_value());
    BOOST_TEST((tx.error().code == errc::not_found));
    auto bad = await<std::string>(ctx, [&](auto done) {
        node.backend.broadcast(jm::bitcoin::Bytes{1, 2, 3}, ctx.executor(), done);
    });
    BOOST_REQUIRE(!bad.has_value());
    BOOST_TEST((bad.error().code == errc::rejected));
    source.setBroadcastFails(true);
    auto offline = await<std::string>(ctx, [&](auto done) {
        node.backend.broadcast(funding({{1, elsewhere()}}, 1).serialize(), ctx.executor(), done);
    });
    BOOST_REQUIRE(!offline.has_value());
    BOOST_TEST((offline.error().code == errc::unavailable));
    // Still syncing after sync_wait: no wallet scan, the user is told why.
    source.setSynced(false);
    auto started = std::chrono::steady_clock::now();
    auto scan = node.scan(Account().request());
    BOOST_REQUIRE(!scan.has_value());
    BOOST_TEST((scan.error().code == errc::unavailable));
    BOOST_TEST(scan.error().message.find("peers") != std::string::npos, scan.error().message);
    BOOST_TEST((std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(300)));
    // A scan asked while syncing waits for the sync and then runs.
    std::optional<jm::sdk::Result<jm::chain::WalletScan>> waited;
    node.backend.scanWallet(Account().request(), {}, ctx.executor(), [&](auto r) { waited = std::move(r); });
    for (int i = 0; i < 20; ++i) {
        ctx.ioContext().restart();
        ctx.ioContext().run_for(std::chrono::milliseconds(5));
    }
    BOOST_TEST(!waited.has_value());
    source.setSynced(true);
    runUntil(ctx, [&] { return waited.has_value(); });
    BOOST_TEST(waited->has_value(), (waited->has_value() ? "" : waited->error().message));
    source.setSynced(false);
    auto tip = await<jm::chain::ChainTip>(ctx, [&](auto done) { node.backend.tip(ctx.executor(), done); });
    BOOST_REQUIRE(tip.has_value());
    BOOST_TEST(tip->height == 0);
    BOOST_TEST(tip->hash == source.blockAt(0).header.hashHex());
}

BOOST_AUTO_TEST_CASE(an_unreadable_stored_state_is_scanned_again) {
    TestContext ctx("neutrino");
    MemoryChainSource source(ctx.executor());
    Account account;
    source.mine({funding({{5'000, account.script(0, 0)}}, 17)});
    {
        Node node(ctx, source);
        BOOST_REQUIRE(node.scan(account.request()).has_value());
    }
    // Every stored transaction garbled: the wallet is scanned again and nothing is lost.
    std::vector<std::string> keys;
    ctx.store().iterate("t/", [&](std::string_view key, std::string_view) {
        keys.emplace_back(key);
        return true;
    });
    BOOST_REQUIRE(!keys.empty());
    for (const auto& k : keys)
        BOOST_REQUIRE(ctx.store().put(k, "{not json"));
    auto served = source.filtersServed();
    Node node(ctx, source);
    auto scan = node.scan(account.request());
    BOOST_REQUIRE(scan.has_value());
    BOOST_TEST(scan->utxos.size() == 1u);
    BOOST_TEST(source.filtersServed() == served + 2);
}

BOOST_AUTO_TEST_CASE(the_plugin_factory_checks_its_config) {
    auto& factory = neutrinoFactory();
    BOOST_TEST(factory.kind() == "backend");
    BOOST_TEST(factory.name() == "neutrino");
    BOOST_TEST(factory.provides() == std::vector<std::string>{"backend/1"});
    boost::json::object good{{"peers", boost::json::array{"127.0.0.1:18444"}}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_TEST(factory.configSchema().validate(good, "$", problems));
    BOOST_TEST(good.at("watch_ahead").as_int64() == 200);
    boost::json::object bad_peer{{"peers", boost::json::array{"no-port"}}};
    BOOST_TEST(factory.configSchema().validate(bad_peer, "$", problems));
    // One place checks the peers: the factory's hook (`jmnode config check`), which create()
    // runs too; fromConfig reads only the backend's own keys.
    problems.clear();
    BOOST_TEST(!factory.checkConfig(bad_peer, "regtest", "$", problems));
    BOOST_REQUIRE_EQUAL(problems.size(), 1u);
    BOOST_TEST(problems[0].path == "$.peers[0]");
    BOOST_TEST(problems[0].message.find("expected \"host:port\"") != std::string::npos, problems[0].message);
    TestContext ctx("neutrino");
    auto made = factory.create(ctx, bad_peer);
    BOOST_REQUIRE(!made.has_value());
    BOOST_TEST((made.error().code == errc::invalid_config));
    BOOST_TEST(made.error().message.find("peers[0]") != std::string::npos, made.error().message);
    BOOST_TEST(NeutrinoSettings::fromConfig(bad_peer).has_value());
    boost::json::object bad_batch = good;
    bad_batch["filter_batch"] = "many";
    BOOST_TEST((NeutrinoSettings::fromConfig(bad_batch).error().code == errc::invalid_config));
    boost::json::object unknown{{"peer", "x"}};
    problems.clear();
    BOOST_TEST(!factory.configSchema().validate(unknown, "$", problems));
}

// Each config the light client cannot use is refused by create() with a message naming the key.
BOOST_AUTO_TEST_CASE(the_plugin_refuses_peers_it_cannot_use) {
    auto& factory = neutrinoFactory();
    auto refused = [&](boost::json::object config, const std::string& expect) {
        std::vector<jm::sdk::ConfigProblem> problems;
        BOOST_REQUIRE(factory.configSchema().validate(config, "$", problems));
        TestContext ctx("neutrino");
        auto made = factory.create(ctx, config);
        BOOST_REQUIRE(!made.has_value());
        BOOST_TEST((made.error().code == errc::invalid_config));
        BOOST_TEST_MESSAGE(made.error().message);
        BOOST_TEST(made.error().message.find(expect) != std::string::npos, made.error().message);
    };
    refused({{"peers", boost::json::array{"nonsense"}}}, "nonsense");
    refused({{"peers", boost::json::array{"127.0.0.1:0"}}}, "127.0.0.1:0");
    refused({{"peers", boost::json::array{}}}, "peers");
    // Regtest has no built-in DNS seeds: asking for them is a mistake, named.
    refused({{"peers", boost::json::array{"127.0.0.1:18444"}}, {"dns_seeds", true}}, "regtest has no DNS seeds");
    refused({{"peers", boost::json::array{"127.0.0.1:18444", "127.0.0.1:18445"}}, {"max_peers", 1}}, "max_peers");
    // The same checks through the SDK hook the host calls for `jmnode config check`.
    boost::json::object config{{"peers", boost::json::array{"127.0.0.1:8333", "x"}}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(factory.configSchema().validate(config, "$.p", problems));
    BOOST_TEST(!factory.checkConfig(config, "regtest", "$.p", problems));
    BOOST_REQUIRE_EQUAL(problems.size(), 2u);
    BOOST_TEST(problems[0].path == "$.p.peers[0]");
    BOOST_TEST(problems[1].path == "$.p.peers[1]");
    problems.clear();
    BOOST_TEST(factory.checkConfig(config, "mainnet", "$.p", problems) == false); // "x" stays wrong
    BOOST_TEST(problems.size() == 1u);
}

// The real plugin: P2P client from the config, chains in the instance's store, synced from a
// P2P peer; a second instance over the same store starts from the stored chain.
BOOST_AUTO_TEST_CASE(the_plugin_syncs_from_a_p2p_peer_and_resumes_from_its_store) {
    using namespace jm::test::neutrino;
    auto& factory = neutrinoFactory();
    TestContext ctx("neutrino-a");
    auto chain = std::make_shared<TestBlockChain>(TestBlockChain::genesis());
    chain->extend(12, 0);
    TestNode peer(ctx.ioContext(), chain);
    boost::json::object config{{"peers", boost::json::array{peer.address()}}};
    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_REQUIRE(factory.configSchema().validate(config, "$", problems));
    auto tipOf = [&](NeutrinoBackend& b) {
        return await<jm::chain::ChainTip>(ctx, [&](auto done) { b.tip(ctx.executor(), std::move(done)); });
    };
    {
        auto made = factory.create(ctx, config);
        BOOST_REQUIRE_MESSAGE(made.has_value(), made.error().message);
        auto& plugin = static_cast<NeutrinoPlugin&>(**made);
        BOOST_REQUIRE(plugin.start());
        runUntil(ctx, [&] { return tipOf(plugin.backend())->height == 12; });
        BOOST_TEST(tipOf(plugin.backend())->hash == jm::bitcoin::toHexReversed(chain->hashes.back()));
        bool stopped = false;
        plugin.stop([&] { stopped = true; });
        runUntil(ctx, [&] { return stopped; });
    }
    BOOST_TEST(ctx.store().get("fhcount")->has_value());
    // Restarted with its peer gone: the stored chain is there before any peer answers.
    peer.dropConnections();
    boost::json::object offline{{"peers", boost::json::array{"127.0.0.1:1"}}};
    BOOST_REQUIRE(factory.configSchema().validate(offline, "$", problems));
    auto again = makeP2pChainSource(ctx, offline);
    BOOST_REQUIRE_MESSAGE(again.has_value(), again.error().message);
    BOOST_TEST((*again)->verifiedHeight() == 12u);
}

BOOST_AUTO_TEST_SUITE_END()
