#include <jm/protocol/peerlist.hpp>

namespace jm::protocol {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

bool validNick(std::string_view nick) {
    if (nick.empty() || nick.size() > 64) return false;
    for (char c : nick)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    return true;
}

} // namespace

jm::sdk::Result<std::vector<PeerlistEntry>> parsePeerlist(std::string_view line, std::size_t* skipped,
                                                          std::size_t max_entries) {
    std::vector<PeerlistEntry> out;
    std::size_t bad = 0;
    if (line.empty()) return out;
    auto entries = split(line, ',');
    if (entries.size() > max_entries) return fail(errc::protocol_error, "peerlist has too many entries");
    for (auto entry : entries) {
        auto fields = split(entry, ';');
        if (fields.size() < 2 || fields.size() > 4 || !validNick(fields[0])) {
            ++bad;
            continue;
        }
        PeerlistEntry e;
        e.nick = fields[0];
        e.location = fields[1];
        bool ok = parseLocation(fields[1]) || fields.size() > 2; // a ";D" entry's location is not checked (REF)
        for (std::size_t i = 2; i < fields.size() && ok; ++i) {
            if (fields[i] == "D" && !e.disconnected) {
                e.disconnected = true;
            } else if (fields[i].starts_with("F:") && e.features.empty()) {
                for (auto f : split(fields[i].substr(2), '+'))
                    if (!f.empty()) e.features.emplace_back(f);
            } else {
                ok = false;
            }
        }
        if (!e.disconnected && !parseLocation(e.location)) ok = false;
        if (!ok) {
            ++bad;
            continue;
        }
        out.push_back(std::move(e));
    }
    if (skipped) *skipped = bad;
    return out;
}

std::string formatPeerlist(const std::vector<PeerlistEntry>& entries, bool with_features) {
    std::string out;
    for (const auto& e : entries) {
        if (!out.empty()) out.push_back(',');
        out += e.nick + ";" + e.location;
        if (e.disconnected) out += ";D";
        if (with_features && !e.features.empty()) {
            out += ";F:";
            for (std::size_t i = 0; i < e.features.size(); ++i)
                out += (i ? "+" : "") + e.features[i];
        }
    }
    return out;
}

} // namespace jm::protocol
