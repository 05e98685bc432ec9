#include "maker_store.hpp"

#include <jm/protocol/utxo_string.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace jm::plugins::maker {

using jm::bitcoin::OutPoint;
using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::WriteBatch;

namespace {

constexpr jm::sdk::WriteOptions SYNCED{.sync = true};
constexpr std::string_view COMMITMENT = "commitment/";
// Learned commitments: heard/<hex> -> its sequence number, and learned/<sequence, 16 hex> -> hex
// so that the oldest are found first when the cap is reached.
constexpr std::string_view HEARD = "heard/";
constexpr std::string_view LEARNED = "learned/";
constexpr std::string_view LOCK = "lock/";
constexpr std::string_view SIGNED = "signed/";
constexpr std::string_view EARNING = "earning/";

std::string lockKey(const OutPoint& o) { return std::string(LOCK) + o.toString(); }

std::string lockValue(const CoinLock& l) {
    return boost::json::serialize(boost::json::object{{"taker", l.taker}, {"txid", l.txid}, {"expires", l.expires}});
}

std::optional<boost::json::object> parseObject(std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return v.as_object();
}

std::int64_t intOf(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    if (!v) return 0;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    return 0;
}

std::string stringOf(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool boolOf(const boost::json::object& o, std::string_view key) {
    auto* v = o.if_contains(key);
    return v && v->is_bool() && v->as_bool();
}

boost::json::object toJson(const SignedCoinjoin& c) {
    boost::json::array inputs;
    for (const auto& o : c.inputs)
        inputs.push_back(boost::json::string(o.toString()));
    return {{"txid", c.txid},
            {"taker", c.taker},
            {"cj_amount", c.cj_amount},
            {"real_cjfee", c.real_cjfee},
            {"txfee", c.txfee},
            {"mixdepth", c.mixdepth},
            {"cj_mixdepth", c.cj_mixdepth},
            {"inputs", std::move(inputs)},
            {"inputs_total", c.inputs_total},
            {"cj_address", c.cj_address},
            {"change_address", c.change_address},
            {"signed_at", c.signed_at},
            {"expires", c.expires},
            {"seen", c.seen}};
}

jm::sdk::Result<SignedCoinjoin> signedFromJson(std::string_view text) {
    auto o = parseObject(text);
    if (!o) return fail(errc::corrupt_data, "a signed CoinJoin record is not JSON");
    SignedCoinjoin c;
    c.txid = stringOf(*o, "txid");
    c.taker = stringOf(*o, "taker");
    c.cj_amount = intOf(*o, "cj_amount");
    c.real_cjfee = intOf(*o, "real_cjfee");
    c.txfee = intOf(*o, "txfee");
    c.mixdepth = static_cast<int>(intOf(*o, "mixdepth"));
    c.cj_mixdepth = static_cast<int>(intOf(*o, "cj_mixdepth"));
    if (auto* in = o->if_contains("inputs"); in && in->is_array())
        for (const auto& v : in->as_array()) {
            if (!v.is_string()) return fail(errc::corrupt_data, "a signed CoinJoin input is not text");
            auto u = jm::protocol::parseUtxoString(v.as_string());
            if (!u) return fail(errc::corrupt_data, "a signed CoinJoin input is not txid:vout");
            c.inputs.push_back(u->outpoint);
        }
    c.inputs_total = intOf(*o, "inputs_total");
    c.cj_address = stringOf(*o, "cj_address");
    c.change_address = stringOf(*o, "change_address");
    c.signed_at = intOf(*o, "signed_at");
    c.expires = intOf(*o, "expires");
    c.seen = boolOf(*o, "seen");
    if (c.txid.size() != 64) return fail(errc::corrupt_data, "a signed CoinJoin record has no txid");
    return c;
}

} // namespace

std::string learnedKey(std::uint64_t sequence) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(sequence));
    return std::string(LEARNED) + hex;
}

