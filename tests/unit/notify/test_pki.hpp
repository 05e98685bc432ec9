#pragma once

#include <util/setup.hpp>

#include <filesystem>
#include <string>

namespace jm::test {

//! Throw-away TLS keys for the notifier tests, made at run time with the `openssl` command (no
//! committed keys): a test CA, a server certificate it signs for localhost and 127.0.0.1, a
//! certificate it signs for another name only, and a second CA that signs nothing here.
//! Made once per test process (EC P-256: fast).
struct TestPki {
    std::filesystem::path ca;                              //!< the test CA's certificate (PEM)
    std::filesystem::path other_ca;                        //!< a CA that did not sign the server certificates
    std::filesystem::path cert, key;                       //!< server: CN=localhost, SAN DNS:localhost, IP:127.0.0.1
    std::filesystem::path wrong_name_cert, wrong_name_key; //!< signed by ca, SAN DNS:elsewhere.invalid only

    static const TestPki& get();

private:
    TestPki();
    TempDir m_dir;
};

} // namespace jm::test
