#pragma once

#include <jm/maker/wallet_view.hpp>
#include <jm/protocol/commands.hpp>
#include <jm/sdk/result.hpp>
#include <jm/sdk/service_registry.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

//! Yield generators: the strategy of a maker (what to offer, which mixdepth pays for a fill).
//!
//! A yield generator is a plugin of kind "yieldgen" whose instances provide the service
//! YieldGenerator (service kind "yieldgen/1") under their instance name. The maker role (plugin
//! "maker") owns the wallet, the network and every money rule; it asks its configured yield
//! generator two questions, synchronously, with a read-only WalletView:
//!   1. createOffers(): which offers to announce. Asked when the maker starts, when a CoinJoin
//!      of this maker is seen and again when it confirms, and whenever the wallet's balances
//!      change (a deposit, a payment). The maker announces new and changed offers, cancels the
//!      ones that disappeared, and answers every !orderbook with the current list.
//!   2. chooseMixdepth(): a taker filled one of those offers and proved it owns coins (PoDLE);
//!      from which mixdepth should the maker take its inputs? The maker then selects the coins
//!      of that mixdepth, sends the CoinJoin output to the next mixdepth and the change back to
//!      this one.
//! A yield generator never touches keys, coins or the network, so it cannot lose money: the
//! maker checks every offer it returns (checkOffers) and every choice it makes, and verifies the
//! transaction before signing whatever the yield generator said.
//!
//! Writing one (see examples/yieldgen-scaled for a complete out-of-tree plugin):
//! \code
//!   class MyYieldGen final : public jm::maker::YieldGenerator, public jm::sdk::Plugin {
//!   public:
//!       jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const jm::maker::WalletView& w,
//!                                                                      const jm::maker::FeeView&) override {
//!           auto m = w.largestMixdepth();
//!           if (!m) return std::vector<jm::protocol::Offer>{}; // nothing to offer
//!           jm::protocol::Offer o;
//!           o.type = jm::protocol::OfferType::Sw0Rel;
//!           o.minsize = 100'000;
//!           o.maxsize = w.available(*m) - jm::protocol::DUST_THRESHOLD;
//!           o.cjfee = "0.00002";
//!           if (o.maxsize < o.minsize) return std::vector<jm::protocol::Offer>{};
//!           return std::vector<jm::protocol::Offer>{o};
//!       }
//!       jm::sdk::Result<int> chooseMixdepth(const jm::maker::FillContext& fill,
//!                                           const jm::maker::WalletView&) override {
//!           return fill.candidates.front(); // the maker only calls with at least one candidate
//!       }
//!       jm::sdk::Result<void> start() override { return {}; }
//!       void stop(std::function<void()> done) override { done(); }
//!   };
//!   // In the factory's create(): ctx.services().provide<jm::maker::YieldGenerator>(ctx.instanceName(), *yg);
//!   // kind() "yieldgen", provides() {"yieldgen/1"}.
//! \endcode
namespace jm::maker {

//! What the node knows about mining fees when offers are made.
struct FeeView {
    //! The rate the maker's fee estimator gives (satoshis per 1000 virtual bytes), or 0 when no
    //! estimator is configured or it could not answer.
    std::int64_t fee_rate = 0;
};

//! A fill as the maker sees it after the taker's PoDLE and coin were verified.
struct FillContext {
    jm::protocol::Offer offer; //!< the offer the taker filled (one returned by createOffers)
    std::int64_t amount = 0;   //!< the CoinJoin amount, satoshis
    //! The CoinJoin fee the maker earns before its txfee contribution (protocol.md 11.1).
    std::int64_t real_cjfee = 0;
    //! What the chosen mixdepth must have available: amount + txfee + dust + 1 - real_cjfee, so
    //! that the maker's change is never dust (REF's rule).
    std::int64_t required = 0;
    //! Mixdepths whose `available` covers `required`, ascending; never empty when the maker calls.
    std::vector<int> candidates;
};

//! The yield-generator service ("yieldgen/1").
//!
//! Executor: called synchronously on the calling maker's strand, never concurrently by one maker;
//! an instance shared by several makers must guard its own mutable state (e.g. a random number
//! generator). Calls must be quick and must not block: no I/O.
//! Ownership: provided by a yieldgen plugin instance; the maker borrows it until it stops.
//! Errors: never throw; return an error instead. An error from createOffers keeps the offers
//! already announced; an error from chooseMixdepth refuses the fill (the message is logged).
class JM_SDK_API YieldGenerator : public jm::sdk::Service {
public:
    static constexpr std::string_view service_kind = "yieldgen/1";
    ~YieldGenerator() override;

    //! The offers to announce given the wallet now. Each offer needs a unique oid (>= 0); an
    //! empty list withdraws every offer. Offer types must match the wallet: sw0reloffer and
    //! sw0absoffer (native segwit). The maker refuses a list that fails checkOffers().
    virtual jm::sdk::Result<std::vector<jm::protocol::Offer>> createOffers(const WalletView& wallet,
                                                                           const FeeView& fees) = 0;
    //! The mixdepth to take the inputs for `fill` from: one of fill.candidates. Returning
    //! another mixdepth, or an error, refuses the fill.
    virtual jm::sdk::Result<int> chooseMixdepth(const FillContext& fill, const WalletView& wallet) = 0;
};

} // namespace jm::maker
