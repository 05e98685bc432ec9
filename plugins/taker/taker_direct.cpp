// Direct connections of the taker (protocol.md 3.4): dialled to the chosen makers that announce
// a location, used for private messages while up; the directories carry them otherwise.
#include "taker_plugin.hpp"
#include "taker_run.hpp"

namespace jm::plugins::taker {

void TakerPlugin::startDirect() {
    if (m_settings.direct_connections == TakerSettings::DirectMode::Off) return;
    jm::net::DirectPeersSettings settings;
    settings.network =
        m_settings.directory_network.empty() ? std::string(m_ctx.network()) : m_settings.directory_network;
    settings.connect_timeout = m_settings.direct_timeout;
    settings.handshake_timeout = m_settings.direct_timeout;
    settings.max_inbound = 0; // takers do not serve
    settings.tor = m_settings.tor;
    settings.plain_tcp = m_settings.direct_connections == TakerSettings::DirectMode::Tcp;
    auto id = m_run->id;
    auto mine = [this, id] { return m_run && m_run->id == id; };
    jm::net::DirectPeersHandler handler;
    // Direct messages are judged like any other: signed, from a maker of the attempt, in order.
    handler.on_message = guarded([this, mine](const jm::net::ChannelMessage& m) {
        if (mine()) onMessage({m, static_cast<std::size_t>(-1)});
    });
    handler.on_peer = guarded([this, mine](const std::string& nick, bool up) {
        if (!mine()) return;
        JM_LOG(m_ctx.logger(), info) << "direct connection to " << nick
                                     << (up ? " is up" : " is gone: its messages go through a directory");
    });
    handler.on_closed = guarded([this, mine](const std::string& who, const std::string& reason) {
        if (mine()) JM_LOG(m_ctx.logger(), info) << "direct connection to " << who << " dropped: " << reason;
    });
    m_run->direct = jm::net::DirectPeers::create(m_ctx.executor(), settings, m_run->identity, handler);
}

void TakerPlugin::dialMaker(const std::string& nick) {
    auto& run = *m_run;
    if (!run.direct) return;
    auto it = run.locations.find(nick);
    if (it == run.locations.end()) return;
    if (auto r = run.direct->connect(nick, it->second); !r)
        JM_LOG(m_ctx.logger(), info) << "no direct connection to " << nick << ": " << r.error().message;
}

} // namespace jm::plugins::taker
