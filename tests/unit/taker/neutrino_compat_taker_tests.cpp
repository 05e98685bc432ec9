// NG's neutrino_compat (protocol.md 14.1) on the taker's side: the commitment opening names our
// coin in the extended form only to makers that advertised the feature; makers' extended coins
// are looked up through their hints; a light-client taker drops makers it cannot check.
#include "taker_harness.hpp"

#include <jm/protocol/utxo_string.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

using namespace jm::test;

namespace {

struct Scripted {
    Misbehaviour how = Misbehaviour::None;
    bool neutrino_compat = false;
    std::string cjfee = "0.00001";
    bool listed_compat = false; //!< its directory handshake advertises neutrino_compat
};

struct CompatMarket {
    ChainHub hub;
    TestDirectory directory;
    std::vector<std::unique_ptr<MakerUnderTest>> makers;
    std::vector<std::unique_ptr<HostileMaker>> scripted;
    std::unique_ptr<TakerUnderTest> taker;
    std::int64_t funded_height = 0; //!< the block of the taker's coins
    jm::bitcoin::Script destination;

    CompatMarket(bool light_taker, std::size_t honest, const std::vector<Scripted>& others,
                 boost::json::object taker_config = {}) {
        for (std::size_t i = 0; i < honest; ++i) {
            MakerOptions options;
            options.directories = {directory.port()};
            options.coins = {{0, 100'000'000}, {1, 100'000'000}, {2, 100'000'000}};
            makers.push_back(std::make_unique<MakerUnderTest>(hub, options));
        }
        for (const auto& o : others) {
            scripted.push_back(std::make_unique<HostileMaker>(hub, directory.port(), o.how, o.cjfee));
            scripted.back()->setNeutrinoCompat(o.neutrino_compat);
            scripted.back()->setListedNeutrinoCompat(o.listed_compat);
        }
        TakerOptions options;
        options.directories = {directory.port()};
        options.light_client = light_taker;
        options.config = std::move(taker_config);
        taker = std::make_unique<TakerUnderTest>(hub, options);
        funded_height = hub.chain().height() + 1;
        hub.mine(6);
        for (auto& m : makers)
            m->start();
        for (auto& s : scripted)
            s->start();
        taker->start();
    }

    jm::sdk::Result<jm::taker::CoinjoinResult> pay(std::size_t n = 2) {
        auto [address, script] = TakerUnderTest::destination();
        destination = script;
        return taker->send({0, 10'000'000, false, address, n});
    }

    //! The output `op` spends, as the chain recorded its transaction.
    std::optional<jm::bitcoin::TxOut> outputOf(const jm::bitcoin::OutPoint& op) {
        boost::asio::io_context io;
        std::optional<jm::bitcoin::TxOut> out;
        hub.chain().getTransaction(op.toString().substr(0, 64), io.get_executor(),
                                   [&](jm::sdk::Result<jm::bitcoin::Bytes> raw) {
                                       if (!raw) return;
                                       auto tx = jm::bitcoin::parseTransaction(*raw);
                                       if (tx && op.vout < tx->outputs.size()) out = tx->outputs[op.vout];
                                   });
        io.run();
        return out;
    }

