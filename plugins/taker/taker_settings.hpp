#pragma once

#include <jm/net/peer_address.hpp>
#include <jm/net/tor_settings.hpp>
#include <jm/protocol/podle.hpp>
#include <jm/sdk/config.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace jm::plugins::taker {

//! One directory to connect to.
using DirectoryAddress = jm::net::PeerAddress;

//! How the signed CoinJoin reaches the network (REF [POLICY] tx_broadcast).
enum class BroadcastPolicy { Self, RandomPeer, NotSelf };

//! Everything the taker role is configured with (factory "taker" of plugin "taker").
struct TakerSettings {
    std::string wallet = "wallet";
    std::string backend;
    std::string fee;     //!< fee instance ("fee/1"); "" = the backend's estimate
    std::string chooser; //!< order chooser instance ("chooser/1")
    std::vector<DirectoryAddress> directories;
    jm::net::TorSettings tor; //!< SOCKS for .onion directories (or all of them)
    std::string password_file;

    //! REF [POLICY] names: an offer passes when its fee is under either limit.
    std::int64_t max_cj_fee_abs = 4000;
    std::string max_cj_fee_rel = "0.004"; //!< exact decimal fraction
    std::size_t makers = 4;               //!< counterparties when the request does not say
    std::size_t minimum_makers = 4;       //!< fewer answering makers than this abandon an attempt
    int max_attempts = 3;                 //!< attempts per run (each with other makers, a fresh commitment)
    int max_maker_utxos = 15;             //!< NG: a maker declaring more inputs is dropped
    //! Our own commitment coins (REF taker_utxo_retries/age/amtpercent).
    jm::protocol::PodlePolicy podle;
    int min_confirmations = 1; //!< of our own coins to spend
    int fee_target = 3;        //!< confirmation target for the fee estimate (REF tx_fees)
    std::int64_t absurd_fee_per_kb = 350'000;
    double max_sweep_fee_change = 0.8;
    BroadcastPolicy tx_broadcast = BroadcastPolicy::RandomPeer;
    //! Orderbook: done when every nick the directories list answered, when no answer came for
    //! `orderbook_quiet` after at least `makers` makers answered, or after `orderbook_wait`.
    std::chrono::milliseconds orderbook_wait{60'000};
    std::chrono::milliseconds orderbook_quiet{3'000};
    //! Each stage (!fill→!pubkey, !auth→!ioauth, !tx→!sig) proceeds when every maker answered,
    //! else after this long with at least minimum_makers.
    std::chrono::milliseconds maker_timeout{60'000};
    //! Not seen on the network this long after the broadcast: broadcast again ourselves.
    std::chrono::milliseconds unconfirm_timeout{180'000};
    //! send() completes at the broadcast (0) or when the CoinJoin has this many confirmations.
    int wait_confirmations = 1;
    std::chrono::milliseconds confirm_timeout{6 * 3'600'000};
    std::chrono::milliseconds connect_timeout{60'000};
    //! Network name in directory handshakes; empty = the node's network.
    std::string directory_network;
    std::int32_t birthday_height = 0;
    //! Direct connections to makers that announce a location (protocol.md 3.4,
    //! docs/direct-connections.md): Tor dials .onion locations through tor.socks; Tcp also dials
    //! loopback locations over plain TCP (testing mode, REF's regtest_count); Off never dials.
    enum class DirectMode { Off, Tor, Tcp };
    DirectMode direct_connections = DirectMode::Tor;
    //! A direct connection must be up (TCP/SOCKS) within this, and the maker's handshake must
    //! follow within it; the round never waits for it (messages go through a directory meanwhile).
    std::chrono::milliseconds direct_timeout{30'000};
    //! The bond value exponent used for the orderbook listing only (choosers apply their own).
    double bond_value_exponent = 1.3;

    static const jm::sdk::ConfigSchema& schema();
    //! Reads a config validated against schema(). Errors: errc::invalid_config.
    static jm::sdk::Result<TakerSettings> fromConfig(const boost::json::object& config);
};

} // namespace jm::plugins::taker
