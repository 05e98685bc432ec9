#include "peer_manager.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <charconv>

namespace jm::plugins::backend_neutrino {

namespace {
constexpr std::string_view BAN_PREFIX = "peerban/";
//! The service bits asked from seeds that filter by them: NODE_NETWORK | NODE_WITNESS |
//! NODE_COMPACT_FILTERS ("x49.<seed>").
constexpr std::string_view FILTER_SUBDOMAIN = "x49.";

std::string banKey(const std::string& host_port) { return std::string(BAN_PREFIX) + host_port; }

//! A ban record: "<end, unix seconds> <reason>".
std::optional<std::int64_t> banEnd(std::string_view value) {
    auto space = value.find(' ');
    auto digits = value.substr(0, space);
    std::int64_t end = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), end);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty() || end < 0) return std::nullopt;
    return end;
}
} // namespace

PeerManager::PeerManager(jm::sdk::Executor executor, PeerManagerSettings settings, Listener listener,
                         jm::sdk::KvStore* store) :
    m_executor(std::move(executor)),
    m_settings(std::move(settings)), m_listener(std::move(listener)), m_store(store), m_book(m_settings.max_learned),
    m_resolver(m_executor), m_seedTimer(m_executor), m_fillTimer(m_executor),
    m_log(jm::sdk::makeLogger(m_settings.connection.log_channel)) {
    loadBans();
}

PeerManager::~PeerManager() { stop(); }

void PeerManager::loadBans() {
    if (!m_store) return;
    auto now = SystemClock::now();
    std::vector<std::string> stale;
    auto loaded = m_store->iterate(BAN_PREFIX, [&](std::string_view key, std::string_view value) {
        auto end = banEnd(value);
        auto host_port = std::string(key.substr(BAN_PREFIX.size()));
        if (!end) {
            JM_LOG(m_log, warning) << "erasing an unreadable ban record of " << host_port;
            stale.emplace_back(key);
        } else if (auto until = SystemClock::time_point(std::chrono::seconds{*end}); until <= now) {
            stale.emplace_back(key);
        } else {
            m_bans[host_port] = until;
        }
        return true;
    });
    if (!loaded) JM_LOG(m_log, warning) << "cannot read the peer bans: " << loaded.error().message;
    jm::sdk::WriteBatch batch;
    for (const auto& key : stale)
        batch.erase(key);
    if (!batch.empty())
        if (auto w = m_store->write(batch); !w)
            JM_LOG(m_log, warning) << "cannot erase ended peer bans: " << w.error().message;
    if (!m_bans.empty()) JM_LOG(m_log, info) << m_bans.size() << " peer(s) banned from an earlier run";
}

void PeerManager::start() {
    if (m_running) return;
    m_running = true;
    for (const auto& address : m_settings.peers) {
        auto& slot = m_slots[address.text()];
        slot.address = address;
        slot.configured = true;
        connectSlot(slot);
    }
    if (!m_settings.dns_seeds.empty()) resolveSeeds();
}

void PeerManager::stop() {
    m_running = false;
    m_alive = std::make_shared<int>(0); // pending timers, lookups and closed handlers find it gone
    for (auto& [key, slot] : m_slots) {
        if (slot.connection) slot.connection->close();
        if (slot.timer) slot.timer->cancel();
    }
    m_slots.clear();
    m_resolver.cancel();
    m_seedTimer.cancel();
    m_fillTimer.cancel();
    m_resolving = m_seedsScheduled = m_fillScheduled = false;
}

void PeerManager::connectSlot(Slot& slot) {
    if (!m_running) return;
    auto key = slot.address.text();
    if (auto until = bannedUntil(key)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until - SystemClock::now());
        scheduleSlot(slot, left + std::chrono::milliseconds{1});
        return;
    }
    std::weak_ptr<int> alive = m_alive;
    PeerConnection::Handlers handlers;
    handlers.ready = [this, alive, key] {
        if (alive.expired()) return;
        auto it = m_slots.find(key);
        if (it == m_slots.end() || !it->second.connection) return;
        it->second.attempts = 0;
        it->second.wasReady = true;
        m_noPeerReason.clear();
        m_strandedRounds = 0;
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
            learn(it->second, message);
            return;
        }
        auto peer = it->second.connection; // the listener may drop the slot's reference
        if (m_listener.message) m_listener.message(peer, message);
    };
    handlers.closed = [this, alive, key](const jm::sdk::Error& reason) {
        if (alive.expired()) return;
        onClosed(key, reason);
    };
    slot.wasReady = false;
    slot.addrTaken = 0;
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
    if (connection && connection->banWorthy() && !isBanned(key)) recordBan(key, reason.message);
    JM_LOG(m_log, info) << "peer " << key << " lost: " << reason.message;
    bool was_ready = slot.wasReady;
    slot.wasReady = false;
    // With no peer left, the user is told why the last configured one went (a refused service,
    // a refused connection) rather than only that nothing synced.
    if (slot.configured && readyPeers().empty())
        m_noPeerReason = reason.message.starts_with(key) ? reason.message : "peer " + key + ": " + reason.message;
    if (was_ready && m_listener.closed && connection) m_listener.closed(connection);
    if (!m_running) return;
    it = m_slots.find(key); // the listener may have changed the slots
    if (it == m_slots.end()) return;
    if (!it->second.configured) {
        // A learned slot is given to the next candidate; this address waits its turn again
        // only if it ever worked.
        if (isBanned(key) || !was_ready)
            m_book.remove(key);
        else
            m_book.defer(key, std::chrono::steady_clock::now() + m_settings.learned_retry);
        m_slots.erase(it);
        fillLearnedSlots();
        return;
    }
    if (!m_settings.reconnect.enabled) return;
    scheduleSlot(it->second, m_settings.reconnect.delay(it->second.attempts++));
}

