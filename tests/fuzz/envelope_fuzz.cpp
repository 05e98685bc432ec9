// The receive path of a connection: bytes → LineFramer → parseEnvelope; every parsed envelope
// must format and parse back to itself; the canonical fast path must agree with a JSON parse and
// be exactly what formatting writes.
#include <jm/protocol/envelope.hpp>

#include <boost/json/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    jm::protocol::LineFramer framer(4096);
    std::vector<std::string> lines;
    // Feed in two pieces so line reassembly across reads is exercised.
    std::string_view all(reinterpret_cast<const char*>(data), size);
    framer.feed(all.substr(0, size / 2), lines);
    framer.feed(all.substr(size / 2), lines);
    for (const auto& line : lines) {
        auto env = jm::protocol::parseEnvelope(line, 4096);
        if (!env) continue;
        if (env->canonical) {
            boost::system::error_code ec;
            auto dom = boost::json::parse(line, ec);
            if (ec || !dom.is_object() || dom.at("type").to_number<std::int64_t>() != env->type ||
                dom.at("line").as_string() != env->line)
                __builtin_trap();
            if (*jm::protocol::formatEnvelope(*env, 1 << 20) != line + "\r\n") __builtin_trap();
        }
        auto wire = jm::protocol::formatEnvelope(*env);
        if (!wire) continue; // too long to send
        auto back = jm::protocol::parseEnvelope(std::string_view(*wire).substr(0, wire->size() - 2), 1 << 20);
        if (!back || back->type != env->type) __builtin_trap();
        // Invalid UTF-8 is replaced on formatting, so compare only ASCII lines byte for byte.
        bool ascii = true;
        for (unsigned char c : env->line)
            ascii &= c < 0x80;
        if (ascii && back->line != env->line) __builtin_trap();
    }
    return 0;
}
