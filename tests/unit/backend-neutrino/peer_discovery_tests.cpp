// The pure parts of finding peers: addresses taken from addr/addrv2 messages, the bounded
// address book, DNS seed lists and dns_seed_hosts entries, and the P2P config checks.
#include "address_book.hpp"
#include "dns_seeds.hpp"
#include "p2p_chain_source_factory.hpp"

#include <boost/test/unit_test.hpp>

using namespace jm::plugins::backend_neutrino;
using jm::bitcoin::Network;
using jm::net::PeerAddress;

namespace {

constexpr std::uint64_t WANTED = NODE_NETWORK | NODE_COMPACT_FILTERS;

AddrEntry v4Entry(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port,
                  std::uint64_t services = WANTED) {
    AddrEntry e;
    e.addr.services = services;
    e.addr.ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
    e.addr.port = port;
    return e;
}

std::vector<std::string> texts(const std::vector<PeerAddress>& addresses) {
    std::vector<std::string> out;
    for (const auto& a : addresses)
        out.push_back(a.text());
    return out;
}

// The problems checkP2pConfig finds in `config` (schema defaults filled by hand) on `network`.
std::vector<jm::sdk::ConfigProblem> problemsOf(boost::json::object config, std::string_view network = "regtest") {
    config.emplace("dns_seeds", false);
    config.emplace("max_peers", 4);
    if (!config.contains("peers")) config["peers"] = boost::json::array{};
    std::vector<jm::sdk::ConfigProblem> problems;
    bool ok = checkP2pConfig(network, config, "$.c", problems);
    BOOST_CHECK_EQUAL(ok, problems.empty());
    return problems;
}

bool has(const std::vector<jm::sdk::ConfigProblem>& problems, const std::string& path, const std::string& text) {
    for (const auto& p : problems)
        if (p.path == path && p.message.find(text) != std::string::npos) return true;
    return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(peer_discovery_tests)

BOOST_AUTO_TEST_CASE(addr_entries_without_the_services_or_a_port_are_skipped) {
    AddrMessage m;
    m.entries = {v4Entry(1, 2, 3, 4, 8333), v4Entry(1, 2, 3, 5, 0), v4Entry(1, 2, 3, 6, 8333, NODE_NETWORK),
                 v4Entry(0, 0, 0, 0, 8333), v4Entry(1, 2, 3, 7, 18333, WANTED | NODE_WITNESS)};
    AddrEntry v6;
    v6.addr.services = WANTED;
    v6.addr.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    v6.addr.port = 8333;
    m.entries.push_back(v6);
    auto got = connectableAddresses(Message{m}, WANTED, 100);
    BOOST_TEST(texts(got) == (std::vector<std::string>{"1.2.3.4:8333", "1.2.3.7:18333", "2001:db8::1:8333"}),
               boost::test_tools::per_element());
    BOOST_CHECK_EQUAL(connectableAddresses(Message{m}, WANTED, 1).size(), 1u); // the limit
    BOOST_CHECK(connectableAddresses(Message{m}, WANTED, 0).empty());
    BOOST_CHECK(connectableAddresses(Message{PingMessage{1}}, WANTED, 100).empty());
}

BOOST_AUTO_TEST_CASE(addrv2_keeps_ip_networks_only) {
    AddrV2Message m;
    auto entry = [](AddrV2Network net, Bytes addr, std::uint16_t port = 8333) {
        AddrV2Entry e;
        e.services = WANTED;
        e.network = static_cast<std::uint8_t>(net);
        e.addr = std::move(addr);
        e.port = port;
        return e;
    };
    m.entries.push_back(entry(AddrV2Network::Ipv4, {9, 8, 7, 6}));
    m.entries.push_back(entry(AddrV2Network::Ipv4, {9, 8, 7}));     // wrong length
    m.entries.push_back(entry(AddrV2Network::TorV3, Bytes(32, 1))); // needs a proxy
    m.entries.push_back(entry(AddrV2Network::I2p, Bytes(32, 2)));
    m.entries.push_back(entry(AddrV2Network::Cjdns, Bytes(16, 0xfc)));
    m.entries.push_back(entry(static_cast<AddrV2Network>(77), Bytes(3, 1))); // unknown network
    Bytes mapped(16, 0);
    mapped[10] = mapped[11] = 0xff;
    mapped[12] = 1;
    m.entries.push_back(entry(AddrV2Network::Ipv6, mapped)); // BIP155: IPv4 has its own id
    Bytes v6(16, 0);
    v6[0] = 0x2a;
    v6[15] = 5;
    m.entries.push_back(entry(AddrV2Network::Ipv6, v6, 18444));
    auto got = connectableAddresses(Message{m}, WANTED, 100);
    BOOST_TEST(texts(got) == (std::vector<std::string>{"9.8.7.6:8333", "2a00::5:18444"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_address_book_is_bounded_per_source_and_deduplicated) {
    AddressBook book(3);
    auto now = AddressBook::Clock::now();
    for (int i = 1; i <= 5; ++i)
        BOOST_CHECK(book.add({"10.0.0." + std::to_string(i), 8333}, AddressSource::Addr));
    BOOST_CHECK_EQUAL(book.size(AddressSource::Addr), 3u); // the oldest two forgotten
    BOOST_CHECK(!book.contains("10.0.0.1:8333"));
    BOOST_CHECK(book.contains("10.0.0.5:8333"));
    BOOST_CHECK(!book.add({"10.0.0.5", 8333}, AddressSource::Addr));
    BOOST_CHECK(!book.add({"10.0.0.5", 8333}, AddressSource::Dns)); // known from another source
    BOOST_CHECK(book.add({"10.0.0.5", 8334}, AddressSource::Dns));  // another port, another peer
    // A flood of addr entries does not push out what the seeds gave.
    for (int i = 0; i < 100; ++i)
        book.add({"10.1.0." + std::to_string(i), 8333}, AddressSource::Addr);
    BOOST_CHECK_EQUAL(book.size(AddressSource::Addr), 3u);
    BOOST_CHECK_EQUAL(book.size(AddressSource::Dns), 1u);
    BOOST_CHECK_EQUAL(book.size(), 4u);
    BOOST_CHECK_EQUAL(book.next(AddressSource::Dns, now, {})->text(), "10.0.0.5:8334");

    // next(): oldest first, skipping what the caller refuses and what is deferred.
    BOOST_CHECK_EQUAL(book.next(AddressSource::Addr, now, {})->text(), "10.1.0.97:8333");
    auto skip97 = [](const std::string& k) { return k == "10.1.0.97:8333"; };
    BOOST_CHECK_EQUAL(book.next(AddressSource::Addr, now, skip97)->text(), "10.1.0.98:8333");
    book.defer("10.1.0.98:8333", now + std::chrono::seconds{10});
    BOOST_CHECK_EQUAL(book.next(AddressSource::Addr, now, skip97)->text(), "10.1.0.99:8333");
    BOOST_CHECK(*book.earliestDeferred(AddressSource::Addr, now) == now + std::chrono::seconds{10});
    BOOST_CHECK(!book.earliestDeferred(AddressSource::Dns, now));
    BOOST_CHECK_EQUAL(book.next(AddressSource::Addr, now + std::chrono::seconds{11}, skip97)->text(),
                      "10.1.0.99:8333"); // deferred ones went to the end
    book.remove("10.1.0.99:8333");
    book.remove("10.1.0.97:8333");
    BOOST_CHECK(!book.next(AddressSource::Addr, now, {}));
    BOOST_CHECK_EQUAL(book.size(AddressSource::Addr), 1u);
    book.remove("not there:1"); // harmless

    AddressBook none(0);
    BOOST_CHECK(!none.add({"10.0.0.1", 1}, AddressSource::Dns));
    BOOST_CHECK_EQUAL(none.size(), 0u);
}

BOOST_AUTO_TEST_CASE(seed_lists_and_ports_follow_bitcoin_core) {
    BOOST_CHECK_EQUAL(defaultP2pPort(Network::Mainnet), 8333);
    BOOST_CHECK_EQUAL(defaultP2pPort(Network::Testnet), 18333);
    BOOST_CHECK_EQUAL(defaultP2pPort(Network::Signet), 38333);
    BOOST_CHECK_EQUAL(defaultP2pPort(Network::Regtest), 18444);
    BOOST_CHECK(builtinDnsSeeds(Network::Regtest).empty());
    auto main = builtinDnsSeeds(Network::Mainnet);
    BOOST_REQUIRE(!main.empty());
    BOOST_CHECK_EQUAL(main.front().host, "seed.bitcoin.sipa.be");
    for (auto net : {Network::Mainnet, Network::Testnet, Network::Signet})
        for (const auto& s : builtinDnsSeeds(net)) {
            BOOST_CHECK_EQUAL(s.port, defaultP2pPort(net));
            BOOST_CHECK(s.filters_by_service);
            BOOST_CHECK(parseSeedHost(s.host, s.port)); // every built-in name is one a config may give
        }
}

BOOST_AUTO_TEST_CASE(dns_seed_host_entries_parse_or_say_why_not) {
    auto plain = parseSeedHost("seed.example.org", 18333);
    BOOST_REQUIRE(plain);
    BOOST_CHECK_EQUAL(plain->host, "seed.example.org");
    BOOST_CHECK_EQUAL(plain->port, 18333);
    BOOST_CHECK(!plain->filters_by_service);
    auto ported = parseSeedHost("localhost:4242", 18333);
    BOOST_REQUIRE(ported);
    BOOST_CHECK_EQUAL(ported->text(), "localhost:4242");
    BOOST_CHECK_EQUAL(parseSeedHost("[::1]:18444", 1)->host, "::1");
    for (auto bad : {"", "bad host", "seed.example.org:", "seed.example.org:0", "seed.example.org:70000",
                     "seed.example.org:x", ":8333", "[::1]", "seed/evil", "a\nb"}) {
        auto r = parseSeedHost(bad, 8333);
        BOOST_CHECK_MESSAGE(!r, "accepted '" << bad << "'");
        if (!r) {
            BOOST_CHECK(r.error().code == make_error_code(jm::sdk::errc::invalid_config));
            BOOST_CHECK_MESSAGE(r.error().message.find("'" + std::string(bad) + "'") != std::string::npos,
                                r.error().message);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_p2p_config_check_names_each_mistake) {
    BOOST_CHECK(problemsOf({{"peers", boost::json::array{"127.0.0.1:18444", "node.example:18445"}}}).empty());
    BOOST_CHECK(problemsOf({{"peers", boost::json::array{"127.0.0.1:8333"}}}, "mainnet").empty());
    BOOST_CHECK(problemsOf({{"dns_seeds", true}}, "mainnet").empty()); // the built-in seeds
    BOOST_CHECK(problemsOf({{"dns_seeds", true}, {"dns_seed_hosts", boost::json::array{"localhost:19000"}}}).empty());

    auto p = problemsOf({{"peers", boost::json::array{"127.0.0.1:18444", "nonsense", "10.0.0.1:8333"}}});
    BOOST_CHECK_EQUAL(p.size(), 2u);
    BOOST_CHECK(has(p, "$.c.peers[1]", "'nonsense' is not host:port"));
    BOOST_CHECK(has(p, "$.c.peers[2]", "port 8333 is mainnet's, but node.network is regtest (its port is 18444)"));

    p = problemsOf({});
    BOOST_REQUIRE_EQUAL(p.size(), 1u);
    BOOST_CHECK(has(p, "$.c.peers", "name at least one \"host:port\""));
    BOOST_CHECK(has(p, "$.c.peers", "dns_seeds"));

    p = problemsOf({{"dns_seeds", true}});
    BOOST_REQUIRE_EQUAL(p.size(), 1u);
    BOOST_CHECK(has(p, "$.c.dns_seeds", "regtest has no DNS seeds"));

    p = problemsOf(
        {{"peers", boost::json::array{"127.0.0.1:18444"}}, {"dns_seed_hosts", boost::json::array{"seed.example.org"}}});
    BOOST_REQUIRE_EQUAL(p.size(), 1u);
    BOOST_CHECK(has(p, "$.c.dns_seed_hosts", "set but dns_seeds is false"));

    p = problemsOf({{"dns_seeds", true}, {"dns_seed_hosts", boost::json::array{"bad host", "seed.example.org:18333"}}},
                   "signet");
    BOOST_CHECK_EQUAL(p.size(), 2u);
    BOOST_CHECK(has(p, "$.c.dns_seed_hosts[0]", "'bad host' has a bad host name"));
    BOOST_CHECK(has(p, "$.c.dns_seed_hosts[1]", "port 18333 is testnet's, but node.network is signet"));

    p = problemsOf({{"dns_seeds", true}, {"dns_seed_hosts", boost::json::array{}}});
    BOOST_CHECK(has(p, "$.c.dns_seed_hosts", "empty"));

    boost::json::array five;
    for (int i = 0; i < 5; ++i)
        five.push_back(boost::json::value("127.0.0.1:" + std::to_string(20000 + i)));
    p = problemsOf({{"peers", five}});
    BOOST_REQUIRE_EQUAL(p.size(), 1u);
    BOOST_CHECK(has(p, "$.c.peers", "5 peers listed but max_peers is 4"));

    std::vector<jm::sdk::ConfigProblem> problems;
    BOOST_CHECK(!checkP2pConfig("moonnet", boost::json::object{}, "$.c", problems));
    BOOST_CHECK_EQUAL(problems.size(), 1u);

    // The factory's settings reader refuses with the first problem, naming the key.
    boost::json::object config{{"peers", boost::json::array{"10.0.0.1:8333"}},
                               {"dns_seeds", false},
                               {"max_peers", 4},
                               {"connect_learned", false},
                               {"ban_time", 3600000},
                               {"connect_timeout", 10000},
                               {"filter_batch", 1000}};
    auto refused = p2pSettingsFromConfig("regtest", "neutrino", config);
    BOOST_REQUIRE(!refused);
    BOOST_CHECK_EQUAL(refused.error().message.rfind("peers[0]: '10.0.0.1:8333': port 8333 is mainnet's", 0), 0u);
    config["peers"] = boost::json::array{};
    config["dns_seeds"] = true;
    config["dns_seed_hosts"] = boost::json::array{"localhost:19000", "other.example"};
    config["connect_learned"] = true;
    auto made = p2pSettingsFromConfig("regtest", "neutrino", config);
    BOOST_REQUIRE_MESSAGE(made, made.error().message);
    BOOST_CHECK(made->peers.peers.empty());
    BOOST_REQUIRE_EQUAL(made->peers.dns_seeds.size(), 2u);
    BOOST_CHECK_EQUAL(made->peers.dns_seeds[0].text(), "localhost:19000");
    BOOST_CHECK_EQUAL(made->peers.dns_seeds[1].text(), "other.example:18444");
    BOOST_CHECK(made->peers.connect_learned);
    BOOST_CHECK_EQUAL(made->peers.max_peers, 4u);
}

BOOST_AUTO_TEST_SUITE_END()
