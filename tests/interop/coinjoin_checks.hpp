#pragma once
// Checks every interop suite makes of a reference taker's run (Boost.Test assertions).

#include "reference_network.hpp"

#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <string>

namespace jm::test::interop {

inline std::string tail(const std::string& text) { return text.size() > 6000 ? text.substr(text.size() - 6000) : text; }

//! The run made a CoinJoin that pays the destination exactly, with an equal output per maker,
//! and that confirms.
inline void requireCoinjoin(ReferenceNetwork& network, const TakerRun& run, int makers) {
    BOOST_REQUIRE_MESSAGE(run.completed, "no CoinJoin after " << run.seconds << " s\n--- taker ---\n"
                                                              << tail(run.log) << "\n"
                                                              << network.logs());
    auto tx = network.core().cliJson({"gettransaction", run.txid, "true", "true"}, "miner");
    int equal = 0;
    bool paid = false;
    for (const auto& out : tx.at("decoded").at("vout").as_array()) {
        auto sats = std::llround(out.at("value").to_number<double>() * 1e8);
        if (sats != run.amount) continue;
        ++equal;
        const auto& spk = out.at("scriptPubKey").as_object();
        paid = paid || (spk.contains("address") && spk.at("address").as_string() == run.destination);
    }
    BOOST_CHECK(paid);
    BOOST_CHECK_EQUAL(equal, makers + 1);
    BOOST_CHECK_GE(network.confirm(run.txid), 1);
    std::printf("CoinJoin %s: %d equal outputs, sendpayment took %.1f s\n", run.txid.c_str(), equal, run.seconds);
}

} // namespace jm::test::interop
