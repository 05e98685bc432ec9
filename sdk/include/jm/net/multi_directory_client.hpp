#pragma once

#include <jm/net/directory_client.hpp>
#include <jm/net/message_deduplicator.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace jm::net {

//! A received message with the directory it came through (index into the settings list).
struct RoutedMessage {
    ChannelMessage message;
    std::size_t directory = 0;
};

//! Callbacks of a MultiDirectoryClient. Executor: the client's executor. Any may be empty.
struct MultiDirectoryHandler {
    //! A message, once, however many directories delivered it.
    std::function<void(const RoutedMessage&)> on_message;
    //! A directory became ready (true) or was lost (false).
    std::function<void(std::size_t directory, bool ready)> on_directory;
    //! A nick was seen for the first time, with its location when a peerlist gave one.
    std::function<void(const std::string& nick, const std::string& location)> on_nick_seen;
    //! Every directory the nick was seen on said it left (or was lost): it is gone.
    std::function<void(const std::string& nick)> on_nick_gone;
    //! A directory answered with a peerlist (after on_nick_seen/on_nick_gone for its entries; an
    //! empty list too, which tells a taker that directory lists nobody).
    std::function<void(std::size_t directory)> on_peerlist;
    //! Each well-formed peerlist entry of another nick, with the directory that sent it (after
    //! on_nick_seen/on_nick_gone): for watchers showing where and with which features a nick is.
    std::function<void(const jm::protocol::PeerlistEntry& entry, std::size_t directory)> on_peer_entry;
};

//! Connections to several directories used as one message channel, with the seed's rules: a
//! public message goes to every directory; a nick is gone only when every directory that knew
//! it says so; private messages to one counterparty stay on one pinned directory for the
//! session; duplicates arriving through several directories are delivered once.
//! Executor: create with the caller's strand and call every member there.
//! Ownership: shared; owns its DirectoryClients (directory() returns a borrowed reference).
class JM_SDK_API MultiDirectoryClient : public std::enable_shared_from_this<MultiDirectoryClient> {
public:
    static std::shared_ptr<MultiDirectoryClient> create(jm::sdk::Executor executor,
                                                        std::vector<DirectoryClientSettings> directories,
                                                        std::shared_ptr<const jm::protocol::NickIdentity> identity,
                                                        MultiDirectoryHandler handler);

    void start();
    void stop();
    std::size_t directoryCount() const { return m_clients.size(); }
    std::size_t readyCount() const;
    DirectoryClient& directory(std::size_t index) { return *m_clients.at(index); }

    //! To every ready directory. Errors: errc::unavailable when none is ready.
    jm::sdk::Result<void> sendPublic(const std::vector<jm::protocol::Command>& commands);
    //! Through the directory pinned for `to`; the first message pins a ready directory on which
    //! `to` was seen (any ready one if none saw it). If the pinned directory is lost, the next
    //! message re-pins. Errors: errc::unavailable when no directory is ready.
    jm::sdk::Result<void> sendPrivate(const std::string& to, std::string_view command, std::string_view text);
    //! Ends the session with `to`: the next private message may pick another directory.
    void unpin(const std::string& to) { m_pinned.erase(to); }
    std::optional<std::size_t> pinnedDirectory(const std::string& to) const;
    //! Whether `nick` is currently known on at least one directory.
    bool isPresent(const std::string& nick) const { return m_seenOn.count(nick) != 0; }
    //! The directories (indices) on which `nick` is currently known.
    std::set<std::size_t> seenOn(const std::string& nick) const {
        auto it = m_seenOn.find(nick);
        return it == m_seenOn.end() ? std::set<std::size_t>{} : it->second;
    }
    //! Asks every ready directory for its peer list.
    void requestPeerlists();

private:
    MultiDirectoryClient(std::shared_ptr<const jm::protocol::NickIdentity> identity, MultiDirectoryHandler handler);
    void seen(const std::string& nick, std::size_t directory, const std::string& location);
    void left(const std::string& nick, std::size_t directory);
    void directoryLost(std::size_t directory);

    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    MultiDirectoryHandler m_handler;
    std::vector<std::shared_ptr<DirectoryClient>> m_clients;
    std::map<std::string, std::set<std::size_t>> m_seenOn;
    std::map<std::string, std::size_t> m_pinned;
    MessageDeduplicator m_dedup;
};

} // namespace jm::net
