#pragma once

#include <jm/protocol/handshake.hpp>

#include <string>
#include <vector>

namespace jm::protocol {

//! One peerlist entry: nick;location[;D][;F:feature+feature] (protocol.md 4.1).
struct PeerlistEntry {
    std::string nick;
    std::string location;              //!< as sent (host:port or NOT-SERVING-ONION); not parsed for ";D"
    bool disconnected = false;         //!< ";D": the peer left that directory
    std::vector<std::string> features; //!< NG ";F:" suffix
    bool operator==(const PeerlistEntry&) const = default;
};

//! Parses a 789 line: comma-separated entries; D and F: in any order after the location
//! (NG's reading). An empty line is an empty list. Entries that cannot be read are skipped
//! and counted in `skipped` (REF logs and drops them too) so one bad entry does not hide the
//! rest. Errors: errc::protocol_error only for absurd input (more than `max_entries` entries).
JM_SDK_API jm::sdk::Result<std::vector<PeerlistEntry>>
parsePeerlist(std::string_view line, std::size_t* skipped = nullptr, std::size_t max_entries = 10000);
//! Formats entries. `with_features` adds the F: suffix (send it only to peers that advertised
//! "peerlist_features": REF skips an entry with three fields that is not a ";D").
JM_SDK_API std::string formatPeerlist(const std::vector<PeerlistEntry>& entries, bool with_features);

} // namespace jm::protocol
