#pragma once

#include <jm/net/directory_client.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace jm::plugins::maker {

//! Announces used PoDLE commitments (`!hp2 <hex>`) so that other makers refuse them, the way NG
//! does it: from a throw-away nick on fresh connections to every directory, so the announcement
//! cannot be tied to the maker that saw the commitment. At most `max_concurrent` broadcasts run
//! at once (a flood of relay requests cannot make us open many connections), and relays for
//! others never take the last slot: anyone can ask for relays, and they must not crowd out the
//! announcement of a commitment this maker answered. The commitment is always blacklisted
//! locally first, so a dropped broadcast loses nothing of ours.
//! Executor: create and call on the maker's strand. Ownership: shared with its pending work.
class CommitmentBroadcaster : public std::enable_shared_from_this<CommitmentBroadcaster> {
public:
    CommitmentBroadcaster(jm::sdk::Executor executor, std::vector<jm::net::DirectoryClientSettings> directories,
                          std::size_t max_concurrent = 2);

    //! Starts a broadcast of `commitment_hex`, a commitment this maker answered (`relay` false)
    //! or one another maker asked us to announce (`relay` true); returns false when it was
    //! dropped (limit, stopped).
    bool broadcast(const std::string& commitment_hex, bool relay = false);
    //! Abandons every broadcast in progress.
    void stop();
    std::size_t active() const { return m_active; }
    std::size_t sent() const { return m_sent; }

private:
    struct Run;
    void finish(const std::shared_ptr<Run>& run);

    jm::sdk::Executor m_executor;
    std::vector<jm::net::DirectoryClientSettings> m_directories;
    std::size_t m_max;
    std::size_t m_active = 0;
    std::size_t m_sent = 0;
    bool m_stopped = false;
    std::vector<std::shared_ptr<Run>> m_runs;
};

} // namespace jm::plugins::maker
