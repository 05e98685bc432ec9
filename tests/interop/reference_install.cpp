#include "reference_install.hpp"

#include <util/bitcoind.hpp>

#include <cstdio>
#include <cstdlib>

namespace jm::test::interop {

namespace {

std::filesystem::path fromEnvironment(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

} // namespace

std::map<std::string, std::string> ReferenceInstall::environment() const {
    std::string path = (source / "src").string();
    for (const char* dep : {"python-bitcointx", "klein/src", "chromalog", "fastbencode"})
        path += ":" + (deps / dep).string();
    // PYTHONWARNINGS: fastbencode warns on every start that its C extension is not built.
    return {{"PYTHONPATH", path}, {"PYTHONWARNINGS", "ignore"}, {"PYTHONUNBUFFERED", "1"}};
}

std::optional<ReferenceInstall> findReferenceInstall(std::string& why) {
    ReferenceInstall r;
    r.home = fromEnvironment("JMREF_HOME", "/opt/jmref");
    r.source = r.home / "src" / "joinmarket-clientserver";
    r.deps = r.home / "src" / "deps";
    r.python = fromEnvironment("JMREF_PYTHON", "/usr/bin/python3");
    for (const auto& needed : {r.source / "src" / "jmclient", r.script("sendpayment.py"), r.directoryScript(),
                               r.deps / "python-bitcointx", r.deps / "klein", r.python}) {
        if (!std::filesystem::exists(needed)) {
            why = "no reference JoinMarket at " + r.home.string() + " (" + needed.string() +
                  " is missing; set JMREF_HOME, see the jmref kit)";
            return std::nullopt;
        }
    }
    return r;
}

void skipWithoutReference() {
    std::string why;
    if (!findReferenceInstall(why)) {
        std::printf("SKIPPED: %s\n", why.c_str());
        std::fflush(stdout);
        std::_Exit(77);
    }
    skipWithoutBitcoind();
}

} // namespace jm::test::interop
