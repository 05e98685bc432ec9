// Crypto primitives' throughput: BIP32 derivations, ECDSA sign/verify, transaction parse +
// BIP143 sighash. Plain timing loops; run a Release build on an idle machine:
//   build-release/bin/bench_crypto
#include <jm/bitcoin/bip32.hpp>
#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>
#include <jm/bitcoin/sighash.hpp>

#include "bench_rate.hpp"

#include <cstdlib>

using namespace jm::bitcoin;

using jm::bench::rate;

int main() {
    auto master = *ExtendedKey::fromSeed(*fromHex("000102030405060708090a0b0c0d0e0f"));
    auto account = *master.derivePath(*parseDerivationPath("m/84'/0'/0'/0"));
    auto account_pub = account.neuter();
    std::uint32_t index = 0;
    rate("BIP32 private derivation (normal child)", 2.0, [&] { (void)account.derive(index++ % 1000); });
    rate("BIP32 public derivation (xpub child)", 2.0, [&] { (void)account_pub.derive(index++ % 1000); });
    rate("BIP32 hardened derivation", 2.0, [&] { (void)master.derive(HARDENED | (index++ % 1000)); });

    auto key = PrivateKey::generate();
    auto pub = key.publicKey();
    auto hash = sha256(asBytes("jmnode bench"));
    auto der = key.signDer(hash);
    rate("ECDSA sign (RFC 6979, DER)", 2.0, [&] {
        hash[0]++;
        der = key.signDer(hash);
    });
    hash = sha256(asBytes("jmnode bench"));
    der = key.signDer(hash);
    rate("ECDSA verify (DER)", 2.0, [&] {
        if (!pub.verifyDer(hash, der)) std::abort();
    });

    // A 10-input, 10-output CoinJoin-sized transaction.
    Transaction tx;
    for (int i = 0; i < 10; ++i) {
        TxIn in;
        in.prevout.txid = sha256(asBytes(std::to_string(i)));
        in.witness = {Bytes(72, 1), pub.compressed()};
        tx.inputs.push_back(in);
        tx.outputs.push_back({100'000 + i, p2wpkhScript(pub)});
    }
    auto raw = tx.serialize();
    auto code = p2wpkhScriptCode(pub);
    rate("tx parse (10 in/10 out) + 1 sighash", 2.0, [&] {
        auto parsed = parseTransaction(raw);
        (void)segwitSighash(*parsed, 3, code, 100'000, SIGHASH_ALL);
    });
    rate("tx parse + sighash of all 10 inputs", 2.0, [&] {
        auto parsed = parseTransaction(raw);
        for (std::size_t i = 0; i < 10; ++i)
            (void)segwitSighash(*parsed, i, code, 100'000, SIGHASH_ALL);
    });
    return 0;
}
