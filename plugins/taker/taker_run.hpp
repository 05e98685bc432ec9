#pragma once

#include "taker_plugin.hpp"

#include <jm/net/direct_peers.hpp>

#include <chrono>

namespace jm::plugins::taker {

using Clock = std::chrono::steady_clock;

//! One run of the taker: a CoinJoin (with its attempts) or only an orderbook. Owned by the
//! plugin; every callback checks the run id so that answers for an ended run are ignored.
struct TakerPlugin::Run {
    std::uint64_t id = 0;
    bool orderbook_only = false;
    jm::taker::CoinjoinRequest request;
    jm::taker::CoinjoinObserver observer;
    jm::sdk::Executor ex;
    jm::chain::Callback<jm::taker::CoinjoinResult> done;
    jm::chain::Callback<std::vector<jm::taker::OrderbookEntry>> book_done;
    jm::bitcoin::Script destination;

    Stage stage = Stage::Idle;
    std::uint64_t timer_generation = 0;
    std::shared_ptr<const jm::protocol::NickIdentity> identity;
    std::shared_ptr<jm::net::MultiDirectoryClient> directories;
    std::size_t directories_ready = 0;
    std::set<std::size_t> peerlists;       //!< directories that answered our GETPEERLIST (an empty list too)
    std::set<std::string> neutrino_compat; //!< nicks a peerlist listed with NG's neutrino_compat feature
    //! Direct connections to chosen makers (null when direct_connections is off).
    std::shared_ptr<jm::net::DirectPeers> direct;
    //! Serving locations the directories' peerlists gave, by nick (bounded).
    std::map<std::string, std::string> locations;
    std::uint64_t direct_sent = 0; //!< private messages that went over a direct connection
    jm::chain::ChainTip tip;
    std::int64_t fee_rate = 1000; //!< sat/kvB

    // Orderbook and bonds.
    Orderbook book;
    std::set<std::string> listed; //!< nicks the directories listed or that wrote
    Clock::time_point orderbook_started;
    Clock::time_point last_answer;
    std::size_t bonds_pending = 0;
    bool bonds_done = false; //!< late backend answers after the stage timeout are ignored
    std::map<std::string, double> bond_values;
    std::map<std::string, std::string> bond_outpoints;
    std::set<jm::bitcoin::OutPoint> bond_utxos;

    // Across attempts.
    int attempt = 0;
    std::set<std::string> ignored; //!< makers that failed: never chosen again in this run
    //! The same makers with where and why they failed, in order: reported when the run fails
    //! (CoinjoinObserver::on_failed, taker.failed/1) for the caller's retry to avoid.
    std::vector<jm::taker::FailedMaker> failed_makers;

    // The current attempt.
    std::map<std::string, MakerSession> makers;
    std::vector<jm::wallet::WalletUtxo> own_coins;
    std::int64_t cj_amount = 0;
    std::int64_t taker_txfee = 0;
    std::int64_t sweep_total_txfee = 0;
    jm::protocol::BoxKeyPair keys = jm::protocol::BoxKeyPair::generate();
    std::string commitment; //!< hex
    std::string opening;    //!< formatRevelation()
    //! The same opening naming our coin in NG's extended form (script and block height), for
    //! makers that advertised neutrino_compat; empty when the coin's script or height is unknown
    //! (an external commitment).
    std::string opening_extended;
    //! Makers that said our commitment is blacklisted: the attempt ends once the others have
    //! answered their !fill (so that no late !pubkey is taken for the next attempt's !fill).
    std::set<std::string> refused_commitment;
    //! Per maker, how many of our commitments it called blacklisted in this run.
    std::map<std::string, int> blacklist_claims;
    std::optional<jm::wallet::AddressInfo> change_address;
    CoinjoinTerms terms;
    jm::bitcoin::Transaction tx;
    std::set<std::size_t> signed_inputs; //!< maker inputs whose signature verified

    // After signing.
    std::string txid;
    jm::bitcoin::Bytes raw;
    bool seen = false;
    int broadcasts = 0;
    jm::taker::CoinjoinResult result;
};

} // namespace jm::plugins::taker
