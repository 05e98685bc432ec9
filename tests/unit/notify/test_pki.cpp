#include "test_pki.hpp"

#include <util/process.hpp>

#include <fstream>
#include <stdexcept>

namespace jm::test {

namespace {
void run(std::vector<std::string> argv) {
    auto r = runProcess(argv, std::chrono::seconds(60));
    if (r.exit_code != 0) {
        std::string cmd;
        for (const auto& a : argv)
            cmd += a + " ";
        throw std::runtime_error("test PKI: " + cmd + "failed: " + r.err);
    }
}

void makeCa(const std::filesystem::path& dir, const std::string& name) {
    run({"openssl",
         "req",
         "-x509",
         "-newkey",
         "ec",
         "-pkeyopt",
         "ec_paramgen_curve:P-256",
         "-nodes",
         "-keyout",
         (dir / (name + ".key")).string(),
         "-out",
         (dir / (name + ".pem")).string(),
         "-days",
         "2",
         "-subj",
         "/CN=jmnode test " + name,
         "-addext",
         "basicConstraints=critical,CA:TRUE",
         "-addext",
         "keyUsage=critical,keyCertSign,cRLSign"});
}

void makeLeaf(const std::filesystem::path& dir, const std::string& name, const std::string& san) {
    auto key = (dir / (name + ".key")).string();
    auto csr = (dir / (name + ".csr")).string();
    auto ext = dir / (name + ".ext");
    std::ofstream(ext) << "subjectAltName=" << san << "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
    run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
         csr, "-subj", "/CN=" + name});
    run({"openssl", "x509", "-req", "-in", csr, "-CA", (dir / "ca.pem").string(), "-CAkey", (dir / "ca.key").string(),
         "-CAcreateserial", "-out", (dir / (name + ".pem")).string(), "-days", "2", "-extfile", ext.string()});
}
} // namespace

TestPki::TestPki() {
    const auto& d = m_dir.path();
    makeCa(d, "ca");
    makeCa(d, "other_ca");
    makeLeaf(d, "localhost", "DNS:localhost,IP:127.0.0.1");
    makeLeaf(d, "elsewhere", "DNS:elsewhere.invalid");
    ca = d / "ca.pem";
    other_ca = d / "other_ca.pem";
    cert = d / "localhost.pem";
    key = d / "localhost.key";
    wrong_name_cert = d / "elsewhere.pem";
    wrong_name_key = d / "elsewhere.key";
}

const TestPki& TestPki::get() {
    static const TestPki pki;
    return pki;
}

} // namespace jm::test
