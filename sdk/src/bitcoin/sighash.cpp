#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/sighash.hpp>

#include <algorithm>

namespace jm::bitcoin {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {
void writeLe(Bytes& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void writeOutput(Bytes& out, const TxOut& o) {
    writeLe(out, static_cast<std::uint64_t>(o.value), 8);
    writeCompactSize(out, o.script_pubkey.size());
    out.insert(out.end(), o.script_pubkey.begin(), o.script_pubkey.end());
}
} // namespace

jm::sdk::Result<Bytes> segwitSighashPreimage(const Transaction& tx, std::size_t index, ByteView script_code,
                                             std::int64_t amount, std::uint32_t sighash_type) {
    if (index >= tx.inputs.size()) return fail(errc::invalid_argument, "input index out of range");
    bool anyone_can_pay = sighash_type & SIGHASH_ANYONECANPAY;
    std::uint32_t base = sighash_type & 0x1f;
    Hash256 hash_prevouts{}, hash_sequence{}, hash_outputs{};
    if (!anyone_can_pay) {
        Bytes buf;
        for (const auto& in : tx.inputs) {
            buf.insert(buf.end(), in.prevout.txid.begin(), in.prevout.txid.end());
            writeLe(buf, in.prevout.vout, 4);
        }
        hash_prevouts = sha256d(buf);
    }
    if (!anyone_can_pay && base != SIGHASH_SINGLE && base != SIGHASH_NONE) {
        Bytes buf;
        for (const auto& in : tx.inputs)
            writeLe(buf, in.sequence, 4);
        hash_sequence = sha256d(buf);
    }
    if (base != SIGHASH_SINGLE && base != SIGHASH_NONE) {
        Bytes buf;
        for (const auto& o : tx.outputs)
            writeOutput(buf, o);
        hash_outputs = sha256d(buf);
    } else if (base == SIGHASH_SINGLE && index < tx.outputs.size()) {
        Bytes buf;
        writeOutput(buf, tx.outputs[index]);
        hash_outputs = sha256d(buf);
    }
    Bytes pre;
    writeLe(pre, static_cast<std::uint32_t>(tx.version), 4);
    pre.insert(pre.end(), hash_prevouts.begin(), hash_prevouts.end());
    pre.insert(pre.end(), hash_sequence.begin(), hash_sequence.end());
    const auto& in = tx.inputs[index];
    pre.insert(pre.end(), in.prevout.txid.begin(), in.prevout.txid.end());
    writeLe(pre, in.prevout.vout, 4);
    writeCompactSize(pre, script_code.size());
    pre.insert(pre.end(), script_code.begin(), script_code.end());
    writeLe(pre, static_cast<std::uint64_t>(amount), 8);
    writeLe(pre, in.sequence, 4);
    pre.insert(pre.end(), hash_outputs.begin(), hash_outputs.end());
    writeLe(pre, tx.locktime, 4);
    writeLe(pre, sighash_type, 4);
    return pre;
}

jm::sdk::Result<Hash256> segwitSighash(const Transaction& tx, std::size_t index, ByteView script_code,
                                       std::int64_t amount, std::uint32_t sighash_type) {
    auto pre = segwitSighashPreimage(tx, index, script_code, amount, sighash_type);
    if (!pre) return pre.error();
    return sha256d(*pre);
}

Script p2wpkhScriptCode(const PublicKey& key) { return p2pkhScript(key.hash160()); }

jm::sdk::Result<void> signP2wpkhInput(Transaction& tx, std::size_t index, const PrivateKey& key, std::int64_t amount) {
    auto pub = key.publicKey();
    auto hash = segwitSighash(tx, index, p2wpkhScriptCode(pub), amount, SIGHASH_ALL);
    if (!hash) return hash.error();
    auto sig = key.signDer(*hash);
    sig.push_back(SIGHASH_ALL);
    tx.inputs[index].witness = {sig, pub.compressed()};
    return {};
}

jm::sdk::Result<void> signTimelockInput(Transaction& tx, std::size_t index, const PrivateKey& key,
                                        ByteView witness_script, std::int64_t amount) {
    if (index >= tx.inputs.size()) return fail(errc::invalid_argument, "input index out of range");
    auto timelock = parseTimelockScript(witness_script);
    if (!timelock) return timelock.error();
    if (tx.inputs[index].sequence == 0xffffffff)
        return fail(errc::invalid_argument, "a timelocked input needs a sequence below 0xffffffff");
    bool both_times = (timelock->locktime >= 500'000'000) == (tx.locktime >= 500'000'000);
    if (!both_times || tx.locktime < timelock->locktime)
        return fail(errc::invalid_argument, "transaction locktime " + std::to_string(tx.locktime) +
                                                " does not reach the bond's " + std::to_string(timelock->locktime));
    auto hash = segwitSighash(tx, index, witness_script, amount, SIGHASH_ALL);
    if (!hash) return hash.error();
    auto sig = key.signDer(*hash);
    sig.push_back(SIGHASH_ALL);
    tx.inputs[index].witness = {sig, Bytes(witness_script.begin(), witness_script.end())};
    return {};
}

namespace {
bool checkSig(const Transaction& tx, std::size_t index, ByteView script_code, std::int64_t amount,
              ByteView sig_with_type, ByteView pubkey) {
    if (sig_with_type.empty()) return false;
    auto pk = PublicKey::parse(pubkey);
    if (!pk || pubkey.size() != 33) return false; // segwit v0 policy: compressed keys only
    auto hash = segwitSighash(tx, index, script_code, amount, sig_with_type.back());
    return hash && pk->verifyDer(*hash, sig_with_type.first(sig_with_type.size() - 1));
}
} // namespace

bool verifyP2wpkhInput(const Transaction& tx, std::size_t index, ByteView script_pubkey, std::int64_t amount) {
    if (index >= tx.inputs.size() || classifyScript(script_pubkey) != ScriptType::P2WPKH) return false;
    const auto& w = tx.inputs[index].witness;
    if (w.size() != 2 || !tx.inputs[index].script_sig.empty()) return false;
    auto pk = PublicKey::parse(w[1]);
    if (!pk || !std::equal(script_pubkey.begin() + 2, script_pubkey.end(), pk->hash160().begin())) return false;
    return checkSig(tx, index, p2wpkhScriptCode(*pk), amount, w[0], w[1]);
}

bool verifyP2wshSingleKeyInput(const Transaction& tx, std::size_t index, ByteView script_pubkey, std::int64_t amount) {
    if (index >= tx.inputs.size() || classifyScript(script_pubkey) != ScriptType::P2WSH) return false;
    const auto& w = tx.inputs[index].witness;
    if (w.size() != 2 || !tx.inputs[index].script_sig.empty()) return false;
    if (p2wshScript(w[1]) != Bytes(script_pubkey.begin(), script_pubkey.end())) return false;
    Bytes pubkey;
    if (auto timelock = parseTimelockScript(w[1])) {
        // CLTV: the spending transaction must have reached the lock.
        const auto& in = tx.inputs[index];
        bool same_kind = (timelock->locktime >= 500'000'000) == (tx.locktime >= 500'000'000);
        if (in.sequence == 0xffffffff || !same_kind || tx.locktime < timelock->locktime) return false;
        pubkey = timelock->pubkey;
    } else if (w[1].size() == 35 && w[1][0] == 33 && w[1][34] == OP_CHECKSIG) {
        pubkey.assign(w[1].begin() + 1, w[1].begin() + 34);
    } else {
        return false;
    }
    return checkSig(tx, index, w[1], amount, w[0], pubkey);
}

} // namespace jm::bitcoin
