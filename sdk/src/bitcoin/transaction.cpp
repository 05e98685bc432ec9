#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/transaction.hpp>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

std::string OutPoint::toString() const { return toHexReversed(txid) + ":" + std::to_string(vout); }

void writeCompactSize(Bytes& out, std::uint64_t n) {
    auto le = [&](int bytes) {
        for (int i = 0; i < bytes; ++i)
            out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    };
    if (n < 0xfd) {
        out.push_back(static_cast<std::uint8_t>(n));
    } else if (n <= 0xffff) {
        out.push_back(0xfd);
        le(2);
    } else if (n <= 0xffffffff) {
        out.push_back(0xfe);
        le(4);
    } else {
        out.push_back(0xff);
        le(8);
    }
}

namespace {

void writeLe(Bytes& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void writeBytes(Bytes& out, ByteView b) {
    writeCompactSize(out, b.size());
    out.insert(out.end(), b.begin(), b.end());
}

// A bounds-checked reader over untrusted bytes.
class Reader {
public:
    explicit Reader(ByteView data) : m_data(data) {}
    std::size_t left() const { return m_data.size() - m_pos; }
    std::size_t pos() const { return m_pos; }
    bool read(std::uint64_t& v, int bytes) {
        if (left() < static_cast<std::size_t>(bytes)) return false;
        v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= std::uint64_t(m_data[m_pos + i]) << (8 * i);
        m_pos += bytes;
        return true;
    }
    bool compactSize(std::uint64_t& v) {
        std::uint64_t first;
        if (!read(first, 1)) return false;
        if (first < 0xfd) {
            v = first;
            return true;
        }
        int bytes = first == 0xfd ? 2 : first == 0xfe ? 4 : 8;
        if (!read(v, bytes)) return false;
        // Non-canonical encodings are rejected, as Core does.
        std::uint64_t min = bytes == 2 ? 0xfd : bytes == 4 ? 0x10000 : 0x100000000ULL;
        return v >= min;
    }
    bool bytes(Bytes& out, std::size_t n) {
        if (left() < n) return false;
        out.assign(m_data.begin() + static_cast<std::ptrdiff_t>(m_pos),
                   m_data.begin() + static_cast<std::ptrdiff_t>(m_pos + n));
        m_pos += n;
        return true;
    }
    bool varBytes(Bytes& out) {
        std::uint64_t n;
        return compactSize(n) && n <= left() && bytes(out, static_cast<std::size_t>(n));
    }
    std::uint8_t peek(std::size_t ahead = 0) const { return m_pos + ahead < m_data.size() ? m_data[m_pos + ahead] : 0; }

private:
    ByteView m_data;
    std::size_t m_pos = 0;
};

} // namespace

bool Transaction::hasWitness() const {
    for (const auto& in : inputs)
        if (!in.witness.empty()) return true;
    return false;
}

Bytes Transaction::serialize(bool with_witness) const {
    bool witness = with_witness && hasWitness();
    Bytes out;
    writeLe(out, static_cast<std::uint32_t>(version), 4);
    if (witness) {
        out.push_back(0x00);
        out.push_back(0x01);
    }
    writeCompactSize(out, inputs.size());
    for (const auto& in : inputs) {
        out.insert(out.end(), in.prevout.txid.begin(), in.prevout.txid.end());
        writeLe(out, in.prevout.vout, 4);
        writeBytes(out, in.script_sig);
        writeLe(out, in.sequence, 4);
    }
    writeCompactSize(out, outputs.size());
    for (const auto& o : outputs) {
        writeLe(out, static_cast<std::uint64_t>(o.value), 8);
        writeBytes(out, o.script_pubkey);
    }
    if (witness) {
        for (const auto& in : inputs) {
            writeCompactSize(out, in.witness.size());
            for (const auto& item : in.witness)
                writeBytes(out, item);
        }
    }
    writeLe(out, locktime, 4);
    return out;
}

Hash256 Transaction::txid() const { return sha256d(serialize(false)); }
Hash256 Transaction::wtxid() const { return sha256d(serialize(true)); }
std::string Transaction::txidHex() const { return toHexReversed(txid()); }
std::size_t Transaction::weight() const { return serialize(false).size() * 3 + serialize(true).size(); }
std::size_t Transaction::vsize() const { return (weight() + 3) / 4; }

jm::sdk::Result<ParsedTransaction> parseTransactionPrefix(ByteView data) {
    Reader r(data);
    auto bad = [&](const std::string& why) {
        return fail(errc::invalid_argument, "transaction: " + why + " at byte " + std::to_string(r.pos()));
    };
    Transaction tx;
    std::uint64_t v;
    if (!r.read(v, 4)) return bad("truncated version");
    tx.version = static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    bool witness = false;
    if (r.peek() == 0x00 && r.peek(1) == 0x01) {
        witness = true;
        r.read(v, 2);
    }
    std::uint64_t count;
    // Each input needs at least 41 bytes, each output 9: bound counts by what is left.
    if (!r.compactSize(count) || count > r.left() / 41) return bad("invalid input count");
    tx.inputs.resize(static_cast<std::size_t>(count));
    for (auto& in : tx.inputs) {
        Bytes txid;
        if (!r.bytes(txid, 32)) return bad("truncated input");
        std::copy(txid.begin(), txid.end(), in.prevout.txid.begin());
        if (!r.read(v, 4)) return bad("truncated input");
        in.prevout.vout = static_cast<std::uint32_t>(v);
        if (!r.varBytes(in.script_sig)) return bad("invalid scriptSig");
        if (!r.read(v, 4)) return bad("truncated sequence");
        in.sequence = static_cast<std::uint32_t>(v);
    }
    if (!r.compactSize(count) || count > r.left() / 9) return bad("invalid output count");
    tx.outputs.resize(static_cast<std::size_t>(count));
    for (auto& o : tx.outputs) {
        if (!r.read(v, 8)) return bad("truncated output value");
        o.value = static_cast<std::int64_t>(v);
        if (o.value < 0 || o.value > 21'000'000LL * 100'000'000LL) return bad("output value out of range");
        if (!r.varBytes(o.script_pubkey)) return bad("invalid scriptPubKey");
    }
    if (witness) {
        if (tx.inputs.empty()) return bad("witness marker without inputs");
        for (auto& in : tx.inputs) {
            std::uint64_t items;
            if (!r.compactSize(items) || items > r.left()) return bad("invalid witness item count");
            in.witness.resize(static_cast<std::size_t>(items));
            for (auto& item : in.witness)
                if (!r.varBytes(item)) return bad("invalid witness item");
        }
        if (!tx.hasWitness()) return bad("superfluous witness marker (every witness is empty)");
    }
    if (!r.read(v, 4)) return bad("truncated locktime");
    tx.locktime = static_cast<std::uint32_t>(v);
    return ParsedTransaction{std::move(tx), r.pos()};
}

jm::sdk::Result<Transaction> parseTransaction(ByteView data) {
    auto parsed = parseTransactionPrefix(data);
    if (!parsed) return parsed.error();
    if (parsed->size != data.size())
        return fail(errc::invalid_argument, "transaction: " + std::to_string(data.size() - parsed->size) +
                                                " trailing bytes at byte " + std::to_string(parsed->size));
    return std::move(parsed->tx);
}

} // namespace jm::bitcoin
