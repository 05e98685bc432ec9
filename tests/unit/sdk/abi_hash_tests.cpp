#include <jm/sdk/abi.hpp>

#include <util/vectors.hpp>

#include <boost/test/unit_test.hpp>

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

BOOST_AUTO_TEST_SUITE(abi_hash_tests)

// The generated JM_SDK_ABI_HASH is SHA-256 over "<relative path>\n<text>\n" of every header
// under sdk/include, in sorted path order (cmake/SdkAbiHash.cmake). Recompute it here.
BOOST_AUTO_TEST_CASE(generated_hash_matches_the_headers) {
    std::filesystem::path root = std::filesystem::path(JM_SOURCE_DIR) / "sdk" / "include";
    std::vector<std::string> headers;
    for (const auto& e : std::filesystem::recursive_directory_iterator(root))
        if (e.is_regular_file() && e.path().extension() == ".hpp")
            headers.push_back(std::filesystem::relative(e.path(), root).generic_string());
    std::sort(headers.begin(), headers.end());
    BOOST_REQUIRE(!headers.empty());
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    for (const auto& h : headers) {
        std::string chunk = h + "\n" + jm::test::readFile(root / h) + "\n";
        crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size());
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    BOOST_CHECK_EQUAL(std::string(hex), std::string(JM_SDK_ABI_HASH));
    BOOST_CHECK_EQUAL(std::string(jm::sdk::sdkAbiHash()), std::string(JM_SDK_ABI_HASH));
}

BOOST_AUTO_TEST_CASE(build_id_names_the_toolchain) {
    std::string id = jm::sdk::sdkBuildId();
    BOOST_CHECK_EQUAL(id, std::string(JM_SDK_BUILD_ID));
    BOOST_CHECK_NE(id.find("gcc-"), std::string::npos);
    BOOST_CHECK_NE(id.find("boost-"), std::string::npos);
    BOOST_CHECK_NE(id.find("cxx11abi-"), std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