jm::sdk::Result<bool> MakerStore::isBlacklisted(std::string_view commitment) const {
    auto v = m_store.get(std::string(COMMITMENT) + std::string(commitment));
    if (!v) return v.error();
    if (v->has_value()) return true;
    auto heard = m_store.get(std::string(HEARD) + std::string(commitment));
    if (!heard) return heard.error();
    return heard->has_value();
}

jm::sdk::Result<void> MakerStore::blacklist(std::string_view commitment) {
    return m_store.put(std::string(COMMITMENT) + std::string(commitment), "", SYNCED);
}

jm::sdk::Result<void> MakerStore::loadLearned() {
    if (m_learnedLoaded) return {};
    std::size_t n = 0;
    std::uint64_t next = 0;
    auto r = m_store.iterate(LEARNED, [&](std::string_view key, std::string_view) {
        ++n;
        auto hex = key.substr(LEARNED.size());
        std::uint64_t sequence = 0;
        auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), sequence, 16);
        if (ec == std::errc() && p == hex.data() + hex.size()) next = std::max(next, sequence + 1);
        return true;
    });
    if (!r) return r.error();
    m_learned = n;
    m_nextLearned = next;
    m_learnedLoaded = true;
    return {};
}

jm::sdk::Result<void> MakerStore::forgetOldestLearned(std::size_t count) {
    WriteBatch batch;
    std::size_t n = 0;
    auto r = m_store.iterate(LEARNED, [&](std::string_view key, std::string_view value) {
        batch.erase(std::string(key));
        batch.erase(std::string(HEARD) + std::string(value));
        return ++n < count;
    });
    if (!r) return r.error();
    if (auto w = m_store.write(batch, {}); !w) return w;
    m_learned -= std::min(m_learned, n);
    return {};
}

jm::sdk::Result<bool> MakerStore::learn(std::string_view commitment) {
    auto known = isBlacklisted(commitment);
    if (!known) return known.error();
    if (*known) return false;
    if (auto r = loadLearned(); !r) return r.error();
    if (m_maxLearned == 0) return true;
    if (m_learned >= m_maxLearned) {
        // A tenth at a time: one scan of the oldest entries per many announcements.
        auto excess = m_learned - m_maxLearned + std::max<std::size_t>(1, m_maxLearned / 10);
        if (auto r = forgetOldestLearned(excess); !r) return r.error();
    }
    WriteBatch batch;
    auto sequence = m_nextLearned;
    batch.put(learnedKey(sequence), std::string(commitment));
    batch.put(std::string(HEARD) + std::string(commitment), learnedKey(sequence));
    if (auto r = m_store.write(batch, {}); !r) return r.error();
    ++m_nextLearned;
    ++m_learned;
    return true;
}

jm::sdk::Result<std::size_t> MakerStore::blacklistSize() {
    // The answered ones are few (each cost a taker a PoDLE); the learned ones are counted once.
    std::size_t n = 0;
    auto r = m_store.iterate(COMMITMENT, [&](std::string_view, std::string_view) {
        ++n;
        return true;
    });
    if (!r) return r.error();
    if (auto l = loadLearned(); !l) return l.error();
    return n + m_learned;
}

jm::sdk::Result<std::vector<CoinLock>> MakerStore::locks(std::int64_t now) const {
    std::vector<CoinLock> out;
    auto r = m_store.iterate(LOCK, [&](std::string_view key, std::string_view value) {
        auto utxo = jm::protocol::parseUtxoString(key.substr(LOCK.size()));
        if (!utxo) return true; // not a lock we wrote
        CoinLock l;
        l.outpoint = utxo->outpoint;
        if (auto o = parseObject(value)) {
            l.taker = stringOf(*o, "taker");
            l.txid = stringOf(*o, "txid");
            l.expires = intOf(*o, "expires");
        } else {
            // Unreadable: keep the coin locked for a while rather than risk spending it twice.
            l.txid = std::string(64, '0');
            l.expires = now + 86'400;
        }
        out.push_back(std::move(l));
        return true;
    });
    if (!r) return r.error();
    return out;
}

