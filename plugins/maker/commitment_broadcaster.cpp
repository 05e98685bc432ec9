#include "commitment_broadcaster.hpp"

#include <jm/protocol/nick.hpp>

#include <algorithm>

namespace jm::plugins::maker {

namespace {
// Time to let the pubmsg leave before closing, and the most a broadcast may take in all.
constexpr auto LINGER = std::chrono::milliseconds(500);
constexpr auto DEADLINE = std::chrono::seconds(90);
} // namespace

struct CommitmentBroadcaster::Run {
    explicit Run(jm::sdk::Executor ex) : timer(ex) {}
    std::vector<std::shared_ptr<jm::net::DirectoryClient>> clients;
    std::size_t pending = 0;
    boost::asio::steady_timer timer;
    bool finished = false;
};

CommitmentBroadcaster::CommitmentBroadcaster(jm::sdk::Executor executor,
                                             std::vector<jm::net::DirectoryClientSettings> directories,
                                             std::size_t max_concurrent) :
    m_executor(std::move(executor)),
    m_directories(std::move(directories)), m_max(max_concurrent) {}

bool CommitmentBroadcaster::broadcast(const std::string& commitment_hex, bool relay) {
    if (m_stopped || m_directories.empty()) return false;
    if (m_active >= m_max || (relay && m_active + 1 >= m_max)) return false;
    ++m_active;
    auto run = std::make_shared<Run>(m_executor);
    m_runs.push_back(run);
    // A fresh identity per broadcast: nothing links it to the maker or to earlier broadcasts.
    auto identity = std::make_shared<const jm::protocol::NickIdentity>();
    std::weak_ptr<CommitmentBroadcaster> weak = shared_from_this();
    run->pending = m_directories.size();
    for (auto settings : m_directories) {
        settings.reconnect.enabled = false;
        jm::net::DirectoryClientHandler h;
        // The clients' handlers hold the run weakly: the run owns the clients, so a strong
        // reference back would keep both alive for ever.
        std::weak_ptr<Run> weak_run = run;
        auto done_one = [weak, weak_run] {
            auto self = weak.lock();
            auto run = weak_run.lock();
            if (!self || !run || run->finished) return;
            if (--run->pending == 0) {
                // Every directory has been tried: let the last lines leave, then close.
                run->timer.expires_after(LINGER);
                run->timer.async_wait([weak, run](boost::system::error_code) {
                    if (auto s = weak.lock()) s->finish(run);
                });
            }
        };
        auto client_slot = std::make_shared<std::weak_ptr<jm::net::DirectoryClient>>();
        h.on_ready = [weak, client_slot, commitment_hex, done_one](const jm::protocol::DirectoryHandshake&) {
            auto self = weak.lock();
            auto client = client_slot->lock();
            if (self && client && client->sendPublic({{"hp2", commitment_hex}})) ++self->m_sent;
            done_one();
        };
        h.on_disconnected = [done_one](const std::string&) { done_one(); };
        auto client = jm::net::DirectoryClient::create(m_executor, std::move(settings), identity, std::move(h));
        *client_slot = client;
        run->clients.push_back(client);
        client->start();
    }
    run->timer.expires_after(DEADLINE);
    run->timer.async_wait([weak, run](boost::system::error_code ec) {
        if (ec) return; // re-armed for the linger
        if (auto s = weak.lock()) s->finish(run);
    });
    return true;
}

void CommitmentBroadcaster::finish(const std::shared_ptr<Run>& run) {
    if (run->finished) return;
    run->finished = true;
    run->timer.cancel();
    for (auto& c : run->clients)
        c->stop();
    run->clients.clear();
    std::erase(m_runs, run);
    if (m_active > 0) --m_active;
}

void CommitmentBroadcaster::stop() {
    m_stopped = true;
    auto runs = m_runs;
    for (auto& r : runs)
        finish(r);
}

} // namespace jm::plugins::maker
