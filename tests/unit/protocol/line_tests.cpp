// Line grammar and command parsing: the recorded/computed wire messages are taken apart and
// their signatures verified exactly as a receiver does.
#include <jm/protocol/commands.hpp>
#include <jm/protocol/envelope.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nick.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::protocol;

BOOST_AUTO_TEST_SUITE(line_tests)

BOOST_AUTO_TEST_CASE(receive_path_of_the_vector_messages) {
    auto v = jm::test::loadVectors("jm_privmsg_signature.json");
    for (const auto& ex : v.at("examples").as_array()) {
        std::string name(ex.at("name").as_string());
        auto env = parseEnvelope(ex.at("wire").as_string());
        BOOST_REQUIRE(env);
        auto line = parseChannelLine(env->line);
        BOOST_REQUIRE_MESSAGE(line, name);
        BOOST_CHECK_EQUAL(line->from, ex.at("from_nick").as_string());
        BOOST_CHECK_EQUAL(line->to, ex.at("to_nick").as_string());
        BOOST_CHECK(!line->isPublic());
        auto body = parseSignedBody(line->body);
        BOOST_REQUIRE_MESSAGE(body, name << ": " << body.error().message);
        BOOST_CHECK_EQUAL(body->first_command, ex.at("command").as_string());
        BOOST_CHECK_EQUAL(body->text, ex.at("text").as_string());
        BOOST_CHECK(verifyPrivmsg(body->text, body->pubkey_hex, body->signature_base64));
        BOOST_CHECK(nickMatchesPubkeyHex(line->from, body->pubkey_hex));
        BOOST_REQUIRE(!body->commands.empty());
        BOOST_CHECK_EQUAL(body->commands[0].name, ex.at("command").as_string());
        if (body->first_command == "fill") {
            auto fill = parseFill(body->commands[0].args);
            BOOST_REQUIRE(fill);
            BOOST_CHECK_EQUAL(fill->amount, 5000000);
            BOOST_CHECK_EQUAL("fill " + formatFillArgs(*fill), body->first_command + " " + body->text);
        }
        if (body->first_command == "pubkey") BOOST_CHECK(parsePubkey(body->commands[0].args));
        if (isEncryptedCommand(body->first_command)) BOOST_CHECK(parseBase64Payload(body->commands[0].args));
        for (const auto& c : body->commands) {
            if (offerTypeFromName(c.name)) {
                auto offer = parseOffer(c);
                BOOST_REQUIRE_MESSAGE(offer, c.name << " " << c.args << ": " << offer.error().message);
                BOOST_CHECK(formatOffer(*offer) == c || offer->minsize == DUST_THRESHOLD);
            }
            if (c.name == "tbond") BOOST_CHECK_MESSAGE(parseTbond(c.args), "tbond proof rejected");
        }
        // Re-formatting gives the same line.
        BOOST_CHECK_EQUAL(formatPrivateLine(line->from, line->to, body->first_command,
                                            body->text + " " + body->pubkey_hex + " " + body->signature_base64),
                          env->line);
    }
}

BOOST_AUTO_TEST_CASE(public_lines_and_double_bang) {
    auto line = parseChannelLine("J5maker!PUBLIC!!cancel 0!cancel 1!!sw0reloffer 2 27300 100000000 0 0.00002");
    BOOST_REQUIRE(line);
    BOOST_CHECK(line->isPublic());
    auto commands = splitCommands(line->body);
    BOOST_REQUIRE(commands);
    BOOST_REQUIRE_EQUAL(commands->size(), 3u);
    BOOST_CHECK_EQUAL(*parseCancel((*commands)[1].args), 1);
    auto offer = parseOffer((*commands)[2]);
    BOOST_REQUIRE(offer);
    BOOST_CHECK_EQUAL(offer->cjfee, "0.00002");
    BOOST_CHECK_EQUAL(formatPublicLine("J5maker", {formatOffer(*offer)}),
                      "J5maker!PUBLIC!sw0reloffer 2 27300 100000000 0 0.00002");
    BOOST_CHECK_EQUAL(formatPublicLine("J5taker", {{"orderbook", ""}}), "J5taker!PUBLIC!orderbook");
    for (auto bad : {"", "J5a", "J5a!PUBLIC", "!PUBLIC!x", "J5a!!x", "J5 a!PUBLIC!x", "J5a!PUBLIC!", "J5a!PUBLIC!!!"})
        BOOST_CHECK_MESSAGE(!parseChannelLine(bad), bad);
    std::string many = "J5a!PUBLIC";
    for (int i = 0; i < 100; ++i)
        many += "!cancel 1";
    BOOST_CHECK(!splitCommands(parseChannelLine(many)->body));
}

