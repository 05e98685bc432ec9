#include "p2p_test_node.hpp"
#include "p2p_framing.hpp"

#include <jm/bitcoin/block_filter.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/script.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <deque>

namespace jm::test::neutrino {

namespace asio = boost::asio;
using namespace jm::plugins::backend_neutrino;
using jm::bitcoin::Network;
using jm::bitcoin::Transaction;

namespace {

constexpr std::uint32_t REGTEST_BITS = 0x207fffff;

Hash256 genesisCoinbaseId(Transaction& tx) {
    tx.version = 1;
    jm::bitcoin::TxIn in;
    in.prevout.vout = 0xffffffff;
    in.script_sig = *jm::bitcoin::fromHex(
        "04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f662073"
        "65636f6e64206261696c6f757420666f722062616e6b73");
    tx.inputs.push_back(in);
    tx.outputs.push_back(jm::bitcoin::TxOut{
        5'000'000'000,
        *jm::bitcoin::fromHex("4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3"
                              "f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac")});
    return tx.txid();
}

void mine(jm::bitcoin::BlockHeader& h) {
    const auto& params = chainParams(Network::Regtest);
    while (!checkProofOfWork(h.hash(), h.bits, params))
        ++h.nonce;
}

} // namespace

TestBlockChain TestBlockChain::genesis() {
    TestBlockChain c;
    Block b;
    b.header = chainParams(Network::Regtest).genesis;
    Transaction tx;
    auto txid = genesisCoinbaseId(tx);
    b.transactions.push_back(tx);
    c.outputs[{txid, 0}] = tx.outputs[0];
    c.blocks.push_back(b);
    c.hashes.push_back(b.header.hash());
    auto filter = jm::bitcoin::buildBasicFilter(b, {});
    c.filters.push_back(filter.encoded());
    c.filterHashes.push_back(jm::bitcoin::blockFilterHash(filter.encoded()));
    c.filterHeaders.push_back(jm::bitcoin::blockFilterHeader(c.filterHashes.back(), Hash256{}));
    return c;
}

std::vector<jm::bitcoin::Script> TestBlockChain::spentScripts(const Block& block) const {
    std::vector<jm::bitcoin::Script> spent;
    for (std::size_t i = 1; i < block.transactions.size(); ++i)
        for (const auto& in : block.transactions[i].inputs)
            spent.push_back(outputs.at(in.prevout).script_pubkey);
    return spent;
}

void TestBlockChain::extend(std::size_t count, std::uint8_t salt) {
    for (std::size_t n = 0; n < count; ++n) {
        auto height = static_cast<std::uint32_t>(blocks.size());
        Block b;
        Transaction coinbase;
        jm::bitcoin::TxIn in;
        in.prevout.vout = 0xffffffff;
        jm::bitcoin::pushNumber(in.script_sig, height);
        in.script_sig.push_back(0x51);
        in.script_sig.push_back(salt);
        coinbase.inputs.push_back(in);
        Bytes seed{salt, static_cast<std::uint8_t>(height), static_cast<std::uint8_t>(height >> 8),
                   static_cast<std::uint8_t>(height >> 16)};
        auto key = jm::bitcoin::sha256(seed);
        Bytes p2wpkh{0x00, 0x14};
        p2wpkh.insert(p2wpkh.end(), key.begin(), key.begin() + 20);
        coinbase.outputs.push_back(jm::bitcoin::TxOut{5'000'000'000, p2wpkh});
        Bytes commitment{0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed}; // OP_RETURN: never in a filter
        commitment.resize(38, 0);
        coinbase.outputs.push_back(jm::bitcoin::TxOut{0, commitment});
        b.transactions.push_back(coinbase);
        if (height >= 102 && height % 3 == 0) {
            Transaction spend;
            jm::bitcoin::TxIn sin;
            sin.prevout = {blocks[height - 100].transactions[0].txid(), 0};
            sin.witness.push_back(Bytes{0x01, salt});
            spend.inputs.push_back(sin);
            Bytes p2wsh{0x00, 0x20};
            auto k2 = jm::bitcoin::sha256(key);
            p2wsh.insert(p2wsh.end(), k2.begin(), k2.end());
            spend.outputs.push_back(jm::bitcoin::TxOut{4'999'990'000, p2wsh});
            b.transactions.push_back(spend);
        }
        b.header.version = 4;
        b.header.prev_block = hashes.back();
        b.header.merkle_root = b.computeMerkleRoot();
        b.header.time = blocks[0].header.time + 600 * height;
        b.header.bits = REGTEST_BITS;
        mine(b.header);
        auto spent = spentScripts(b);
        for (const auto& tx : b.transactions) {
            auto txid = tx.txid();
            for (std::uint32_t i = 0; i < tx.outputs.size(); ++i)
                outputs[{txid, i}] = tx.outputs[i];
        }
        auto filter = jm::bitcoin::buildBasicFilter(b, spent);
        blocks.push_back(std::move(b));
        hashes.push_back(blocks.back().header.hash());
        filters.push_back(filter.encoded());
        filterHashes.push_back(jm::bitcoin::blockFilterHash(filter.encoded()));
        filterHeaders.push_back(jm::bitcoin::blockFilterHeader(filterHashes.back(), filterHeaders.back()));
    }
}

TestBlockChain TestBlockChain::prefix(std::uint32_t height) const {
    TestBlockChain c = *this;
    c.blocks.resize(height + 1);
    c.hashes.resize(height + 1);
    c.filters.resize(height + 1);
    c.filterHashes.resize(height + 1);
    c.filterHeaders.resize(height + 1);
    return c;
}

void TestBlockChain::setFilter(std::uint32_t height, Bytes filter) {
    filters[height] = std::move(filter);
    recomputeHeaders(height);
}

void TestBlockChain::recomputeHeaders(std::uint32_t from) {
    for (auto h = from; h <= height(); ++h) {
        filterHashes[h] = jm::bitcoin::blockFilterHash(filters[h]);
        filterHeaders[h] = jm::bitcoin::blockFilterHeader(filterHashes[h], h ? filterHeaders[h - 1] : Hash256{});
    }
}

namespace {
// The filter of `height` without one element (the coinbase's output script, or the first spent
// script): a lie a peer could tell about a block.
Bytes lyingFilter(const TestBlockChain& chain, std::uint32_t height, bool spent_script) {
    const auto& block = chain.blocks[height];
    auto spent = chain.spentScripts(block);
    auto elements = jm::bitcoin::basicFilterElements(block, spent);
    const auto& victim = spent_script ? spent.at(0) : block.transactions[0].outputs[0].script_pubkey;
    elements.erase(std::find(elements.begin(), elements.end(), victim));
    return jm::bitcoin::GcsFilter::build(jm::bitcoin::basicFilterParams(chain.hashes[height]), elements).encoded();
}
} // namespace

struct TestNode::Session : std::enable_shared_from_this<Session> {
    Session(TestNode& node, asio::ip::tcp::socket socket) : node(node), socket(std::move(socket)) {}
    TestNode& node;
    asio::ip::tcp::socket socket;
    Bytes head, payload;
    std::deque<Bytes> outbox;
    bool writing = false;
    bool ready = false;
    bool closed = false;

    void send(const Message& m) {
        if (closed) return;
        outbox.push_back(frameMessage(Network::Regtest, commandOf(m), encodeMessage(m)));
        if (!writing) writeNext();
    }
    void writeNext() {
        if (outbox.empty() || closed) {
            writing = false;
            return;
        }
        writing = true;
        asio::async_write(socket, asio::buffer(outbox.front()),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->outbox.pop_front();
                              self->writeNext();
                          });
    }
    void close() {
        closed = true;
        boost::system::error_code ignored;
        socket.close(ignored);
    }
    void read() {
        head.resize(MESSAGE_HEADER_SIZE);
        asio::async_read(socket, asio::buffer(head),
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             if (ec || self->closed) return self->close();
                             auto h = parseMessageHeader(self->head, Network::Regtest);
                             if (!h) return self->close();
                             self->payload.resize(h->length);
                             asio::async_read(self->socket, asio::buffer(self->payload),
                                              [self, h = *h](boost::system::error_code ec2, std::size_t) {
                                                  if (ec2 || self->closed) return self->close();
                                                  if (!checkPayload(h, self->payload)) return self->close();
                                                  auto m = decodeMessage(h.command, self->payload);
                                                  if (!m) return self->close();
                                                  self->handle(*m);
                                                  self->read();
                                              });
                         });
    }
    std::optional<std::uint32_t> heightOf(const Hash256& hash) const {
        const auto& c = node.served();
        for (std::size_t i = c.hashes.size(); i-- > 0;)
            if (c.hashes[i] == hash) return static_cast<std::uint32_t>(i);
        return std::nullopt;
    }
    void handle(const Message& message) {
        const auto& chain = node.served();
        if (auto v = std::get_if<VersionMessage>(&message)) {
            (void)v;
            VersionMessage ours;
            ours.services =
                node.m_lie == Lie::NoServices ? NODE_NETWORK : (NODE_NETWORK | NODE_WITNESS | NODE_COMPACT_FILTERS);
            ours.timestamp = 1'700'000'000;
            ours.nonce = 42;
            ours.user_agent = "/jmnode-test-node/";
            ours.start_height = static_cast<std::int32_t>(chain.height());
            ours.relay = true;
            send(ours);
            send(IgnoredMessage{"wtxidrelay"});
            send(IgnoredMessage{"sendaddrv2"});
            send(VerackMessage{});
        } else if (std::holds_alternative<VerackMessage>(message)) {
            ready = true;
            send(IgnoredMessage{"feefilter"}); // ignored commands must not upset the client
            if (node.m_lie == Lie::BadChecksum) {
                auto framed = frameMessage(Network::Regtest, "ping", encodeMessage(PingMessage{7}));
                framed[20] ^= 0xff;
                outbox.push_back(framed);
                if (!writing) writeNext();
            }
            if (node.m_lie == Lie::UnrequestedJunk) {
                send(CFilterMessage{0, chain.hashes[0], chain.filters[0]});
                send(BlockMessage{chain.blocks[0]});
            }
        } else if (std::holds_alternative<GetAddrMessage>(message)) {
            AddrMessage addr;
            for (auto port : node.advertise) {
                AddrEntry e;
                e.time = 1'700'000'000;
                e.addr.services = NODE_NETWORK | NODE_COMPACT_FILTERS;
                e.addr.ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
                e.addr.port = port;
                addr.entries.push_back(e);
            }
            if (!addr.entries.empty()) send(addr);
        } else if (auto ping = std::get_if<PingMessage>(&message)) {
            if (node.m_lie != Lie::NoPong) send(PongMessage{ping->nonce});
        } else if (auto gh = std::get_if<GetHeadersMessage>(&message)) {
            node.getheaders.push_back(*gh);
            if (node.m_lie == Lie::BadHeader) {
                jm::bitcoin::BlockHeader bad;
                bad.version = 4;
                bad.prev_block = chain.hashes[0];
                bad.time = chain.blocks[0].header.time + 600;
                bad.bits = REGTEST_BITS;
                while (checkProofOfWork(bad.hash(), bad.bits, chainParams(Network::Regtest)))
                    ++bad.nonce;
                send(HeadersMessage{{bad}});
                return;
            }
            std::uint32_t start = 0;
            if (node.m_lie == Lie::RepeatHeaders) {
                HeadersMessage out;
                for (std::uint32_t h = 1; h <= chain.height() && out.headers.size() < MAX_HEADERS_ITEMS; ++h)
                    out.headers.push_back(chain.blocks[h].header);
                send(out);
                return;
            }
            for (const auto& h : gh->locator)
                if (auto height = heightOf(h)) {
                    start = *height + 1;
                    break;
                }
            HeadersMessage out;
            for (auto h = start; h <= chain.height() && out.headers.size() < MAX_HEADERS_ITEMS; ++h) {
                out.headers.push_back(chain.blocks[h].header);
                if (chain.hashes[h] == gh->hash_stop) break;
            }
            send(out);
        } else if (auto cp = std::get_if<GetCFCheckptMessage>(&message)) {
            ++node.cfcheckpts;
            auto stop = heightOf(cp->stop_hash);
            if (!stop) return;
            CFCheckptMessage out{0, cp->stop_hash, {}};
            for (std::uint32_t h = 1000; h <= *stop; h += 1000)
                out.filter_headers.push_back(chain.filterHeaders[h]);
            send(out);
        } else if (auto cfh = std::get_if<GetCFHeadersMessage>(&message)) {
            node.cfheadersStarts.push_back(cfh->start_height);
            auto stop = heightOf(cfh->stop_hash);
            if (!stop || *stop < cfh->start_height) return;
            CFHeadersMessage out{
                0, cfh->stop_hash, cfh->start_height ? chain.filterHeaders[cfh->start_height - 1] : Hash256{}, {}};
            for (auto h = cfh->start_height; h <= *stop; ++h)
                out.filter_hashes.push_back(chain.filterHashes[h]);
            send(out);
        } else if (auto cf = std::get_if<GetCFiltersMessage>(&message)) {
            ++node.cfilterRequests;
            auto stop = heightOf(cf->stop_hash);
            if (!stop || *stop < cf->start_height) return;
            for (auto h = cf->start_height; h <= *stop; ++h) {
                auto filter = chain.filters[h];
                if (node.m_lie == Lie::BadFilter && h == node.m_lieHeight) filter = lyingFilter(chain, h, false);
                send(CFilterMessage{0, chain.hashes[h], filter});
            }
        } else if (auto gd = std::get_if<GetDataMessage>(&message)) {
            NotFoundMessage missing;
            for (const auto& item : gd->items) {
                auto type = item.type & ~MSG_WITNESS_FLAG;
                if (type == MSG_BLOCK) {
                    if (auto h = heightOf(item.hash))
                        send(BlockMessage{chain.blocks[*h]});
                    else
                        missing.items.push_back(item);
                } else if (type == MSG_TX && node.m_lie == Lie::WithholdTxs) {
                    continue;
                } else if (type == MSG_TX && node.m_mempool.count(item.hash)) {
                    send(TxMessage{node.m_mempool[item.hash]});
                } else {
                    missing.items.push_back(item);
                }
            }
            if (!missing.items.empty()) send(missing);
        } else if (auto inv = std::get_if<InvMessage>(&message)) {
            GetDataMessage want;
            for (const auto& item : inv->items)
                if (item.type == MSG_TX) want.items.push_back(InvItem{MSG_WITNESS_TX, item.hash});
            if (!want.items.empty()) send(want);
        } else if (auto tx = std::get_if<TxMessage>(&message)) {
            node.received.push_back(tx->tx);
        }
    }
};

TestNode::TestNode(asio::io_context& io, std::shared_ptr<TestBlockChain> chain, Lie lie, std::uint32_t lie_height,
                   std::uint16_t port) :
    m_io(io),
    m_acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)), m_chain(std::move(chain)),
    m_lie(lie), m_lieHeight(lie_height) {
    m_port = m_acceptor.local_endpoint().port();
    if (m_lie == Lie::BadFilterHeader || m_lie == Lie::BadSpentScript) {
        m_lyingChain = std::make_shared<TestBlockChain>(*m_chain);
        m_lyingChain->setFilter(m_lieHeight, lyingFilter(*m_chain, m_lieHeight, m_lie == Lie::BadSpentScript));
    }
    accept();
}

TestNode::~TestNode() {
    boost::system::error_code ignored;
    m_acceptor.close(ignored);
    dropConnections();
}

void TestNode::accept() {
    m_acceptor.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
        if (ec) return;
        ++connections;
        auto s = std::make_shared<Session>(*this, std::move(socket));
        m_sessions.push_back(s);
        s->read();
        accept();
    });
}

