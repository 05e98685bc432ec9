#pragma once

// A Bitcoin P2P peer for tests and the sync bench: an Asio server on 127.0.0.1 that serves a
// chain of real regtest blocks (easy proof of work) with BIP158 filters built by the SDK's GCS
// encoder, and can be told to lie in specific ways.
#include "chain_params.hpp"
#include "p2p_messages.hpp"

#include <jm/bitcoin/block.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

namespace jm::test::neutrino {

using jm::bitcoin::Block;
using jm::bitcoin::Bytes;
using jm::bitcoin::Hash256;

//! A chain of blocks from the regtest genesis block, with each block's filter, filter hash and
//! filter header. Every third block (from 102) also spends an earlier coinbase output, so its
//! filter holds a spent script too.
struct TestBlockChain {
    std::vector<Block> blocks;
    std::vector<Hash256> hashes;
    std::vector<Bytes> filters;
    std::vector<Hash256> filterHashes;
    std::vector<Hash256> filterHeaders;
    std::map<jm::bitcoin::OutPoint, jm::bitcoin::TxOut> outputs; //!< every output, for spends

    //! The regtest genesis block (its well-known coinbase).
    static TestBlockChain genesis();
    //! Appends `count` blocks; `salt` changes the coinbase scripts (a different branch).
    void extend(std::size_t count, std::uint8_t salt = 0);
    //! A copy of the first `height` + 1 blocks (a fork point for another branch).
    TestBlockChain prefix(std::uint32_t height) const;
    std::uint32_t height() const { return static_cast<std::uint32_t>(blocks.size() - 1); }
    //! Recomputes the filter of `height` from its block and spent scripts, and the headers above.
    void setFilter(std::uint32_t height, Bytes filter);
    void recomputeHeaders(std::uint32_t from);
    std::vector<jm::bitcoin::Script> spentScripts(const Block& block) const;
};

//! How a TestNode misbehaves.
enum class Lie {
    None,
    BadHeader,       //!< serves a branch whose first header has no valid proof of work
    BadFilterHeader, //!< filter headers (and filters) of a filter without one output script
    BadSpentScript,  //!< filter headers (and filters) of a filter without a spent script
    BadFilter,       //!< honest filter headers, but a filter that does not match them
    BadChecksum,     //!< a message with a wrong checksum after the handshake
    UnrequestedJunk, //!< sends a cfilter and a block nobody asked for after the handshake
    NoServices,      //!< announces no compact filters
    NoPong,          //!< never answers a ping
    WithholdTxs,     //!< answers getdata of transactions with nothing (no tx, no notfound)
    RepeatHeaders,   //!< answers every getheaders with the first 2000 headers after genesis
};

class TestNode {
public:
    //! Listens on 127.0.0.1:`port` (0: any free port).
    TestNode(boost::asio::io_context& io, std::shared_ptr<TestBlockChain> chain, Lie lie = Lie::None,
             std::uint32_t lie_height = 5, std::uint16_t port = 0);
    ~TestNode();
    std::uint16_t port() const { return m_port; }
    std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }

    //! Switches to another chain and announces its tip's headers from the fork with the old one.
    void setChain(std::shared_ptr<TestBlockChain> chain);
    //! Announces a transaction (inv) to every connected peer; served on getdata.
    void announceTx(const jm::bitcoin::Transaction& tx);
    //! Closes every connection (the node keeps listening).
    void dropConnections();
    //! Sends `message` (an addr flood, say) to every peer whose handshake is done.
    void sendToAll(const jm::plugins::backend_neutrino::Message& message);
    //! Peers whose handshake is done and that are still connected.
    std::size_t readySessions() const;

    //! Ports on 127.0.0.1 this node advertises (addr) when asked (getaddr).
    std::vector<std::uint16_t> advertise;

    //! What the peers did.
    std::vector<jm::bitcoin::Transaction> received; //!< tx messages
    std::vector<jm::plugins::backend_neutrino::GetHeadersMessage> getheaders;
    std::vector<std::uint32_t> cfheadersStarts; //!< getcfheaders start heights
    std::size_t cfcheckpts = 0;
    std::size_t cfilterRequests = 0;
    std::size_t connections = 0;

private:
    struct Session;
    void accept();
    const TestBlockChain& served() const { return m_lyingChain ? *m_lyingChain : *m_chain; }

    boost::asio::io_context& m_io;
    boost::asio::ip::tcp::acceptor m_acceptor;
    std::uint16_t m_port = 0;
    std::shared_ptr<TestBlockChain> m_chain;
    std::shared_ptr<TestBlockChain> m_lyingChain; //!< BadFilterHeader: the chain with the lie
    Lie m_lie;
    std::uint32_t m_lieHeight;
    std::vector<std::shared_ptr<Session>> m_sessions;
    std::map<Hash256, jm::bitcoin::Transaction> m_mempool;
};

} // namespace jm::test::neutrino
