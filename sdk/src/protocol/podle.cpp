#include <jm/protocol/podle.hpp>

#include <jm/bitcoin/encoding.hpp>
#include <jm/bitcoin/hash.hpp>

#include <array>
#include <mutex>

namespace jm::protocol {

using jm::bitcoin::Bytes;
using jm::bitcoin::Hash256;
using jm::bitcoin::PrivateKey;
using jm::bitcoin::PublicKey;
using jm::sdk::errc;
using jm::sdk::fail;

namespace {

struct NumsTable {
    std::vector<PublicKey> points;
    std::vector<NumsDerivation> derivations;
};

const NumsTable& numsTable() {
    static const NumsTable table = [] {
        NumsTable t;
        Bytes one(32, 0);
        one[31] = 1;
        auto g = PrivateKey::fromBytes(one)->publicKey(); // the generator G
        for (int i = 0; i < NUMS_COUNT; ++i) {
            bool found = false;
            for (bool compressed : {true, false}) {
                Bytes seed = compressed ? g.compressed() : g.uncompressed();
                for (int c = 0; c < 256 && !found; ++c) {
                    Bytes input = seed;
                    input.push_back(static_cast<std::uint8_t>(i));
                    input.push_back(static_cast<std::uint8_t>(c));
                    auto x = jm::bitcoin::sha256(input);
                    Bytes candidate{0x02};
                    candidate.insert(candidate.end(), x.begin(), x.end());
                    if (auto p = PublicKey::parse(candidate)) {
                        t.points.push_back(*p);
                        t.derivations.push_back({compressed, c});
                        found = true;
                    }
                }
                if (found) break;
            }
            // Every index has a point with the compressed seed (checked against the reference
            // table); reaching here would be a bug in the hash-to-point rule.
            if (!found) std::abort();
        }
        return t;
    }();
    return table;
}

constexpr std::array<std::uint8_t, 32> ORDER = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                                0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                                0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};

// e is a 32-byte hash used as an integer: reduce it mod n (2^256 < 2n, so once is enough).
Hash256 reduceModOrder(Hash256 v) {
    if (!std::lexicographical_compare(v.begin(), v.end(), ORDER.begin(), ORDER.end())) {
        int borrow = 0;
        for (int i = 31; i >= 0; --i) {
            int d = v[i] - ORDER[i] - borrow;
            borrow = d < 0;
            v[i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
        }
    }
    return v;
}

Hash256 challenge(const Bytes& kg, const Bytes& kj, const Bytes& p, const Bytes& p2) {
    Bytes buf;
    for (const auto* part : {&kg, &kj, &p, &p2})
        buf.insert(buf.end(), part->begin(), part->end());
    return jm::bitcoin::sha256(buf);
}

bool isHex(std::string_view s, std::size_t len) {
    return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
           });
}

} // namespace

jm::sdk::Result<PublicKey> numsPoint(int index) {
    if (index < 0 || index >= NUMS_COUNT) return fail(errc::invalid_argument, "NUMS index must be 0..255");
    return numsTable().points[static_cast<std::size_t>(index)];
}

jm::sdk::Result<NumsDerivation> numsDerivation(int index) {
    if (index < 0 || index >= NUMS_COUNT) return fail(errc::invalid_argument, "NUMS index must be 0..255");
    return numsTable().derivations[static_cast<std::size_t>(index)];
}

std::string podleCommitment(const PodleProof& proof) { return jm::bitcoin::toHex(jm::bitcoin::sha256(proof.p2)); }

jm::sdk::Result<std::string> podleCommitmentFor(const PrivateKey& key, int index) {
    auto j = numsPoint(index);
    if (!j) return j.error();
    auto p2 = j->multiply(key.bytes().view());
    if (!p2) return p2.error();
    return jm::bitcoin::toHex(jm::bitcoin::sha256(p2->compressed()));
}

jm::sdk::Result<PodleProof> generatePodle(const PrivateKey& key, std::string utxo, int index) {
    auto j = numsPoint(index);
    if (!j) return j.error();
    PodleProof proof;
    proof.utxo = std::move(utxo);
    proof.p = key.publicKey().compressed();
    proof.p2 = j->multiply(key.bytes().view())->compressed();
    for (;;) {
        auto k = PrivateKey::generate();
        auto kg = k.publicKey().compressed();
        auto kj = j->multiply(k.bytes().view())->compressed();
        proof.e = challenge(kg, kj, proof.p, proof.p2);
        auto e_scalar = reduceModOrder(proof.e);
        auto xe = key.multiplyTweak(e_scalar);   // x*e mod n
        if (!xe) continue;                       // e == 0 mod n: astronomically unlikely, retry
        auto s = xe->addTweak(k.bytes().view()); // k + x*e mod n
        if (!s) continue;
        std::copy(s->bytes().data(), s->bytes().data() + 32, proof.s.begin());
        return proof;
    }
}