    //! Completed without the scripted maker `s`, in a second attempt, paying the destination.
    void requireCompletedWithout(const jm::sdk::Result<jm::taker::CoinjoinResult>& result, const HostileMaker& s) {
        BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
        BOOST_CHECK_EQUAL(result->makers, 2u);
        BOOST_CHECK_EQUAL(result->attempts, 2);
        BOOST_CHECK_GE(s.fills(), 1);
        BOOST_CHECK_EQUAL(s.txs(), 0); // never shown the transaction
        auto tx = jm::bitcoin::parseTransaction(result->raw_tx).value();
        std::int64_t to_destination = 0;
        for (const auto& o : tx.outputs)
            if (o.script_pubkey == destination) to_destination += o.value;
        BOOST_CHECK_EQUAL(to_destination, result->cj_amount);
        BOOST_CHECK_EQUAL(hub.chain().mempoolSize(), 1u);
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(neutrino_compat_taker_tests)

BOOST_AUTO_TEST_CASE(the_extended_opening_goes_only_to_makers_that_advertise_neutrino_compat) {
    // A mixed market: an NG-like maker and a REF-like one (no feature), both honest.
    CompatMarket market(false, 0, {{Misbehaviour::None, true, "0.00001"}, {Misbehaviour::None, false, "0.00002"}});
    auto result = market.pay();
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 1);
    auto ng = jm::protocol::parseUtxoString(market.scripted[0]->authUtxo());
    auto ref = jm::protocol::parseUtxoString(market.scripted[1]->authUtxo());
    BOOST_REQUIRE(ng && ref);
    BOOST_CHECK(!ref->extended());
    BOOST_CHECK(ref->outpoint == ng->outpoint); // the same coin, the same opening otherwise
    BOOST_REQUIRE(ng->extended());
    BOOST_CHECK_EQUAL(*ng->height, market.funded_height);
    auto chain_out = market.outputOf(ng->outpoint);
    BOOST_REQUIRE(chain_out);
    BOOST_CHECK(*ng->script_pubkey == chain_out->script_pubkey);
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_completes_with_neutrino_compat_makers) {
    // jmnode makers advertise neutrino_compat and answer an extended opening in kind; the light
    // client finds each of their coins through its hint.
    CompatMarket market(true, 2, {});
    auto result = market.pay();
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_GE(market.taker->lightChain()->hintedLookups(), 2);
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_chooses_only_makers_listed_with_neutrino_compat) {
    // jmnode makers advertise neutrino_compat in their directory handshake and the light client
    // asks for the peerlists' features: the cheaper REF-like maker is never filled.
    CompatMarket market(true, 2, {{Misbehaviour::None, false}});
    auto result = market.pay();
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_EQUAL(result->makers, 2u);
    BOOST_CHECK_EQUAL(market.scripted[0]->fills(), 0);
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_drops_a_maker_without_neutrino_compat) {
    // Too few makers listed with the feature for three: chosen among all, the REF-like one is
    // dropped at its !pubkey (before the opening) and the other two complete the round.
    CompatMarket market(true, 2, {{Misbehaviour::None, false}}, {{"minimum_makers", 2}});
    auto result = market.pay(3);
    BOOST_REQUIRE_MESSAGE(result, (result ? "" : result.error().message));
    BOOST_CHECK_EQUAL(result->attempts, 1);
    BOOST_CHECK_EQUAL(result->makers, 2u);
    BOOST_CHECK_EQUAL(market.scripted[0]->fills(), 1);
    BOOST_CHECK_EQUAL(market.scripted[0]->authUtxo(), ""); // dropped at !pubkey: no !auth sent
    BOOST_CHECK_EQUAL(market.scripted[0]->txs(), 0);
}

BOOST_AUTO_TEST_CASE(a_maker_listed_with_neutrino_compat_but_sending_legacy_coins_is_dropped) {
    // The peerlist's feature counts (NG): the opening goes out extended, and its legacy !ioauth
    // coins get it dropped.
    CompatMarket market(true, 2, {{Misbehaviour::None, false, "0.00001", true}});
    auto result = market.pay();
    market.requireCompletedWithout(result, *market.scripted[0]);
    auto opening = jm::protocol::parseUtxoString(market.scripted[0]->authUtxo());
    BOOST_REQUIRE(opening);
    BOOST_CHECK(opening->extended());
}

BOOST_AUTO_TEST_CASE(too_few_makers_with_neutrino_compat_fail_the_run_with_the_reason) {
    // One attempt, two makers needed, one of them REF-like: the failure names the dropped maker
    // and NG's refusal text, not only "1 maker(s) answered".
    CompatMarket market(true, 1, {{Misbehaviour::None, false}}, {{"max_attempts", 1}, {"minimum_makers", 2}});
    auto result = market.pay();
    BOOST_REQUIRE(!result);
    const auto& message = result.error().message;
    BOOST_CHECK_MESSAGE(message.find("no attempts left") != std::string::npos, message);
    BOOST_CHECK_MESSAGE(message.find(market.scripted[0]->nick() + ": " +
                                     std::string(jm::protocol::NEUTRINO_INCOMPATIBLE_ERROR)) != std::string::npos,
                        message);
    BOOST_CHECK_EQUAL(market.scripted[0]->authUtxo(), "");
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_drops_a_maker_listing_legacy_coins) {
    CompatMarket market(true, 2, {{Misbehaviour::LegacyIoauth, true}});
    auto result = market.pay();
    market.requireCompletedWithout(result, *market.scripted[0]);
    auto opening = jm::protocol::parseUtxoString(market.scripted[0]->authUtxo());
    BOOST_REQUIRE(opening);
    BOOST_CHECK(opening->extended());
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_drops_a_maker_whose_hint_names_another_block) {
    CompatMarket market(true, 2, {{Misbehaviour::WrongHintHeight, true}});
    market.requireCompletedWithout(market.pay(), *market.scripted[0]);
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_drops_a_maker_whose_hint_names_another_script) {
    CompatMarket market(true, 2, {{Misbehaviour::WrongHintScript, true}});
    market.requireCompletedWithout(market.pay(), *market.scripted[0]);
}

BOOST_AUTO_TEST_CASE(a_full_node_taker_drops_a_maker_whose_hint_names_another_script) {
    // A full node ignores the hint; the claimed script is compared with the chain's.
    CompatMarket market(false, 2, {{Misbehaviour::WrongHintScript, true}});
    market.requireCompletedWithout(market.pay(), *market.scripted[0]);
}

BOOST_AUTO_TEST_CASE(a_light_client_taker_drops_a_maker_with_a_spent_coin) {
    CompatMarket market(true, 2, {{Misbehaviour::SpentCoin, true}});
    market.requireCompletedWithout(market.pay(), *market.scripted[0]);
}

BOOST_AUTO_TEST_SUITE_END()
