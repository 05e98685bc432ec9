#pragma once

#include "http_server.hpp"
#include "market_view.hpp"
#include "watcher_settings.hpp"

#include <jm/chain/blockchain_backend.hpp>
#include <jm/market/orderbook.hpp>
#include <jm/net/multi_directory_client.hpp>
#include <jm/sdk/plugin.hpp>

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace jm::plugins::orderbook {

//! The orderbook watcher (plugin "orderbook", factory "web"): joins the directories as a bot
//! that announces nothing, sends !orderbook at start and every `refresh`, follows public offers,
//! cancels and departures in between, verifies each bond's coin through the backend (again at
//! every refresh: a spent bond stops counting), and serves the live book over HTTP.
//! It keeps the SDK's Orderbook (the taker's, with its flood limits) under its own fixed nick.
//! Executor: every member runs on the plugin context's strand.
class WatcherPlugin final : public jm::sdk::Plugin {
public:
    WatcherPlugin(jm::sdk::PluginContext& ctx, WatcherSettings settings);
    ~WatcherPlugin() override;

    jm::sdk::Result<void> start() override;
    void stop(std::function<void()> done) override;

    // Read by tests (on the strand).
    std::uint16_t httpPort() const { return m_server ? m_server->port() : 0; }
    const std::string& nick() const { return m_identity->nick(); }
    const jm::market::Orderbook& book() const { return m_book; }
    //! The current view (rebuilt only after a change).
    std::shared_ptr<const MarketView> view();

private:
    void onMessage(const jm::net::RoutedMessage& message);
    void onDirectory(std::size_t directory, bool ready);
    void onNickGone(const std::string& nick);
    void refresh();
    void onTip(const jm::sdk::Result<jm::chain::ChainTip>& tip);
    void scheduleRefresh();
    //! Checks the coin of every bond whose proof is new (or all with `all`).
    void checkBonds(bool all);
    void onBondCoin(const std::string& nick, const std::string& proof_b64,
                    jm::sdk::Result<std::optional<jm::chain::TxOutInfo>> coin);
    //! Drops the bond checks of proofs the book no longer holds.
    void pruneBonds();
    void changed();
    template <class F> auto guarded(F f) {
        return [weak = std::weak_ptr<int>(m_alive), this, f = std::move(f)](auto&&... args) mutable {
            if (weak.expired() || m_stopped) return;
            f(std::forward<decltype(args)>(args)...);
        };
    }

    //! The last coin check of a nick's bond proof.
    struct BondCheck {
        std::string proof; //!< the base64 proof checked
        BondView view;
        std::optional<jm::bitcoin::OutPoint> outpoint; //!< set while verified
    };

    jm::sdk::PluginContext& m_ctx;
    WatcherSettings m_settings;
    std::shared_ptr<const jm::protocol::NickIdentity> m_identity;
    jm::market::Orderbook m_book;
    std::shared_ptr<jm::net::MultiDirectoryClient> m_directories;
    std::shared_ptr<HttpServer> m_server;
    jm::chain::BlockchainBackend* m_backend = nullptr;
    boost::asio::steady_timer m_refreshTimer;
    std::int32_t m_tipHeight = 0;
    bool m_tipKnown = false;
    std::map<std::string, BondCheck> m_bonds;
    std::set<std::string> m_bondsPending; //!< nicks whose coin check is under way
    std::map<std::string, std::vector<std::string>> m_features;
    std::shared_ptr<const MarketView> m_view;
    ReplyCache m_replies; //!< what HTTP clients get, rendered once per view
    bool m_dirty = true;
    std::int64_t m_updated = 0;
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
    bool m_stopped = false;
};

} // namespace jm::plugins::orderbook