void TestNode::dropConnections() {
    for (auto& s : m_sessions)
        s->close();
    m_sessions.clear();
}

void TestNode::setChain(std::shared_ptr<TestBlockChain> chain) {
    std::uint32_t fork = 0;
    while (fork + 1 <= std::min(chain->height(), m_chain->height()) &&
           chain->hashes[fork + 1] == m_chain->hashes[fork + 1])
        ++fork;
    m_chain = std::move(chain);
    if (m_lie == Lie::BadFilterHeader || m_lie == Lie::BadSpentScript) {
        m_lyingChain = std::make_shared<TestBlockChain>(*m_chain);
        m_lyingChain->setFilter(m_lieHeight, lyingFilter(*m_chain, m_lieHeight, m_lie == Lie::BadSpentScript));
    }
    HeadersMessage announce;
    for (auto h = fork + 1; h <= m_chain->height() && announce.headers.size() < MAX_HEADERS_ITEMS; ++h)
        announce.headers.push_back(m_chain->blocks[h].header);
    for (auto& s : m_sessions)
        if (s->ready && !s->closed) s->send(announce);
}

void TestNode::sendToAll(const Message& message) {
    for (auto& s : m_sessions)
        if (s->ready && !s->closed) s->send(message);
}

std::size_t TestNode::readySessions() const {
    return static_cast<std::size_t>(std::count_if(m_sessions.begin(), m_sessions.end(), [](const auto& s) {
        return s->ready && !s->closed && s->socket.is_open();
    }));
}

void TestNode::announceTx(const Transaction& tx) {
    m_mempool[tx.txid()] = tx;
    for (auto& s : m_sessions)
        if (s->ready && !s->closed) s->send(InvMessage{{InvItem{MSG_TX, tx.txid()}}});
}

} // namespace jm::test::neutrino
