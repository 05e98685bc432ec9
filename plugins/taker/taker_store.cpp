#include "taker_store.hpp"

#include <jm/protocol/utxo_string.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace jm::plugins::taker {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

constexpr jm::sdk::WriteOptions SYNCED{.sync = true};
constexpr std::string_view USED = "used/";
constexpr std::string_view EXTERNAL = "external/";
constexpr std::string_view COINJOIN = "coinjoin/";

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

std::vector<std::string> stringsOf(const boost::json::object& o, std::string_view key) {
    std::vector<std::string> out;
    auto* v = o.if_contains(key);
    if (!v || !v->is_array()) return out;
    for (const auto& x : v->as_array())
        if (x.is_string()) out.emplace_back(x.as_string());
    return out;
}

} // namespace

jm::sdk::Result<bool> TakerStore::isUsed(std::string_view commitment) const {
    auto v = m_store.get(std::string(USED) + std::string(commitment));
    if (!v) return v.error();
    return v->has_value();
}

jm::sdk::Result<void> TakerStore::markUsed(std::string_view commitment) {
    return m_store.put(std::string(USED) + std::string(commitment), "1", SYNCED);
}

jm::sdk::Result<std::size_t> TakerStore::usedCount() const {
    std::size_t n = 0;
    auto r = m_store.iterate(USED, [&](std::string_view, std::string_view) {
        ++n;
        return true;
    });
    if (!r) return r.error();
    return n;
}

jm::sdk::Result<void> TakerStore::addExternal(const jm::taker::ExternalCommitment& c) {
    boost::json::array openings, commitments;
    for (const auto& o : c.openings)
        openings.push_back(boost::json::string(o));
    for (const auto& o : c.commitments)
        commitments.push_back(boost::json::string(o));
    auto text = boost::json::serialize(
        boost::json::object{{"openings", std::move(openings)}, {"commitments", std::move(commitments)}});
    return m_store.put(std::string(EXTERNAL) + c.outpoint.toString(), text, SYNCED);
}

jm::sdk::Result<std::vector<jm::taker::ExternalCommitment>> TakerStore::externals() const {
    std::vector<jm::taker::ExternalCommitment> out;
    bool bad = false;
    auto r = m_store.iterate(EXTERNAL, [&](std::string_view key, std::string_view value) {
        auto utxo = jm::protocol::parseUtxoString(key.substr(EXTERNAL.size()));
        auto o = parseObject(value);
        if (!utxo || !o) {
            bad = true;
            return true;
        }
        jm::taker::ExternalCommitment c;
        c.outpoint = utxo->outpoint;
        c.openings = stringsOf(*o, "openings");
        c.commitments = stringsOf(*o, "commitments");
        if (c.openings.size() != c.commitments.size()) {
            bad = true;
            return true;
        }
        out.push_back(std::move(c));
        return true;
    });
    if (!r) return r.error();
    if (bad) return fail(errc::corrupt_data, "an external commitment entry cannot be read");
    return out;
}

jm::sdk::Result<void> TakerStore::recordCoinjoin(const CoinjoinRecord& c) {
    boost::json::array inputs;
    for (const auto& o : c.inputs)
        inputs.push_back(boost::json::string(jm::protocol::formatUtxoString({o, {}, {}})));
    auto text = boost::json::serialize(boost::json::object{{"txid", c.txid},
                                                           {"cj_amount", c.cj_amount},
                                                           {"maker_fees", c.maker_fees},
                                                           {"mining_fee", c.mining_fee},
                                                           {"mixdepth", c.mixdepth},
                                                           {"destination", c.destination},
                                                           {"time", c.time},
                                                           {"inputs", std::move(inputs)}});
    return m_store.put(std::string(COINJOIN) + c.txid, text, SYNCED);
}

jm::sdk::Result<std::vector<CoinjoinRecord>> TakerStore::coinjoins() const {
    std::vector<CoinjoinRecord> out;
    bool bad = false;
    auto r = m_store.iterate(COINJOIN, [&](std::string_view, std::string_view value) {
        if (auto o = parseObject(value)) {
            CoinjoinRecord c{stringOf(*o, "txid"),
                             intOf(*o, "cj_amount"),
                             intOf(*o, "maker_fees"),
                             intOf(*o, "mining_fee"),
                             static_cast<int>(intOf(*o, "mixdepth")),
                             stringOf(*o, "destination"),
                             intOf(*o, "time")};
            for (const auto& text : stringsOf(*o, "inputs")) {
                auto utxo = jm::protocol::parseUtxoString(text);
                if (!utxo) {
                    bad = true; // written by us: a coin we cannot read is a damaged store
                    continue;
                }
                c.inputs.push_back(utxo->outpoint);
            }
            out.push_back(std::move(c));
        } else {
            bad = true;
        }
        return true;
    });
    if (!r) return r.error();
    if (bad) return fail(errc::corrupt_data, "a CoinJoin record of the taker cannot be read");
    return out;
}

} // namespace jm::plugins::taker
