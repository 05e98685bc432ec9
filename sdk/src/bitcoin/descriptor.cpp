// BIP380 descriptor checksums, written here: no Debian library offers them, and Bitcoin Core
// requires them on importdescriptors (asking getdescriptorinfo would cost one RPC each).
#include <jm/bitcoin/descriptor.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace jm::bitcoin {

namespace {

constexpr std::string_view INPUT_CHARSET = "0123456789()[],'/*abcdefgh@:$%{}"
                                           "IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~"
                                           "ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
constexpr std::string_view CHECKSUM_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint64_t polymod(const std::vector<std::uint64_t>& symbols) {
    static constexpr std::array<std::uint64_t, 5> GENERATOR{0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a,
                                                            0x644d626ffd};
    std::uint64_t chk = 1;
    for (auto value : symbols) {
        auto top = chk >> 35;
        chk = ((chk & 0x7ffffffff) << 5) ^ value;
        for (int i = 0; i < 5; ++i)
            if ((top >> i) & 1) chk ^= GENERATOR[static_cast<std::size_t>(i)];
    }
    return chk;
}

} // namespace

jm::sdk::Result<std::string> descriptorChecksum(std::string_view descriptor) {
    // Each character gives its low 5 bits as one symbol; the high bits of every three characters
    // are packed into one more symbol.
    std::vector<std::uint64_t> symbols;
    std::vector<std::uint64_t> groups;
    for (char c : descriptor) {
        auto pos = INPUT_CHARSET.find(c);
        if (pos == std::string_view::npos)
            return jm::sdk::fail(jm::sdk::errc::invalid_argument, "character not allowed in a descriptor");
        symbols.push_back(pos & 31);
        groups.push_back(pos >> 5);
        if (groups.size() == 3) {
            symbols.push_back(groups[0] * 9 + groups[1] * 3 + groups[2]);
            groups.clear();
        }
    }
    if (groups.size() == 1) symbols.push_back(groups[0]);
    if (groups.size() == 2) symbols.push_back(groups[0] * 3 + groups[1]);
    symbols.insert(symbols.end(), 8, 0);
    auto checksum = polymod(symbols) ^ 1;
    std::string out;
    for (int i = 0; i < 8; ++i)
        out.push_back(CHECKSUM_CHARSET[(checksum >> (5 * (7 - i))) & 31]);
    return out;
}

jm::sdk::Result<std::string> withDescriptorChecksum(std::string_view descriptor) {
    auto checksum = descriptorChecksum(descriptor);
    if (!checksum) return checksum.error();
    return std::string(descriptor) + "#" + *checksum;
}

} // namespace jm::bitcoin