jm::sdk::Result<void> MakerStore::lockForSession(const std::vector<CoinLock>& locks, std::string_view commitment) {
    WriteBatch batch;
    for (const auto& l : locks)
        batch.put(lockKey(l.outpoint), lockValue(l));
    batch.put(std::string(COMMITMENT) + std::string(commitment), "");
    return m_store.write(batch, SYNCED);
}

jm::sdk::Result<void> MakerStore::recordSigned(const SignedCoinjoin& coinjoin, const std::vector<CoinLock>& locks) {
    WriteBatch batch;
    for (const auto& l : locks)
        batch.put(lockKey(l.outpoint), lockValue(l));
    batch.put(std::string(SIGNED) + coinjoin.txid, boost::json::serialize(toJson(coinjoin)));
    return m_store.write(batch, SYNCED);
}

jm::sdk::Result<void> MakerStore::unlock(const std::vector<OutPoint>& outpoints) {
    if (outpoints.empty()) return {};
    WriteBatch batch;
    for (const auto& o : outpoints)
        batch.erase(lockKey(o));
    return m_store.write(batch, SYNCED);
}

jm::sdk::Result<std::vector<SignedCoinjoin>> MakerStore::signedCoinjoins() const {
    std::vector<SignedCoinjoin> out;
    jm::sdk::Result<void> bad;
    auto r = m_store.iterate(SIGNED, [&](std::string_view, std::string_view value) {
        auto c = signedFromJson(value);
        if (!c) {
            bad = c.error();
            return false;
        }
        out.push_back(std::move(*c));
        return true;
    });
    if (!r) return r.error();
    if (!bad) return bad.error();
    return out;
}

jm::sdk::Result<void> MakerStore::updateSigned(const SignedCoinjoin& coinjoin) {
    return m_store.put(std::string(SIGNED) + coinjoin.txid, boost::json::serialize(toJson(coinjoin)), SYNCED);
}

jm::sdk::Result<void> MakerStore::settle(const SignedCoinjoin& coinjoin) {
    WriteBatch batch;
    for (const auto& o : coinjoin.inputs)
        batch.erase(lockKey(o));
    batch.erase(std::string(SIGNED) + coinjoin.txid);
    return m_store.write(batch, SYNCED);
}

jm::sdk::Result<void> MakerStore::recordEarning(const Earning& e) {
    boost::json::object o{{"time", e.time},
                          {"txid", e.txid},
                          {"cj_amount", e.cj_amount},
                          {"fee_earned", e.fee_earned},
                          {"real_cjfee", e.real_cjfee},
                          {"txfee", e.txfee},
                          {"mixdepth", e.mixdepth},
                          {"cj_mixdepth", e.cj_mixdepth},
                          {"inputs", e.inputs},
                          {"confirmed", e.confirmed}};
    return m_store.put(std::string(EARNING) + e.txid, boost::json::serialize(o), SYNCED);
}

jm::sdk::Result<std::vector<Earning>> MakerStore::earnings() const {
    std::vector<Earning> out;
    auto r = m_store.iterate(EARNING, [&](std::string_view, std::string_view value) {
        auto o = parseObject(value);
        if (!o) return true; // an unreadable record is not worth stopping the maker for
        Earning e;
        e.time = intOf(*o, "time");
        e.txid = stringOf(*o, "txid");
        e.cj_amount = intOf(*o, "cj_amount");
        e.fee_earned = intOf(*o, "fee_earned");
        e.real_cjfee = intOf(*o, "real_cjfee");
        e.txfee = intOf(*o, "txfee");
        e.mixdepth = static_cast<int>(intOf(*o, "mixdepth"));
        e.cj_mixdepth = static_cast<int>(intOf(*o, "cj_mixdepth"));
        e.inputs = static_cast<int>(intOf(*o, "inputs"));
        e.confirmed = boolOf(*o, "confirmed");
        out.push_back(std::move(e));
        return true;
    });
    if (!r) return r.error();
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    return out;
}

} // namespace jm::plugins::maker
