#include "peer_manager.hpp"

#include <boost/asio/ip/address_v6.hpp>
#include <boost/asio/post.hpp>

namespace jm::plugins::backend_neutrino {

PeerManager::PeerManager(jm::sdk::Executor executor, PeerManagerSettings settings, Listener listener) :
    m_executor(std::move(executor)), m_settings(std::move(settings)), m_listener(std::move(listener)),
    m_log(jm::sdk::makeLogger(m_settings.connection.log_channel)) {}

PeerManager::~PeerManager() { stop(); }

void PeerManager::start() {
    if (m_running) return;
    m_running = true;
    for (const auto& address : m_settings.peers) {
        auto& slot = m_slots[address.text()];
        slot.address = address;
        slot.configured = true;
        connectSlot(slot);
    }
}

void PeerManager::stop() {
    m_running = false;
    m_alive = std::make_shared<int>(0); // pending timers and closed handlers find it gone
    for (auto& [key, slot] : m_slots) {
        if (slot.connection) slot.connection->close();
        if (slot.timer) slot.timer->cancel();
    }
    m_slots.clear();
}

void PeerManager::connectSlot(Slot& slot) {
    if (!m_running) return;
    auto key = slot.address.text();
    if (isBanned(key)) {
        auto until = m_bans[key];
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        scheduleSlot(slot, left + std::chrono::milliseconds{1});
        return;
    }
    std::weak_ptr<int> alive = m_alive;
    PeerConnection::Handlers handlers;
    PeerConnection* raw = nullptr;
    handlers.ready = [this, alive, key] {
        if (alive.expired()) return;
        auto it = m_slots.find(key);
        if (it == m_slots.end() || !it->second.connection) return;
        it->second.attempts = 0;
        it->second.wasReady = true;
        JM_LOG(m_log, info) << "peer " << key << " connected (" << it->second.connection->peerVersion().user_agent
                            << ", height " << it->second.connection->peerVersion().start_height << ")";
        it->second.connection->send(GetAddrMessage{});
        if (m_listener.ready) m_listener.ready(it->second.connection);
    };
    handlers.message = [this, alive, key](const Message& message) {
        if (alive.expired()) return;
        auto it = m_slots.find(key);
        if (it == m_slots.end() || !it->second.connection) return;
        if (std::holds_alternative<AddrMessage>(message) || std::holds_alternative<AddrV2Message>(message)) {
            learn(message);
            return;
        }
        auto peer = it->second.connection; // the listener may drop the slot's reference
        if (m_listener.message) m_listener.message(peer, message);
    };
    handlers.closed = [this, alive, key](const jm::sdk::Error& reason) {
        if (alive.expired()) return;
        onClosed(key, reason);
    };
    (void)raw;
    slot.wasReady = false;
    slot.connection =
        PeerConnection::create(m_executor, m_settings.connection, slot.address, m_ourHeight, std::move(handlers));
    slot.connection->connect();
}

void PeerManager::scheduleSlot(Slot& slot, std::chrono::milliseconds delay) {
    if (!slot.timer) slot.timer = std::make_unique<boost::asio::steady_timer>(m_executor);
    slot.timer->expires_after(delay);
    std::weak_ptr<int> alive = m_alive;
    auto key = slot.address.text();
    slot.timer->async_wait([this, alive, key](boost::system::error_code ec) {
        if (ec || alive.expired()) return;
        auto it = m_slots.find(key);
        if (it != m_slots.end() && (!it->second.connection || it->second.connection->isClosed()))
            connectSlot(it->second);
    });
}

void PeerManager::onClosed(const std::string& key, const jm::sdk::Error& reason) {
    auto it = m_slots.find(key);
    if (it == m_slots.end()) return;
    auto& slot = it->second;
    auto connection = slot.connection;
    if (connection && connection->banWorthy()) m_bans[key] = std::chrono::steady_clock::now() + m_settings.ban_duration;
    JM_LOG(m_log, info) << "peer " << key << " lost: " << reason.message;
    bool was_ready = slot.wasReady;
    slot.wasReady = false;
    if (was_ready && m_listener.closed && connection) m_listener.closed(connection);
    if (!m_running) return;
    it = m_slots.find(key); // the listener may have changed the slots
    if (it == m_slots.end()) return;
    if (!it->second.configured && (isBanned(key) || !m_settings.connect_learned)) {
        m_slots.erase(it);
        fillLearnedSlots();
        return;
    }
    if (!m_settings.reconnect.enabled) return;
    scheduleSlot(it->second, m_settings.reconnect.delay(it->second.attempts++));
}

void PeerManager::ban(const PeerConnectionPtr& peer, const std::string& reason) {
    if (!peer) return;
    JM_LOG(m_log, warning) << "banning peer " << peer->name() << ": " << reason;
    m_bans[peer->name()] = std::chrono::steady_clock::now() + m_settings.ban_duration;
    if (!peer->isClosed()) {
        auto key = peer->name();
        peer->close();
        std::weak_ptr<int> alive = m_alive;
        auto error = jm::sdk::fail(jm::sdk::errc::protocol_error, reason);
        boost::asio::post(m_executor, [this, alive, key, error] {
            if (!alive.expired()) onClosed(key, error);
        });
    }
}

void PeerManager::disconnect(const PeerConnectionPtr& peer, const std::string& reason) {
    if (!peer || peer->isClosed()) return;
    auto key = peer->name();
    peer->close();
    std::weak_ptr<int> alive = m_alive;
    auto error = jm::sdk::fail(jm::sdk::errc::unavailable, reason);
    boost::asio::post(m_executor, [this, alive, key, error] {
        if (!alive.expired()) onClosed(key, error);
    });
}

std::vector<PeerConnectionPtr> PeerManager::readyPeers() const {
    std::vector<PeerConnectionPtr> out;
    for (const auto& [key, slot] : m_slots)
        if (slot.connection && slot.connection->isReady()) out.push_back(slot.connection);
    return out;
}

bool PeerManager::isBanned(const std::string& host_port) const {
    auto it = m_bans.find(host_port);
    return it != m_bans.end() && it->second > std::chrono::steady_clock::now();
}

void PeerManager::learn(const Message& message) {
    auto remember = [this](std::string host, std::uint16_t port) {
        if (port == 0) return;
        jm::net::PeerAddress address{std::move(host), port};
        auto key = address.text();
        if (!m_learnedKeys.insert(key).second) return;
        m_learned.push_back(std::move(address));
        if (m_learned.size() > m_settings.max_learned) {
            m_learnedKeys.erase(m_learned.front().text());
            m_learned.erase(m_learned.begin());
        }
    };
    if (auto addr = std::get_if<AddrMessage>(&message)) {
        for (const auto& e : addr->entries) {
            boost::asio::ip::address_v6 v6(e.addr.ip);
            auto ip = v6.is_v4_mapped()
                          ? boost::asio::ip::address(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6))
                          : boost::asio::ip::address(v6);
            remember(ip.to_string(), e.addr.port);
        }
    } else if (auto v2 = std::get_if<AddrV2Message>(&message)) {
        // Only IP networks: reaching Tor/I2P/CJDNS peers needs a proxy this client does not use.
        for (const auto& e : v2->entries) {
            if (e.network == static_cast<std::uint8_t>(AddrV2Network::Ipv4) && e.addr.size() == 4) {
                boost::asio::ip::address_v4::bytes_type b{e.addr[0], e.addr[1], e.addr[2], e.addr[3]};
                remember(boost::asio::ip::address_v4(b).to_string(), e.port);
            } else if (e.network == static_cast<std::uint8_t>(AddrV2Network::Ipv6) && e.addr.size() == 16) {
                boost::asio::ip::address_v6::bytes_type b;
                std::copy(e.addr.begin(), e.addr.end(), b.begin());
                remember(boost::asio::ip::address_v6(b).to_string(), e.port);
            }
        }
    }
    fillLearnedSlots();
}

void PeerManager::fillLearnedSlots() {
    if (!m_running || !m_settings.connect_learned) return;
    for (const auto& address : m_learned) {
        if (m_slots.size() >= m_settings.max_peers) return;
        auto key = address.text();
        if (m_slots.count(key) || isBanned(key)) continue;
        auto& slot = m_slots[key];
        slot.address = address;
        connectSlot(slot);
    }
}

} // namespace jm::plugins::backend_neutrino