BOOST_AUTO_TEST_CASE(signed_body_errors) {
    BOOST_CHECK_NE(parseSignedBody("fill pub sig").error().message.find("lacks"), std::string::npos);
    BOOST_CHECK_NE(parseSignedBody("tbond x pub sig").error().message.find("may not start"), std::string::npos);
    BOOST_CHECK_NE(parseSignedBody("cancel 1 pub sig").error().message.find("may not start"), std::string::npos);
    BOOST_CHECK_NE(parseSignedBody("fill  pub sig").error().message.find("empty"), std::string::npos);
    auto ok = parseSignedBody("sw0reloffer 0 1 2 0 0.1!tbond abc pub sig");
    BOOST_REQUIRE(ok);
    BOOST_CHECK_EQUAL(ok->commands.size(), 2u);
    BOOST_CHECK_EQUAL(ok->commands[1].name, "tbond");
}

BOOST_AUTO_TEST_CASE(offer_validation) {
    auto rel = [](std::string args) { return parseOffer({"sw0reloffer", args}); };
    auto abs = [](std::string args) { return parseOffer({"sw0absoffer", args}); };
    BOOST_CHECK(rel("0 27300 100000 0 0.00002"));
    BOOST_CHECK(rel("0 27300 100000 0 2E-7"));
    BOOST_CHECK(rel("0 27300 100000 0 0"));
    BOOST_CHECK_EQUAL(rel("0 100 100000 0 0.1")->minsize, DUST_THRESHOLD); // raised to dust
    BOOST_CHECK(abs("1 27300 100000 500 1000"));
    // Spellings REF's int() / Decimal() take; the field is kept as sent.
    BOOST_CHECK_EQUAL(abs("1 27300 100000 500 +5")->cjfee, "+5");
    BOOST_CHECK(abs("1 27300 100000 500 1_000"));
    BOOST_CHECK(abs("1 27300 100000 500 0000000000000000000000000000000000000042"));
    BOOST_CHECK(rel("0 27300 100000 0 +0.000_2"));
    BOOST_CHECK(rel("0 27300 100000 0 2E-0_4"));
    BOOST_CHECK_EQUAL(parseCjfee(OfferType::Sw0Abs, "1_000")->toString(), "1000");
    BOOST_CHECK_EQUAL(parseCjfee(OfferType::SwRel, "+_2E-4")->toString(), "0.0002");
    struct Case {
        bool relative;
        std::string args;
        const char* why;
    };
    for (auto [relative, args, why] : {Case{true, "0 27300 100000 0 1.5", "below 1"},
                                       Case{true, "0 27300 100000 0 1", "below 1"},
                                       Case{true, "0 27300 100000 0 -0.1", "negative"},
                                       Case{true, "0 27300 100000 0 0.1e99", "exponent"},
                                       Case{true, "0 27300 100000 0 nan", "not a decimal"},
                                       Case{true, "-1 27300 100000 0 0.1", "oid"},
                                       Case{true, "0 200000 100000 0 0.1", "minsize exceeds"},
                                       Case{true, "0 0 100 0 0.1", "below the dust"},
                                       Case{true, "0 27300 2100000000000001 0 0.1", "maxsize"},
                                       Case{true, "0 27300 100000 -5 0.1", "txfee"},
                                       Case{true, "0 27300 100000 0", "5 fields"},
                                       Case{false, "0 27300 100000 0 0.5", "integer"},
                                       Case{false, "0 27300 100000 0 99999999999999999999", "integer"},
                                       Case{false, "0 27300 100000 0 2100000000000001", "up to 21e6"},
                                       Case{false, "0 27300 100000 0 1e3", "not an integer"},
                                       Case{false, "0 27300 100000 0 -5", "negative"},
                                       Case{false, "0 27300 100000 0 1__0", "single '_'"},
                                       Case{false, "0 27300 100000 0 1_", "not an integer"},
                                       Case{true, "0 27300 100000 0 1e+-5", "not a decimal"},
                                       Case{true, "0 27300 100000 0 0.1\t", "not a decimal"},
                                       Case{true, "0 27300 100000 0 " + std::string(81, '0'), "too long"}}) {
        auto r = relative ? rel(args) : abs(args);
        BOOST_REQUIRE_MESSAGE(!r, args);
        BOOST_CHECK_MESSAGE(r.error().message.find(why) != std::string::npos, args << ": " << r.error().message);
    }
    BOOST_CHECK_EQUAL(parseDecimal("2E-7")->toString(), "0.0000002");
    BOOST_CHECK_EQUAL(parseDecimal("0.000020")->toString(), "0.00002");
    BOOST_CHECK_EQUAL(parseDecimal("250")->toString(), "250");
    BOOST_CHECK_EQUAL(parseDecimal("1e+2")->toString(), "100");
    BOOST_CHECK_EQUAL(parseDecimal(".5")->toString(), "0.5");
    BOOST_CHECK(!parseDecimal("1e+-2"));
    BOOST_CHECK(!parseDecimal("+1")); // signs are parseCjfee's business
    // Normalised: the limits apply to the value, and toString() reads back to the same Decimal.
    for (auto text :
         {"1e32", "5E+31", "0.1000000000000000000000000000000000000000", "12345678901234567890123456789012e-40"}) {
        auto d = parseDecimal(text);
        BOOST_REQUIRE_MESSAGE(d, text);
        auto again = parseDecimal(d->toString());
        BOOST_REQUIRE_MESSAGE(again, d->toString());
        BOOST_CHECK(again->digits == d->digits && again->exponent == d->exponent);
    }
    BOOST_CHECK_EQUAL(parseDecimal("0.1000000000000000000000000000000000000000")->digits, "1");
    BOOST_CHECK_EQUAL(parseDecimal("0E-50")->toString(), "0");
    BOOST_CHECK(!parseDecimal("1e33"));
    BOOST_CHECK(!parseDecimal("1e-41"));
    BOOST_CHECK(!parseDecimal("1.5e-2147483648"));
    BOOST_CHECK(!parseDecimal("123456789012345678901234567890123"));
}