void PeerManager::recordBan(const std::string& key, const std::string& reason) {
    auto until = SystemClock::now() + m_settings.ban_duration;
    m_bans[key] = until;
    m_book.remove(key);
    // Bounded: past max_bans the ban ending soonest goes (a peer can only be banned after we
    // connected to it, so this takes many candidates).
    while (m_bans.size() > m_settings.max_bans) {
        auto soonest = std::min_element(m_bans.begin(), m_bans.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
        if (m_store) (void)m_store->erase(banKey(soonest->first));
        m_bans.erase(soonest);
    }
    if (!m_store || !m_bans.count(key)) return;
    auto end = std::chrono::duration_cast<std::chrono::seconds>(until.time_since_epoch()).count();
    if (auto put = m_store->put(banKey(key), std::to_string(end) + " " + reason); !put)
        JM_LOG(m_log, warning) << "cannot store the ban of " << key << " (kept in memory): " << put.error().message;
}

void PeerManager::ban(const PeerConnectionPtr& peer, const std::string& reason) {
    if (!peer) return;
    JM_LOG(m_log, warning) << "banning peer " << peer->name() << ": " << reason;
    recordBan(peer->name(), reason);
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

bool PeerManager::isBanned(const std::string& host_port) const { return bannedUntil(host_port).has_value(); }

std::optional<PeerManager::SystemClock::time_point> PeerManager::bannedUntil(const std::string& host_port) const {
    auto it = m_bans.find(host_port);
    if (it == m_bans.end() || it->second <= SystemClock::now()) return std::nullopt;
    return it->second;
}

void PeerManager::learn(Slot& slot, const Message& message) {
    // Bounded twice: per connection (one peer cannot fill the list alone) and in the book.
    auto room = m_settings.max_addr_per_peer - std::min(slot.addrTaken, m_settings.max_addr_per_peer);
    auto found = connectableAddresses(message, m_settings.connection.required_services, room);
    slot.addrTaken += found.size();
    for (const auto& address : found) {
        auto key = address.text();
        if (isBanned(key) || m_slots.count(key)) continue;
        m_book.add(address, AddressSource::Addr);
    }
    fillLearnedSlots();
}

void PeerManager::fillLearnedSlots() {
    if (!m_running) return;
    auto now = std::chrono::steady_clock::now();
    auto skip = [this](const std::string& key) { return m_slots.count(key) != 0 || isBanned(key); };
    std::vector<AddressSource> sources;
    if (!m_settings.dns_seeds.empty()) sources.push_back(AddressSource::Dns);
    if (m_settings.connect_learned) sources.push_back(AddressSource::Addr);
    for (auto source : sources) {
        while (m_slots.size() < m_settings.max_peers) {
            auto next = m_book.next(source, now, skip);
            if (!next) break;
            auto& slot = m_slots[next->text()];
            slot.address = *next;
            JM_LOG(m_log, debug) << "trying " << (source == AddressSource::Dns ? "seeded" : "learned") << " peer "
                                 << next->text();
            connectSlot(slot);
        }
    }
    if (m_slots.size() >= m_settings.max_peers) return;
    // Free slots left: come back when a deferred candidate may be tried, and ask the seeds
    // again once every address they gave is used up.
    std::optional<std::chrono::steady_clock::time_point> earliest;
    for (auto source : sources)
        if (auto t = m_book.earliestDeferred(source, now); t && (!earliest || *t < *earliest)) earliest = t;
    if (earliest) scheduleFill(*earliest);
    if (!m_settings.dns_seeds.empty() && !m_book.next(AddressSource::Dns, now, skip))
        scheduleSeeds(m_settings.seed_retry);
}

void PeerManager::scheduleFill(std::chrono::steady_clock::time_point when) {
    if (m_fillScheduled) return;
    m_fillScheduled = true;
    m_fillTimer.expires_at(when);
    m_fillTimer.async_wait([this, alive = std::weak_ptr<int>(m_alive)](boost::system::error_code ec) {
        if (ec || alive.expired()) return;
        m_fillScheduled = false;
        fillLearnedSlots();
    });
}

// ---------------------------------------------------------------------------------------------
// DNS seeds

void PeerManager::scheduleSeeds(std::chrono::milliseconds delay) {
    if (m_resolving || m_seedsScheduled || !m_running) return;
    m_seedsScheduled = true;
    m_seedTimer.expires_after(delay);
    m_seedTimer.async_wait([this, alive = std::weak_ptr<int>(m_alive)](boost::system::error_code ec) {
        if (ec || alive.expired()) return;
        m_seedsScheduled = false;
        resolveSeeds();
    });
}

void PeerManager::resolveSeeds() {
    if (m_resolving || !m_running) return;
    m_resolving = true;
    m_seedFound = 0;
    m_seedErrors.clear();
    resolveNext(0, m_settings.dns_seeds.front().filters_by_service);
}

void PeerManager::resolveNext(std::size_t index, bool filtered) {
    if (index >= m_settings.dns_seeds.size()) return seedsResolved();
    const auto& seed = m_settings.dns_seeds[index];
    auto name = filtered ? std::string(FILTER_SUBDOMAIN) + seed.host : seed.host;
    m_resolver.async_resolve(
        name, std::to_string(seed.port), boost::asio::ip::tcp::resolver::numeric_service,
        [this, alive = std::weak_ptr<int>(m_alive), index, filtered,
         name](boost::system::error_code ec, boost::asio::ip::tcp::resolver::results_type results) {
            if (alive.expired() || !m_running) return;
            std::size_t added = 0;
            if (!ec) {
                for (const auto& r : results) {
                    auto endpoint = r.endpoint();
                    auto ip = endpoint.address();
                    if (ip.is_v6() && ip.to_v6().is_v4_mapped())
                        ip = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6());
                    jm::net::PeerAddress address{ip.to_string(), endpoint.port()};
                    if (isBanned(address.text())) continue;
                    if (m_book.add(address, AddressSource::Dns)) ++added;
                }
            }
            m_seedFound += added;
            JM_LOG(m_log, debug) << "DNS seed " << name << ": "
                                 << (ec ? ec.message() : std::to_string(added) + " new address(es)");
            // A seed that does not filter by service bits (or knows no such node) is asked plainly.
            if (filtered && (ec || results.empty())) return resolveNext(index, false);
            if (ec) m_seedErrors.push_back(name + ": " + ec.message());
            auto next = index + 1;
            resolveNext(next, next < m_settings.dns_seeds.size() && m_settings.dns_seeds[next].filters_by_service);
        });
}

void PeerManager::seedsResolved() {
    m_resolving = false;
    ++m_seedRounds;
    std::string errors;
    for (const auto& e : m_seedErrors)
        errors += (errors.empty() ? "" : "; ") + e;
    // Nothing to fall back on: no configured peer and none connected. Said once the seeds gave
    // nothing, or gave again only addresses that did not work.
    bool stranded = m_settings.peers.empty() && readyPeers().empty();
    m_strandedRounds = stranded ? m_strandedRounds + 1 : 0;
    auto retry = " asking them again in " + std::to_string(m_settings.seed_retry.count() / 1000) + "s";
    if (stranded && (m_seedFound == 0 || m_strandedRounds > 1)) {
        m_noPeerReason =
            "no peer can be found: none is listed in \"peers\" and the DNS seeds gave " +
            (m_seedFound == 0 ? std::string("no usable address (") +
                                    (errors.empty() ? "every answer was known, banned or empty" : errors) + ")"
                              : "only addresses that could not be connected or serve no compact filters") +
            ";" + retry + " (list nodes serving compact filters in \"peers\" to need no DNS)";
        JM_LOG(m_log, error) << m_noPeerReason;
    } else if (m_seedFound > 0) {
        m_noPeerReason.clear();
        JM_LOG(m_log, info) << "DNS seeds gave " << m_seedFound << " new peer address(es)"
                            << (errors.empty() ? "" : " (failed: " + errors + ")");
    } else if (readyPeers().empty() || !errors.empty()) {
        JM_LOG(m_log, warning) << "DNS seeds gave no new peer address" << (errors.empty() ? "" : " (" + errors + ")")
                               << ";" << retry;
    } else { // connected, below max_peers: the seeds are asked now and then for more
        JM_LOG(m_log, debug) << "DNS seeds gave no new peer address;" << retry;
    }
    if (m_seedFound == 0) scheduleSeeds(m_settings.seed_retry);
    fillLearnedSlots();
}

} // namespace jm::plugins::backend_neutrino
