#pragma once

#include <jm/protocol/commands.hpp>
#include <jm/sdk/result.hpp>
#include <jm/sdk/service_registry.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

//! Order choosers: which makers a taker asks to join its CoinJoin.
//!
//! A chooser is a plugin of kind "chooser" whose instances provide the service OrderChooser
//! (service kind "chooser/1") under their instance name. The taker role collects the orderbook,
//! verifies fidelity bonds through its backend, drops offers that cannot take the amount or cost
//! more than its limits (max_cj_fee_abs / max_cj_fee_rel), computes each remaining offer's fee for
//! the amount, and only then asks its chooser to pick `count` of them. The chooser never sees the
//! network, keys or coins: it is a pure function of its arguments, so the same request with the
//! same seed always gives the same choice (that is how its distribution is tested).
namespace jm::taker {

//! One offer the taker may fill, as the taker has checked it.
struct CandidateOffer {
    std::string counterparty;  //!< the maker's nick
    jm::protocol::Offer offer; //!< as the maker announced it
    std::int64_t cjfee = 0;    //!< what the maker earns for this amount, satoshis (real cjfee)
    //! The maker's fidelity bond value before the exponent (protocol.md 10.4: value × a, i.e.
    //! jm::protocol::bondValue with exponent 1) once the taker has verified the bond through its
    //! backend; 0 when it has none or it did not verify. Choosers that weigh by bonds apply their
    //! own `bond_value_exponent` (REF's default 1.3).
    double bond_value = 0;
};

//! What the taker asks for.
struct ChooseRequest {
    std::int64_t amount = 0; //!< the CoinJoin amount, satoshis (0 while a sweep's amount is open)
    std::size_t count = 0;   //!< how many makers to choose
    std::uint64_t seed = 0;  //!< the only source of randomness a chooser may use
};

//! The order-chooser service ("chooser/1").
//!
//! Executor: called synchronously on the calling taker's strand; must be quick, never block and
//! never do I/O. An instance shared by several takers holds no mutable state (randomness comes
//! from ChooseRequest::seed).
//! Ownership: provided by a chooser plugin instance; the taker borrows it until it stops.
//! Errors: never throw. errc::not_found when fewer than `count` distinct counterparties are
//! among `offers`; any other error aborts the taker's attempt with that message.
class JM_SDK_API OrderChooser : public jm::sdk::Service {
public:
    static constexpr std::string_view service_kind = "chooser/1";
    ~OrderChooser() override;

    //! Indexes into `offers` of the chosen offers: `request.count` of them, each of a different
    //! counterparty, in the order chosen. `offers` may hold several offers of one maker.
    virtual jm::sdk::Result<std::vector<std::size_t>> choose(const std::vector<CandidateOffer>& offers,
                                                             const ChooseRequest& request) const = 0;
};

} // namespace jm::taker
