#include <util/vectors.hpp>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

namespace jm::test {

std::filesystem::path dataDir() { return JM_TEST_DATA_DIR; }

std::string readFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

boost::json::value loadVectors(const std::string& name) {
    auto text = readFile(dataDir() / "vectors" / name);
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    BOOST_REQUIRE_MESSAGE(!ec, "cannot parse vectors/" << name << ": " << ec.message());
    return v;
}

} // namespace jm::test