jm::sdk::Result<int> verifyPodle(const PodleProof& proof, std::string_view commitment_hex, int max_index) {
    if (auto bytes = jm::bitcoin::fromHex(commitment_hex); !bytes || bytes->size() != 32)
        return fail(errc::protocol_error, "commitment is not 32 bytes of hex");
    std::string commitment(commitment_hex);
    std::transform(commitment.begin(), commitment.end(), commitment.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (podleCommitment(proof) != commitment) return fail(errc::protocol_error, "PoDLE does not open the commitment");
    auto p = PublicKey::parse(proof.p);
    auto p2 = PublicKey::parse(proof.p2);
    if (!p || !p2 || proof.p.size() != 33 || proof.p2.size() != 33)
        return fail(errc::protocol_error, "PoDLE points are not valid compressed keys");
    auto s = PrivateKey::fromBytes(proof.s);
    if (!s) return fail(errc::protocol_error, "PoDLE s is zero or not below the group order");
    auto e_scalar = PrivateKey::fromBytes(reduceModOrder(proof.e));
    if (!e_scalar) return fail(errc::protocol_error, "PoDLE e is zero");
    auto minus_e = e_scalar->negate();
    auto sg = s->publicKey();
    auto ep = p->multiply(minus_e.bytes().view());
    auto ep2 = p2->multiply(minus_e.bytes().view());
    if (!ep || !ep2) return fail(errc::protocol_error, "PoDLE arithmetic failed");
    auto kg = sg.add(*ep);
    if (!kg) return fail(errc::protocol_error, "PoDLE does not verify");
    auto kg_bytes = kg->compressed();
    for (int i = 0; i < std::min(max_index, NUMS_COUNT); ++i) {
        auto sj = numsPoint(i)->multiply(proof.s);
        if (!sj) continue;
        auto kj = sj->add(*ep2);
        if (!kj) continue;
        if (challenge(kg_bytes, kj->compressed(), proof.p, proof.p2) == proof.e) return i;
    }
    return fail(errc::protocol_error,
                "PoDLE does not verify at any allowed index (0.." + std::to_string(max_index - 1) + ")");
}

std::string formatRevelation(const PodleProof& proof) {
    return proof.utxo + "|" + jm::bitcoin::toHex(proof.p) + "|" + jm::bitcoin::toHex(proof.p2) + "|" +
           jm::bitcoin::toHex(proof.s) + "|" + jm::bitcoin::toHex(proof.e);
}

jm::sdk::Result<PodleProof> parseRevelation(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        auto pos = text.find('|', start);
        parts.push_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos || parts.size() > 5) break;
        start = pos + 1;
    }
    if (parts.size() != 5) return fail(errc::protocol_error, "PoDLE revelation must have 5 '|'-separated fields");
    if (parts[0].empty() || parts[0].size() > 300) return fail(errc::protocol_error, "PoDLE revelation has no utxo");
    if (!isHex(parts[1], 66) || !isHex(parts[2], 66) || !isHex(parts[3], 64) || !isHex(parts[4], 64))
        return fail(errc::protocol_error, "PoDLE revelation fields have the wrong lengths or are not hex");
    PodleProof proof;
    proof.utxo = parts[0];
    proof.p = *jm::bitcoin::fromHex(parts[1]);
    proof.p2 = *jm::bitcoin::fromHex(parts[2]);
    auto s = *jm::bitcoin::fromHex(parts[3]);
    auto e = *jm::bitcoin::fromHex(parts[4]);
    std::copy(s.begin(), s.end(), proof.s.begin());
    std::copy(e.begin(), e.end(), proof.e.begin());
    return proof;
}

std::int64_t podleMinimumValue(std::int64_t cj_amount, int amount_percent) { return cj_amount * amount_percent / 100; }

bool podleEligible(std::int64_t value, int confirmations, std::int64_t cj_amount, const PodlePolicy& policy) {
    return confirmations >= policy.min_confirmations && value >= podleMinimumValue(cj_amount, policy.amount_percent);
}

std::optional<int> podleNextIndex(const std::function<bool(int)>& is_used, const PodlePolicy& policy) {
    int next = 0;
    for (int i = 0; i < policy.retries; ++i)
        if (is_used(i)) next = i + 1;
    if (next >= policy.retries) return std::nullopt;
    return next;
}

} // namespace jm::protocol
