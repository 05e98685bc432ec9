#include <jm/bitcoin/encoding.hpp>
#include <jm/protocol/envelope.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

using namespace jm::protocol;

BOOST_AUTO_TEST_SUITE(envelope_tests)

BOOST_AUTO_TEST_CASE(wire_bytes_match_the_reference) {
    auto v = jm::test::loadVectors("jm_privmsg_signature.json");
    for (const auto& ex : v.at("examples").as_array()) {
        auto wire = formatEnvelope({685, std::string(ex.at("line").as_string())});
        BOOST_REQUIRE(wire);
        BOOST_CHECK_EQUAL(*wire, std::string(ex.at("wire").as_string()) + "\r\n");
        BOOST_CHECK_EQUAL(jm::bitcoin::toHex(jm::bitcoin::asBytes(*wire)), ex.at("wire_bytes_hex").as_string());
        auto parsed = parseEnvelope(ex.at("wire").as_string());
        BOOST_REQUIRE(parsed);
        BOOST_CHECK_EQUAL(parsed->type, 685);
        BOOST_CHECK_EQUAL(parsed->line, ex.at("line").as_string());
    }
}

BOOST_AUTO_TEST_CASE(python_json_escaping) {
    BOOST_CHECK_EQUAL(pythonJsonString("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    BOOST_CHECK_EQUAL(pythonJsonString(std::string("\n\r\t\x01\x7f", 5)), "\"\\n\\r\\t\\u0001\\u007f\"");
    // Every ASCII character as Python 3's json.dumps writes it (ensure_ascii escapes all but
    // ' '..'~', DEL included): a relay re-serialising a line must produce REF's exact bytes.
    std::string ascii;
    for (int c = 0; c < 128; ++c)
        ascii.push_back(static_cast<char>(c));
    BOOST_CHECK_EQUAL(
        pythonJsonString(ascii),
        R"("\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011)"
        R"(\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f !\"#$%&')"
        R"(()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\u007f")");
    BOOST_CHECK_EQUAL(pythonJsonString("\xc3\xa9"), "\"\\u00e9\"");                // é
    BOOST_CHECK_EQUAL(pythonJsonString("\xf0\x9f\x98\x80"), "\"\\ud83d\\ude00\""); // emoji: surrogate pair
    auto handshake = formatEnvelope({793, R"({"app-name": "joinmarket"})"});
    BOOST_CHECK_EQUAL(*handshake, "{\"type\": 793, \"line\": \"{\\\"app-name\\\": \\\"joinmarket\\\"}\"}\r\n");
}

BOOST_AUTO_TEST_CASE(parse_errors) {
    struct Case {
        std::string text;
        const char* why;
    };
    for (const auto& [text, why] :
         std::vector<Case>{{"", "invalid JSON"},
                           {"{\"type\": 685", "invalid JSON"},
                           {"[685, \"x\"]", "JSON object"},
                           {"{\"line\": \"x\"}", "integer \"type\""},
                           {"{\"type\": \"685\", \"line\": \"x\"}", "integer \"type\""},
                           {"{\"type\": 685.5, \"line\": \"x\"}", "integer \"type\""},
                           {"{\"type\": 685}", "string \"line\""},
                           {"{\"type\": 685, \"line\": 5}", "string \"line\""},
                           {"{\"type\": -1, \"line\": \"\"}", "out of range"},
                           {"{\"type\": 18446744073709551615, \"line\": \"\"}", "out of range"},
                           {std::string(100, '[') + std::string(100, ']'), "invalid JSON"}}) {
        auto r = parseEnvelope(text);
        BOOST_REQUIRE_MESSAGE(!r, text);
        BOOST_CHECK_MESSAGE(r.error().message.find(why) != std::string::npos, text << ": " << r.error().message);
    }
    auto extra = parseEnvelope("{\"type\": 687, \"line\": \"x\", \"extra\": [1]}");
    BOOST_REQUIRE(extra); // extra members are ignored, as REF does
    BOOST_CHECK(!parseEnvelope(std::string(70000, ' ')));
    BOOST_CHECK(!formatEnvelope({685, std::string(40000, 'x')}));
    BOOST_CHECK(isLocalOnlyType(797));
    BOOST_CHECK(isLocalOnlyType(799));
    BOOST_CHECK(!isLocalOnlyType(685));
    BOOST_CHECK(isKnownType(798));
    BOOST_CHECK(!isKnownType(797));
}

BOOST_AUTO_TEST_CASE(line_framer) {
    LineFramer framer(10);
    std::vector<std::string> lines;
    BOOST_REQUIRE(framer.feed("ab\r\ncd\nef", lines));
    BOOST_CHECK((lines == std::vector<std::string>{"ab", "cd"}));
    BOOST_CHECK_EQUAL(framer.buffered(), 2u);
    for (char c : std::string("gh\r\n"))
        BOOST_REQUIRE(framer.feed(std::string(1, c), lines));
    BOOST_CHECK_EQUAL(lines.back(), "efgh");
    BOOST_REQUIRE(framer.feed("0123456789\r\n", lines)); // exactly the limit
    BOOST_CHECK_EQUAL(lines.back(), "0123456789");
    BOOST_REQUIRE(framer.feed("\r\n", lines));
    BOOST_CHECK_EQUAL(lines.back(), "");
    BOOST_CHECK(!framer.feed("01234567890", lines)); // one byte over, no newline yet
    BOOST_CHECK(framer.failed());
    BOOST_CHECK_EQUAL(framer.buffered(), 0u);
    BOOST_CHECK(!framer.feed("x\n", lines)); // stays failed

    LineFramer lf(4);
    std::vector<std::string> out;
    BOOST_CHECK(!lf.feed("abcde\n", out)); // over the limit even with its newline
}

BOOST_AUTO_TEST_CASE(canonical_form_is_recognised_and_nothing_else) {
    auto ref = parseEnvelope(R"({"type": 685, "line": "J5a!J5b!fill 0 1 ab P0 02 c2"})");
    BOOST_REQUIRE(ref);
    BOOST_CHECK(ref->canonical);
    BOOST_CHECK_EQUAL(ref->type, 685);
    BOOST_CHECK_EQUAL(ref->line, "J5a!J5b!fill 0 1 ab P0 02 c2");
    // Same meaning, other bytes: parsed by the JSON parser, not canonical.
    for (std::string_view other : {R"({"type":685,"line":"x"})", R"({"type": 685, "line": "a\"b"})",
                                   R"({"type": 685, "line": "\u0041"})", R"({"type": 0685, "line": "x"})",
                                   R"({"line": "x", "type": 685})", R"({"type": 685, "line": "x", "line": "y"})"}) {
        auto env = parseEnvelope(other);
        if (env) BOOST_CHECK_MESSAGE(!env->canonical, other);
    }
    auto escaped = parseEnvelope(R"({"type": 687, "line": "\u0041"})");
    BOOST_REQUIRE(escaped);
    BOOST_CHECK_EQUAL(escaped->line, "A");
    BOOST_CHECK(!parseEnvelope(R"({"type": 0685, "line": "x"})")); // not JSON
    BOOST_CHECK(!parseEnvelope(R"({"type": 685, "line": "x")"));   // unterminated
}

BOOST_AUTO_TEST_SUITE_END()
