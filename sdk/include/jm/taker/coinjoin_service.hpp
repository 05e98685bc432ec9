#pragma once

#include <jm/chain/blockchain_backend.hpp>
#include <jm/protocol/commands.hpp>
#include <jm/sdk/executor.hpp>
#include <jm/sdk/result.hpp>
#include <jm/sdk/service_registry.hpp>
#include <jm/taker/failed_maker.hpp>

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

//! The taker role as a service: what `jmnode coinjoin send` and `jmnode orderbook` drive.
//! Provided by the taker plugin's instances (service kind "taker/1") under their instance name.
namespace jm::taker {

//! One CoinJoin to make.
struct CoinjoinRequest {
    int mixdepth = 0;        //!< the wallet mixdepth paying
    std::int64_t amount = 0; //!< satoshis to the destination; ignored for a sweep
    bool sweep = false;      //!< spend every coin of the mixdepth, no change (protocol.md 11.4)
    std::string destination; //!< address of the node's network
    std::size_t makers = 0;  //!< counterparties; 0 = the instance's configured count
    //! Nicks of makers not to ask in any attempt of this run: their offers are dropped from the
    //! orderbook before the taker's own filters and the chooser see it. A caller retrying a failed
    //! CoinJoin passes the makers that failed it (CoinjoinFailure::makers). Owned by the request
    //! (copied into the run). When too few makers are left without them, the run fails with
    //! errc::not_found, its message saying how many makers of the orderbook were excluded.
    std::set<std::string> avoid{};
};

//! One maker the taker chose, with what it earns.
struct ChosenMaker {
    std::string nick;
    jm::protocol::Offer offer;
    std::int64_t cjfee = 0; //!< real CoinJoin fee for the amount, satoshis
    double bond_value = 0;  //!< verified bond value before the exponent; 0 = none
};

//! What the taker is about to do, shown before the first !fill.
struct CoinjoinPlan {
    int attempt = 1;
    std::int64_t cj_amount = 0; //!< for a sweep: the computed amount
    std::vector<ChosenMaker> makers;
    std::int64_t maker_fees = 0; //!< Σ cjfee − Σ maker txfee contributions: what the makers net
    std::int64_t mining_fee = 0; //!< the taker's estimated share of the mining fee
    std::int64_t total_cost() const { return maker_fees + mining_fee; }
};

//! A stage reached (the same as the taker.stage/1 event).
struct StageUpdate {
    std::string stage;
    int attempt = 1;
    std::string detail;
};

//! The outcome of a CoinJoin that was broadcast.
struct CoinjoinResult {
    std::string txid;
    std::int64_t cj_amount = 0;
    std::int64_t maker_fees = 0;       //!< what the makers netted (cjfees − their txfee contributions)
    std::int64_t mining_fee = 0;       //!< the whole transaction's fee
    std::int64_t taker_mining_fee = 0; //!< the taker's part of it
    std::size_t makers = 0;
    int attempts = 1;
    bool confirmed = false; //!< seen in a block before the call completed
    std::vector<std::uint8_t> raw_tx;
    std::vector<std::string> maker_nicks{}; //!< the makers whose coins are in the transaction
};

//! Why a run failed, with every maker that failed it (in any of its attempts). Nothing of it was
//! broadcast when `stage` is before "broadcast" (see events::Failed).
struct CoinjoinFailure {
    std::string stage;  //!< the taker's stage when the run ended: "orderbook", "fill", "auth", ...
    std::string reason; //!< the same message as the error `done` gets
    int attempts = 0;   //!< attempts the taker began (0 = it failed before its first, e.g. at the orderbook)
    std::vector<FailedMaker> makers; //!< in the order they failed; each nick once
};

//! Callbacks of one send(); each may be empty. Executor: the one given to send().
struct CoinjoinObserver {
    std::function<void(const StageUpdate&)> on_stage;
    //! Asked once, before the first !fill of the first attempt: call `proceed(true)` to go on,
    //! `proceed(false)` to stop (the run then fails with errc::cancelled; nothing was revealed).
    //! Empty = go on.
    std::function<void(const CoinjoinPlan&, std::function<void(bool)> proceed)> confirm;
    //! Called once when the run fails (never when it succeeds), posted to `ex` before `done` gets
    //! the error, so a caller on a strand sees it first: the stage, the reason and the makers
    //! that failed the run, for the caller's retry to avoid (CoinjoinRequest::avoid). The
    //! failure is borrowed for the call. Refusals before the run starts (a CoinJoin already
    //! running, a bad request) do not call it.
    std::function<void(const CoinjoinFailure&)> on_failed;
};

//! One offer of the orderbook, as the taker collected and checked it.
struct OrderbookEntry {
    std::string counterparty;
    jm::protocol::Offer offer;
    double bond_value = 0;     //!< verified, before the exponent; 0 = none or not verified
    std::string bond_outpoint; //!< "txid:vout" of a verified bond, "" otherwise
};

//! A commitment opening for a coin outside the wallet (REF add-utxo.py), indices 0..retries-1.
struct ExternalCommitment {
    jm::bitcoin::OutPoint outpoint;
    std::vector<std::string> openings;    //!< formatRevelation() of index i at [i]
    std::vector<std::string> commitments; //!< hex, index i at [i]
};

//! The taker service ("taker/1").
//! Executor: every member may be called from any thread; completions run on `ex`.
//! Ownership: provided by a taker plugin instance, borrowed until the node stops.
//! Errors: errc::unavailable when a CoinJoin is already running or no directory answers; errc::invalid_argument for a
//! bad request (address of another network, amount below dust, unknown mixdepth); errc::insufficient_funds;
//! errc::not_found when too few makers qualify (also when only because of CoinjoinRequest::avoid: the message says
//! how many were excluded); errc::timeout when makers did not answer in time on every attempt;
//! errc::cancelled when the confirmation said no. A failed run broadcast nothing before its "broadcast" stage.
//! Money rule: a signed CoinJoin, once handed out (broadcast or !push), can be broadcast later by whoever holds it,
//! even after it left the mempool unconfirmed; every later CoinJoin of the instance spends the coins of ours such a
//! CoinJoin spent that are still unspent, so that at most one of them confirms. Which makers failed a run is
//! reported to CoinjoinObserver::on_failed and in the taker.failed/1 event.
class JM_SDK_API CoinjoinService : public jm::sdk::Service {
public:
    static constexpr std::string_view service_kind = "taker/1";
    ~CoinjoinService() override;

    //! Runs one CoinJoin to the end: broadcast and, when the instance waits for it, confirmed.
    virtual void send(CoinjoinRequest request, CoinjoinObserver observer, jm::sdk::Executor ex,
                      jm::chain::Callback<CoinjoinResult> done) = 0;
    //! Collects the orderbook (every configured directory, bonds verified) and returns it.
    virtual void orderbook(jm::sdk::Executor ex, jm::chain::Callback<std::vector<OrderbookEntry>> done) = 0;
    //! Stores commitment openings for coins outside the wallet; used after the wallet's own.
    //! Errors: storage errors.
    virtual void addExternalCommitments(std::vector<ExternalCommitment> commitments, jm::sdk::Executor ex,
                                        jm::chain::Callback<std::size_t> done) = 0;
};

} // namespace jm::taker
