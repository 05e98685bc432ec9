#pragma once
// A whole JoinMarket market in one jmnode process, on the simulated chain (backend-sim): a
// directory server, makers (a wallet and a yield generator each, funded by the chain's premine)
// and a taker. `jmnode demo` shows it to newcomers; bench_coinjoin_round times CoinJoins on it.

#include <node/node.hpp>

#include <jm/sdk/log.hpp>
#include <jm/sdk/result.hpp>
#include <jm/taker/coinjoin_service.hpp>

#include <boost/json/object.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace jm::host {

struct DemoMarketOptions {
    std::size_t makers = 3;
    //! Extra 0.2 BTC coins in the taker's mixdepth 0: each carries three commitments, and a
    //! CoinJoin spends coins (its change is too young to commit with), so many rounds need many.
    std::size_t extra_taker_coins = 0;
    //! An empty or new directory; the market's wallets, config and database go there.
    std::filesystem::path datadir;
    std::vector<std::filesystem::path> plugin_dirs; //!< searched before the default ones
    jm::sdk::Severity log_level = jm::sdk::Severity::warning;
};

class DemoMarket {
public:
    //! Creates the wallets and the config, starts the node and waits until every maker has
    //! announced its offers. Errors: data directory, plugins, start, or the makers not ready
    //! within a minute (errc::timeout).
    static jm::sdk::Result<std::unique_ptr<DemoMarket>> open(DemoMarketOptions options);
    ~DemoMarket(); //!< stops the node

    //! One CoinJoin through the taker; `on_stage` (may be empty) sees every stage, and the plan
    //! (makers chosen, costs) is accepted after `on_plan` (may be empty) saw it. Blocks until
    //! the taker is done. Executor: any thread but the node's.
    jm::sdk::Result<jm::taker::CoinjoinResult>
    coinjoin(const jm::taker::CoinjoinRequest& request, std::function<void(const jm::taker::StageUpdate&)> on_stage,
             std::function<void(const jm::taker::CoinjoinPlan&)> on_plan = {});
    //! Each maker's status file (maker1..makerN), once `earnings` confirmed earnings are on file
    //! in all of them together or after a few seconds.
    std::vector<boost::json::object> makerStatuses(std::size_t earnings) const;
    //! An address of nobody's wallet, for payments to go to.
    static std::string outsideAddress();

    std::uint16_t directoryPort() const { return m_port; }
    std::size_t makers() const { return m_options.makers; }

private:
    DemoMarket(DemoMarketOptions options, std::uint16_t port) : m_options(std::move(options)), m_port(port) {}

    DemoMarketOptions m_options;
    std::uint16_t m_port = 0;
    std::unique_ptr<Node> m_node;
    jm::taker::CoinjoinService* m_taker = nullptr;
};

} // namespace jm::host
