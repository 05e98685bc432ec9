#pragma once
// Where the reference JoinMarket (joinmarket-clientserver 0.9.12) is installed. The layout is the
// one the jmref kit makes: $JMREF_HOME/src/joinmarket-clientserver (unmodified), its Python
// dependencies from source in $JMREF_HOME/src/deps, Debian's python3 with the rest.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace jm::test::interop {

struct ReferenceInstall {
    std::filesystem::path home;   //!< $JMREF_HOME, default /opt/jmref
    std::filesystem::path source; //!< home/src/joinmarket-clientserver
    std::filesystem::path deps;   //!< home/src/deps
    std::filesystem::path python; //!< $JMREF_PYTHON, default /usr/bin/python3 (Debian's, with its packages)

    //! A script of the reference's scripts/ folder (sendpayment.py, yg-privacyenhanced.py, ...).
    std::filesystem::path script(const std::string& name) const { return source / "scripts" / name; }
    //! The reference directory node's start script (JoinMarket-Org/custom-scripts).
    std::filesystem::path directoryScript() const { return deps / "custom-scripts" / "start-dn.py"; }
    //! Environment for the reference's Python processes (PYTHONPATH over the source trees).
    std::map<std::string, std::string> environment() const;
};

//! The install named by $JMREF_HOME (or /opt/jmref), or nothing with `why` telling what is missing.
std::optional<ReferenceInstall> findReferenceInstall(std::string& why);

//! For interop runners: prints a SKIPPED line and exits 77 (ctest: skipped) unless both the
//! reference install and Bitcoin Core are here.
void skipWithoutReference();

} // namespace jm::test::interop