BOOST_AUTO_TEST_CASE(fill_pubkey_and_small_commands) {
    std::string pk(64, 'a'), c(64, 'B');
    auto fill = parseFill("3 5000000 " + pk + " P" + c);
    BOOST_REQUIRE(fill);
    BOOST_CHECK_EQUAL(fill->commitment, std::string(64, 'b'));
    BOOST_CHECK_NE(parseFill("3 5000000 " + pk + " Q" + c).error().message.find("Unsupported commitment type: Q"),
                   std::string::npos);
    BOOST_CHECK_NE(parseFill("3 5000000 xyz P" + c).error().message.find("Invalid nacl pubkey"), std::string::npos);
    BOOST_CHECK(!parseFill("3 0 " + pk + " P" + c));
    BOOST_CHECK(!parseFill("3 5000000 " + pk + " P" + c.substr(1)));
    auto reply = parsePubkey(pk + " features=neutrino_compat,ping");
    BOOST_REQUIRE(reply);
    BOOST_CHECK((reply->features == std::vector<std::string>{"neutrino_compat", "ping"}));
    BOOST_CHECK_EQUAL(formatPubkeyArgs(*reply), pk + " features=neutrino_compat,ping");
    BOOST_CHECK(!parsePubkey("short"));
    BOOST_CHECK(!parseCancel("x"));
    BOOST_CHECK(!parseHp2("abc"));
    BOOST_CHECK(!parseTbond("AAAA"));
    BOOST_CHECK(!parseBase64Payload("***"));
    BOOST_CHECK_EQUAL(*parseBase64Payload("AA AA"), "AAAA");
}

BOOST_AUTO_TEST_SUITE_END()
