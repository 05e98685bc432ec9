// Protocol hot paths: NaCl box messages, private-message signature verification (the check a
// receiver does for every privmsg), envelope parsing and line splitting.
//   build-release/bin/bench_protocol
#include <jm/bitcoin/key.hpp>
#include <jm/protocol/envelope.hpp>
#include <jm/protocol/line.hpp>
#include <jm/protocol/nacl_box.hpp>
#include <jm/protocol/nick.hpp>
#include <jm/protocol/podle.hpp>

#include "bench_rate.hpp"

#include <cstdlib>

using namespace jm::protocol;

using jm::bench::rate;

int main() {
    auto a = BoxKeyPair::generate(), b = BoxKeyPair::generate();
    BoxSession ab(a, b.publicKey());
    std::string payload(300, 'x'); // about an !ioauth
    rate("NaCl box encrypt (300-byte message)", 2.0, [&] { (void)ab.encrypt(payload); });
    rate("new session (X25519) + encrypt + decrypt", 2.0, [&] {
        BoxSession ba(b, a.publicKey()); // fresh session: the replay set stays small
        (void)ba.decrypt(ab.encrypt(payload));
    });

    NickIdentity id;
    std::string text = "0 5000000 07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c "
                       "P0699ef3695ee2050f6d0cfcdb8ef0b49d118d6b0b0bc9f56c8621639ad05bec6";
    auto tail = id.signedText(text);
    auto body = parseSignedBody("fill " + tail).value();
    rate("privmsg signature verify (nick check + ECDSA)", 2.0, [&] {
        if (!nickMatchesPubkeyHex(id.nick(), body.pubkey_hex) ||
            !verifyPrivmsg(body.text, body.pubkey_hex, body.signature_base64))
            std::abort();
    });
    auto wire = formatEnvelope({685, formatPrivateLine(id.nick(), "J5cgWgQAS8pjF3QO", "fill", tail)}).value();
    std::string_view line(wire.data(), wire.size() - 2);
    rate("envelope parse + line split + signed body", 2.0, [&] {
        auto env = parseEnvelope(line);
        auto channel = parseChannelLine(env->line);
        (void)parseSignedBody(channel->body);
    });
    auto key = jm::bitcoin::PrivateKey::generate();
    auto proof = generatePodle(key, std::string(64, 'a') + ":0", 2).value();
    auto commitment = podleCommitment(proof);
    rate("PoDLE proof generation", 2.0, [&] { (void)generatePodle(key, proof.utxo, 2); });
    rate("PoDLE verification (found at index 2 of 0..2)", 2.0, [&] {
        if (!verifyPodle(proof, commitment, 3)) std::abort();
    });
    return 0;
}
