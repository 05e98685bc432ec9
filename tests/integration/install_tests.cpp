// The installable SDK: `cmake --install` the build tree into a prefix, build the out-of-tree
// example notifier against it with find_package(jmsdk), and run the installed jmnode with it;
// then ship that notifier as a Debian package, installed with dpkg -i and removed again.
#include <util/process.hpp>
#include <util/setup.hpp>
#include <util/vectors.hpp>

#include <jm/sdk/abi.hpp>

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>

#include <unistd.h>

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

namespace {

// Removes the package when the test ends, however it ends: the machine must never keep it.
struct PackageGuard {
    std::string name;
    bool installed = false;
    ~PackageGuard() {
        if (installed) jm::test::runProcess({"dpkg", "--purge", name}, std::chrono::seconds(120));
    }
};

std::filesystem::path onlyDeb(const std::filesystem::path& dir) {
    std::filesystem::path found;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".deb") found = e.path();
    BOOST_REQUIRE_MESSAGE(!found.empty(), "no .deb in " << dir);
    return found;
}

// Builds the example notifier's Debian package against the SDK in `sdk_prefix`, for the node in
// `node_prefix`.
std::filesystem::path buildPackage(const std::filesystem::path& sdk_prefix, const std::filesystem::path& node_prefix,
                                   const std::filesystem::path& build) {
    mustRun({"cmake", "-S", std::string(JM_SOURCE_DIR) + "/examples/notifier-file", "-B", build.string(),
             "-DCMAKE_PREFIX_PATH=" + sdk_prefix.string(), "-DJM_PACKAGE_PREFIX=" + node_prefix.string(),
             "-DCMAKE_BUILD_TYPE=" + std::string(JM_BUILD_TYPE),
             "-DCMAKE_CXX_COMPILER=" + std::string(JM_CXX_COMPILER)});
    mustRun({"cmake", "--build", build.string()});
    mustRun({"cpack", "-G", "DEB", "--config", (build / "CPackConfig.cmake").string(), "-B", (build / "deb").string()});
    return onlyDeb(build / "deb");
}

std::string field(const std::filesystem::path& deb, const std::string& name) {
    return mustRun({"dpkg-deb", "-f", deb.string(), name}).out;
}

} // namespace

BOOST_AUTO_TEST_CASE(debian_package_installs_into_the_node_declares_its_abi_and_is_refused_by_another_sdk) {
    const std::string package = "jmnode-notifier-file";
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/bin/dpkg")) {
        BOOST_WARN_MESSAGE(false, "SKIPPED: dpkg -i needs root and dpkg");
        return;
    }
    auto before = jm::test::runProcess({"dpkg-query", "-W", "-f", "${Status}", package});
    BOOST_REQUIRE_MESSAGE(before.out.find("installed") == std::string::npos ||
                              before.out.find("not-installed") != std::string::npos,
                          package << " is already installed; remove it first (dpkg --purge " << package << ")");
    jm::test::TempDir dir;
    auto prefix = dir.path() / "node";
    mustRun({"cmake", "--install", JM_BUILD_DIR, "--prefix", prefix.string()});
    auto jmnode = (prefix / "bin" / "jmnode").string();
    auto plugin_file = prefix / "lib" / "jmnode" / "plugins" / "notifier_file.so";

    // Built against this node's SDK: the package declares that ABI and installs where the node looks.
    auto deb = buildPackage(prefix, prefix, dir.path() / "build");
    BOOST_CHECK_EQUAL(field(deb, "Package"), package + "\n");
    std::string abi =
        "jmnode-sdk-abi-" + std::to_string(JM_SDK_ABI_MAJOR) + "-" + std::string(JM_SDK_ABI_HASH).substr(0, 16);
    BOOST_CHECK_NE(field(deb, "Enhances").find(abi), std::string::npos);
    BOOST_CHECK_NE(field(deb, "Description").find(JM_SDK_ABI_HASH), std::string::npos);
    BOOST_CHECK_NE(mustRun({"dpkg-deb", "-c", deb.string()}).out.find("." + plugin_file.string()), std::string::npos);

    PackageGuard guard{package};
    guard.installed = true;
    mustRun({"dpkg", "-i", deb.string()}, std::chrono::seconds(120));
    BOOST_REQUIRE(std::filesystem::exists(plugin_file));
    auto listed = mustRun({jmnode, "plugins"});
    BOOST_CHECK_NE(listed.out.find("notifier_file 0.1.0  [loaded]  " + plugin_file.string()), std::string::npos);
    BOOST_CHECK_NE(listed.out.find("notifier/file"), std::string::npos);

    auto events = dir.path() / "events.txt";
    auto config = dir.path() / "node.json";
    std::ofstream(config) << "{ \"node\": {\"datadir\": \"" << (dir.path() / "data").string()
                          << "\", \"network\": \"regtest\"},\n"
                          << "  \"plugins\": [{\"load\": \"notifier_file\", \"config\": {\"path\": \""
                          << events.string() << "\"}}] }\n";
    {
        jm::test::ChildProcess node({jmnode, "run", "--config", config.string()});
        BOOST_REQUIRE_MESSAGE(node.waitForOutput("node started", std::chrono::seconds(30)), node.output());
        node.signal(SIGTERM);
        BOOST_REQUIRE_EQUAL(node.wait(std::chrono::seconds(30)).exit_code, 0);
        BOOST_CHECK_NE(jm::test::readFile(events).find("node.started/1 {\"version\":"), std::string::npos);
    }

    // The same plugin built against another SDK (its headers hash differently) and installed over
    // it: this node lists it as refused, says why, and will not run a config that loads it.
    auto other_sdk = dir.path() / "other-sdk";
    std::filesystem::copy(prefix, other_sdk, std::filesystem::copy_options::recursive);
    auto version_header = other_sdk / "include" / "jm" / "sdk" / "abi_version.hpp";
    auto text = jm::test::readFile(version_header);
    const std::string other_hash(64, 'e');
    auto at = text.find(JM_SDK_ABI_HASH);
    BOOST_REQUIRE(at != std::string::npos);
    text.replace(at, 64, other_hash);
    std::ofstream(version_header) << text;
    auto other_deb = buildPackage(other_sdk, prefix, dir.path() / "build-other");
    BOOST_CHECK_NE(field(other_deb, "Enhances").find("jmnode-sdk-abi-1-eeeeeeeeeeeeeeee"), std::string::npos);
    mustRun({"dpkg", "-i", other_deb.string()}, std::chrono::seconds(120));
    auto refused = mustRun({jmnode, "plugins"});
    BOOST_CHECK_NE(refused.out.find("[refused]  " + plugin_file.string()), std::string::npos);
    BOOST_CHECK_NE(refused.out.find("refused: built against different SDK headers (hash " + other_hash),
                   std::string::npos);
    auto run = jm::test::runProcess({jmnode, "run", "--config", config.string()}, std::chrono::seconds(60));
    BOOST_CHECK_NE(run.exit_code, 0);
    BOOST_CHECK_MESSAGE((run.out + run.err).find("built against different SDK headers") != std::string::npos,
                        run.out + run.err);

    mustRun({"dpkg", "--purge", package}, std::chrono::seconds(120));
    guard.installed = false;
    BOOST_CHECK(!std::filesystem::exists(plugin_file));
    auto after = jm::test::runProcess({"dpkg-query", "-W", "-f", "${Status}", package});
    BOOST_CHECK(after.out.find("install ok installed") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
