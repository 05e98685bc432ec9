#include <jm/net/multi_directory_client.hpp>

#include <sodium.h>

namespace jm::net {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
constexpr std::size_t MAX_TRACKED_NICKS = 100'000; // a hostile directory cannot grow this without bound
} // namespace

MultiDirectoryClient::MultiDirectoryClient(std::shared_ptr<const jm::protocol::NickIdentity> identity,
                                           MultiDirectoryHandler handler) :
    m_identity(std::move(identity)),
    m_handler(std::move(handler)) {}

std::shared_ptr<MultiDirectoryClient>
MultiDirectoryClient::create(jm::sdk::Executor executor, std::vector<DirectoryClientSettings> directories,
                             std::shared_ptr<const jm::protocol::NickIdentity> identity,
                             MultiDirectoryHandler handler) {
    std::shared_ptr<MultiDirectoryClient> multi(new MultiDirectoryClient(identity, std::move(handler)));
    std::weak_ptr<MultiDirectoryClient> weak = multi;
    for (std::size_t i = 0; i < directories.size(); ++i) {
        DirectoryClientHandler h;
        h.on_ready = [weak, i](const jm::protocol::DirectoryHandshake&) {
            if (auto self = weak.lock(); self && self->m_handler.on_directory) self->m_handler.on_directory(i, true);
        };
        h.on_disconnected = [weak, i](const std::string&) {
            if (auto self = weak.lock()) self->directoryLost(i);
        };
        h.on_message = [weak, i](const ChannelMessage& message) {
            auto self = weak.lock();
            if (!self) return;
            self->seen(message.line.from, i, "");
            std::string key = (message.is_private ? "P" : "B") + message.raw;
            if (!self->m_dedup.firstSighting(key)) return;
            if (self->m_handler.on_message) self->m_handler.on_message({message, i});
        };
        h.on_peerlist = [weak, i](const std::vector<jm::protocol::PeerlistEntry>& entries) {
            auto self = weak.lock();
            if (!self) return;
            for (const auto& e : entries) {
                if (!jm::protocol::isWellFormedNick(e.nick) || e.nick == self->m_identity->nick()) continue;
                if (e.disconnected)
                    self->left(e.nick, i);
                else
                    self->seen(e.nick, i, e.location);
                if (self->m_handler.on_peer_entry) self->m_handler.on_peer_entry(e, i);
            }
            if (self->m_handler.on_peerlist) self->m_handler.on_peerlist(i);
        };
        multi->m_clients.push_back(
            DirectoryClient::create(executor, std::move(directories[i]), identity, std::move(h)));
    }
    return multi;
}

void MultiDirectoryClient::start() {
    for (auto& c : m_clients)
        c->start();
}

void MultiDirectoryClient::stop() {
    for (auto& c : m_clients)
        c->stop();
}

std::size_t MultiDirectoryClient::readyCount() const {
    std::size_t n = 0;
    for (const auto& c : m_clients)
        n += c->ready() ? 1 : 0;
    return n;
}

std::optional<std::size_t> MultiDirectoryClient::pinnedDirectory(const std::string& to) const {
    auto it = m_pinned.find(to);
    if (it == m_pinned.end()) return std::nullopt;
    return it->second;
}

jm::sdk::Result<void> MultiDirectoryClient::sendPublic(const std::vector<jm::protocol::Command>& commands) {
    bool sent = false;
    jm::sdk::Result<void> last = fail(errc::unavailable, "no directory is connected");
    for (auto& c : m_clients) {
        if (!c->ready()) continue;
        last = c->sendPublic(commands);
        sent = sent || last.has_value();
    }
    if (sent) return {};
    return last;
}

jm::sdk::Result<void> MultiDirectoryClient::sendPrivate(const std::string& to, std::string_view command,
                                                        std::string_view text) {
    auto pinned = m_pinned.find(to);
    if (pinned != m_pinned.end() && !m_clients[pinned->second]->ready()) {
        m_pinned.erase(pinned);
        pinned = m_pinned.end();
    }
    if (pinned == m_pinned.end()) {
        // REF: a random directory on which the nick was seen; failing that, any ready one.
        std::vector<std::size_t> candidates;
        if (auto it = m_seenOn.find(to); it != m_seenOn.end())
            for (auto d : it->second)
                if (m_clients[d]->ready()) candidates.push_back(d);
        if (candidates.empty())
            for (std::size_t d = 0; d < m_clients.size(); ++d)
                if (m_clients[d]->ready()) candidates.push_back(d);
        if (candidates.empty()) return fail(errc::unavailable, "no directory is connected");
        auto choice = candidates[randombytes_uniform(static_cast<std::uint32_t>(candidates.size()))];
        pinned = m_pinned.emplace(to, choice).first;
    }
    return m_clients[pinned->second]->sendPrivate(to, command, text);
}

void MultiDirectoryClient::requestPeerlists() {
    for (auto& c : m_clients)
        if (c->ready()) (void)c->requestPeerlist();
}

void MultiDirectoryClient::seen(const std::string& nick, std::size_t directory, const std::string& location) {
    auto it = m_seenOn.find(nick);
    if (it == m_seenOn.end()) {
        if (m_seenOn.size() >= MAX_TRACKED_NICKS) return;
        m_seenOn[nick].insert(directory);
        if (m_handler.on_nick_seen) m_handler.on_nick_seen(nick, location);
        return;
    }
    it->second.insert(directory);
}

void MultiDirectoryClient::left(const std::string& nick, std::size_t directory) {
    auto it = m_seenOn.find(nick);
    if (it == m_seenOn.end()) return;
    it->second.erase(directory);
    if (!it->second.empty()) return;
    m_seenOn.erase(it);
    if (m_handler.on_nick_gone) m_handler.on_nick_gone(nick);
}

void MultiDirectoryClient::directoryLost(std::size_t directory) {
    if (m_handler.on_directory) m_handler.on_directory(directory, false);
    std::vector<std::string> nicks;
    for (const auto& [nick, dirs] : m_seenOn)
        if (dirs.count(directory)) nicks.push_back(nick);
    for (const auto& nick : nicks)
        left(nick, directory);
}

} // namespace jm::net
