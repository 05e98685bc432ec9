// The installable SDK: `cmake --install` the build tree into a prefix, build the out-of-tree
// example notifier against it with find_package(jmsdk), and run the installed jmnode with it.
#include <util/process.hpp>
#include <util/setup.hpp>
#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>

namespace {

jm::test::ProcessResult mustRun(std::vector<std::string> args,
                                std::chrono::seconds timeout = std::chrono::seconds(600)) {
    auto r = jm::test::runProcess(args, timeout);
    std::string cmd;
    for (const auto& a : args)
        cmd += a + " ";
    BOOST_REQUIRE_MESSAGE(r.exit_code == 0 && !r.timed_out, cmd << "failed (" << r.exit_code << "):\n"
                                                                << r.out << r.err);
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(install_tests)

BOOST_AUTO_TEST_CASE(out_of_tree_notifier_builds_against_the_installed_sdk_and_runs) {
    jm::test::TempDir dir;
    auto prefix = dir.path() / "prefix";
    mustRun({"cmake", "--install", JM_BUILD_DIR, "--prefix", prefix.string()});
    BOOST_REQUIRE(std::filesystem::exists(prefix / "bin" / "jmnode"));
    BOOST_REQUIRE(std::filesystem::exists(prefix / "include" / "jm" / "sdk" / "abi.hpp"));
    BOOST_REQUIRE(std::filesystem::exists(prefix / "include" / "jm" / "sdk" / "abi_version.hpp"));

    auto example_build = dir.path() / "example";
    mustRun({"cmake", "-S", std::string(JM_SOURCE_DIR) + "/examples/notifier-file", "-B", example_build.string(),
             "-DCMAKE_PREFIX_PATH=" + prefix.string(), "-DCMAKE_BUILD_TYPE=" + std::string(JM_BUILD_TYPE),
             "-DCMAKE_CXX_COMPILER=" + std::string(JM_CXX_COMPILER)});
    mustRun({"cmake", "--build", example_build.string()});
    auto plugin_dir = example_build / "plugins";
    BOOST_REQUIRE(std::filesystem::exists(plugin_dir / "notifier_file.so"));

    auto events = dir.path() / "events.txt";
    auto config = dir.path() / "node.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                          << "\", \"network\": \"regtest\", \"plugin_dir\": [\"" << plugin_dir.string() << "\"]},\n"
                          << "  \"plugins\": [{\"load\": \"notifier_file\", \"config\": {\"path\": \""
                          << events.string() << "\"}}] }\n";
    auto installed = (prefix / "bin" / "jmnode").string();
    auto listed = mustRun({installed, "plugins", "--plugin-dir", plugin_dir.string()});
    BOOST_CHECK_NE(listed.out.find("notifier/file"), std::string::npos);
    BOOST_CHECK_NE(listed.out.find("notifier/webhook"), std::string::npos); // the installed built-in notify plugin

    jm::test::ChildProcess node({installed, "run", "--config", config.string()});
    BOOST_REQUIRE_MESSAGE(node.waitForOutput("node started", std::chrono::seconds(30)), node.output());
    node.signal(SIGTERM);
    auto r = node.wait(std::chrono::seconds(30));
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    auto text = jm::test::readFile(events);
    BOOST_CHECK_NE(text.find("node.started/1 {\"version\":"), std::string::npos);
    BOOST_CHECK_NE(text.find("node.stopping/1 {\"reason\":\"SIGTERM\"}"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
