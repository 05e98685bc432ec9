#include "header_chain.hpp"

#include <jm/bitcoin/encoding.hpp>

#include <algorithm>
#include <cstring>

namespace jm::plugins::backend_neutrino {

using jm::bitcoin::BlockHeader;
using jm::bitcoin::Hash256;
using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {

constexpr std::string_view NETWORK_KEY = "hdrnet";
constexpr std::string_view TIP_KEY = "hdrtip";
constexpr std::string_view ENTRY_PREFIX = "hdr/";
constexpr std::int64_t MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;
constexpr std::size_t MEDIAN_TIME_SPAN = 11;
constexpr std::size_t ENTRY_VALUE_SIZE = BlockHeader::SIZE + 4 + 32;
//! A side branch must come within this many blocks' work of the tip to be stored (Core's
//! anti-DoS work threshold uses the same 144).
constexpr unsigned ANTI_DOS_BLOCKS = 144;

std::string entryKey(const Hash256& hash) {
    std::string key(ENTRY_PREFIX);
    key.append(reinterpret_cast<const char*>(hash.data()), hash.size());
    return key;
}

std::string hashValue(const Hash256& hash) {
    return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

// header(80) | height (4, little endian) | chain work (32, big endian)
std::string entryValue(const HeaderEntry& e) {
    auto raw = e.header.serialize();
    std::string v(reinterpret_cast<const char*>(raw.data()), raw.size());
    for (int i = 0; i < 4; ++i)
        v.push_back(static_cast<char>(e.height >> (8 * i)));
    std::string work(32, '\0');
    Uint256 w = e.chain_work;
    for (int i = 31; i >= 0; --i) {
        work[static_cast<std::size_t>(i)] = static_cast<char>(static_cast<std::uint8_t>(w & 0xff));
        w >>= 8;
    }
    return v + work;
}

std::optional<HeaderEntry> parseEntry(std::string_view key, std::string_view value) {
    if (key.size() != ENTRY_PREFIX.size() + 32 || value.size() != ENTRY_VALUE_SIZE) return std::nullopt;
    auto bytes = jm::bitcoin::ByteView(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
    auto header = jm::bitcoin::parseBlockHeaderPrefix(bytes);
    if (!header) return std::nullopt;
    HeaderEntry e;
    e.header = *header;
    e.hash = header->hash();
    if (std::memcmp(e.hash.data(), key.data() + ENTRY_PREFIX.size(), 32) != 0) return std::nullopt;
    for (int i = 0; i < 4; ++i)
        e.height |= std::uint32_t(bytes[BlockHeader::SIZE + static_cast<std::size_t>(i)]) << (8 * i);
    for (std::size_t i = 0; i < 32; ++i)
        e.chain_work = (e.chain_work << 8) | bytes[BlockHeader::SIZE + 4 + i];
    return e;
}

} // namespace

std::size_t HeaderChain::HashHasher::operator()(const Hash256& h) const noexcept {
    std::size_t v;
    std::memcpy(&v, h.data(), sizeof v);
    return v;
}

Result<HeaderChain> HeaderChain::open(const ChainParams& params, jm::sdk::KvStore& store) {
    HeaderChain chain(params, store);
    std::string network(jm::bitcoin::params(params.network).name);
    HeaderEntry genesis;
    genesis.header = params.genesis;
    genesis.hash = params.genesis.hash();
    genesis.height = 0;
    genesis.chain_work = workFromBits(params.genesis.bits);

    auto stored_network = store.get(NETWORK_KEY);
    if (!stored_network) return stored_network.error();
    if (!*stored_network) {
        jm::sdk::WriteBatch batch;
        batch.put(NETWORK_KEY, network);
        batch.put(entryKey(genesis.hash), entryValue(genesis));
        batch.put(TIP_KEY, hashValue(genesis.hash));
        if (auto w = store.write(batch); !w) return w.error();
    } else if (**stored_network != network) {
        return fail(errc::corrupt_data, "header store holds the " + **stored_network + " chain, not " + network);
    }

    std::optional<jm::sdk::Error> bad;
    auto loaded = store.iterate(ENTRY_PREFIX, [&](std::string_view key, std::string_view value) {
        auto e = parseEntry(key, value);
        if (!e) {
            bad = fail(errc::corrupt_data, "header store: damaged entry");
            return false;
        }
        auto hash = e->hash;
        chain.m_entries.emplace(hash, std::make_unique<HeaderEntry>(std::move(*e)));
        return true;
    });
    if (!loaded) return loaded.error();
    if (bad) return *bad;
    auto g = chain.m_entries.find(genesis.hash);
    if (g == chain.m_entries.end() || g->second->height != 0)
        return fail(errc::corrupt_data, "header store: genesis block missing or not " + network + "'s");
    // Every other entry must sit on its parent.
    for (const auto& [hash, e] : chain.m_entries) {
        if (e->height == 0) {
            if (hash != genesis.hash) return fail(errc::corrupt_data, "header store: a second genesis");
            continue;
        }
        auto parent = chain.find(e->header.prev_block);
        if (!parent || parent->height + 1 != e->height ||
            parent->chain_work + workFromBits(e->header.bits) != e->chain_work)
            return fail(errc::corrupt_data,
                        "header store: header " + jm::bitcoin::toHexReversed(hash) + " is detached");
    }
    auto tip = store.get(TIP_KEY);
    if (!tip) return tip.error();
    if (!*tip || (*tip)->size() != 32) return fail(errc::corrupt_data, "header store: no tip");
    Hash256 tip_hash{};
    std::memcpy(tip_hash.data(), (*tip)->data(), 32);
    auto tip_entry = chain.find(tip_hash);
    if (!tip_entry) return fail(errc::corrupt_data, "header store: the tip is not stored");
    chain.setBest(tip_entry);
    return chain;
}

const HeaderEntry* HeaderChain::find(const Hash256& hash) const {
    auto it = m_entries.find(hash);
    return it == m_entries.end() ? nullptr : it->second.get();
}

const HeaderEntry* HeaderChain::atHeight(std::uint32_t height) const {
    return height < m_best.size() ? m_best[height] : nullptr;
}

bool HeaderChain::inBestChain(const Hash256& hash) const {
    auto e = find(hash);
    return e && e->height < m_best.size() && m_best[e->height] == e;
}

const HeaderEntry* HeaderChain::ancestor(const HeaderEntry& entry, std::uint32_t height) const {
    const HeaderEntry* p = &entry;
    while (p && p->height > height) {
        if (p->height < m_best.size() && m_best[p->height] == p) return m_best[height];
        p = find(p->header.prev_block);
    }
    return p;
}

void HeaderChain::setBest(const HeaderEntry* tip) {
    std::vector<const HeaderEntry*> branch;
    const HeaderEntry* p = tip;
    while (p && !(p->height < m_best.size() && m_best[p->height] == p)) {
        branch.push_back(p);
        p = p->height == 0 ? nullptr : find(p->header.prev_block);
    }
    m_best.resize(p ? p->height + 1 : 0);
    m_best.insert(m_best.end(), branch.rbegin(), branch.rend());
}

std::int64_t HeaderChain::medianTimePast(const HeaderEntry& entry) const {
    std::vector<std::int64_t> times;
    const HeaderEntry* p = &entry;
    while (p && times.size() < MEDIAN_TIME_SPAN) {
        times.push_back(p->header.time);
        p = p->height == 0 ? nullptr : find(p->header.prev_block);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

std::uint32_t HeaderChain::nextBits(const HeaderEntry& parent, std::uint32_t time) const {
    const std::int64_t interval = m_params.retargetInterval();
    const std::uint32_t limit_bits = compactFromTarget(m_params.pow_limit);
    if ((static_cast<std::int64_t>(parent.height) + 1) % interval != 0) {
        if (m_params.allow_min_difficulty) {
            // A block more than twice the spacing after its parent may use the easiest target;
            // otherwise it carries the target of the last block not mined under that rule.
            if (static_cast<std::int64_t>(time) >
                static_cast<std::int64_t>(parent.header.time) + 2 * m_params.target_spacing)
                return limit_bits;
            const HeaderEntry* p = &parent;
            while (p->height != 0 && p->height % interval != 0 && p->header.bits == limit_bits) {
                auto prev = find(p->header.prev_block);
                if (!prev) break;
                p = prev;
            }
            return p->header.bits;
        }
        return parent.header.bits;
    }
    const HeaderEntry* first = ancestor(parent, static_cast<std::uint32_t>(parent.height - (interval - 1)));
    return retargetBits(parent.header.bits, parent.header.time, first->header.time, m_params);
}

Result<void> HeaderChain::check(const HeaderEntry& parent, const BlockHeader& header, std::int64_t now) const {
    const std::uint32_t height = parent.height + 1;
    const Hash256 hash = header.hash();
    if (!checkProofOfWork(hash, header.bits, m_params))
        return fail(errc::protocol_error, "proof of work does not meet its target (high-hash)");
    if (header.bits != nextBits(parent, header.time))
        return fail(errc::protocol_error, "difficulty bits " + std::to_string(header.bits) + " at height " +
                                              std::to_string(height) + ", expected " +
                                              std::to_string(nextBits(parent, header.time)) + " (bad-diffbits)");
    if (header.time <= medianTimePast(parent))
        return fail(errc::protocol_error, "timestamp not after the median of the last 11 blocks (time-too-old)");
    if (static_cast<std::int64_t>(header.time) > now + MAX_FUTURE_BLOCK_TIME)
        return fail(errc::protocol_error, "timestamp more than 2 hours in the future (time-too-new)");
    if ((header.version < 2 && height >= m_params.bip34_height) ||
        (header.version < 3 && height >= m_params.bip66_height) ||
        (header.version < 4 && height >= m_params.bip65_height))
        return fail(errc::protocol_error, "obsolete version " + std::to_string(header.version) + " (bad-version)");
    if (auto cp = m_params.checkpoints.find(height); cp != m_params.checkpoints.end() && cp->second != hash)
        return fail(errc::protocol_error,
                    "block at checkpoint height " + std::to_string(height) + " is not the checkpoint");
    // A fork below the last checkpoint the best chain has passed can never become best.
    for (auto it = m_params.checkpoints.rbegin(); it != m_params.checkpoints.rend(); ++it) {
        if (it->first <= tip().height) {
            if (height <= it->first)
                return fail(errc::protocol_error,
                            "fork below checkpoint " + std::to_string(it->first) + " (bad-fork-prior-to-checkpoint)");
            break;
        }
    }
    return {};
}

Result<HeadersAccepted> HeaderChain::acceptHeaders(std::span<const BlockHeader> headers, std::int64_t now) {
    HeadersAccepted result;
    jm::sdk::WriteBatch batch;
    std::vector<Hash256> inserted;
    auto rollback = [&] {
        for (const auto& h : inserted)
            m_entries.erase(h);
    };
    const HeaderEntry* old_tip = &tip();
    const HeaderEntry* best = old_tip;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        const auto& header = headers[i];
        auto hash = header.hash();
        if (find(hash)) continue;
        auto parent = find(header.prev_block);
        if (!parent) {
            rollback();
            return fail(errc::not_found, "header " + std::to_string(i) + " (" + jm::bitcoin::toHexReversed(hash) +
                                             ") builds on an unknown block");
        }
        if (auto ok = check(*parent, header, now); !ok) {
            rollback();
            return ok.error().withContext("header " + std::to_string(i) + " (" + jm::bitcoin::toHexReversed(hash) +
                                          ")");
        }
        auto entry = std::make_unique<HeaderEntry>();
        entry->header = header;
        entry->hash = hash;
        entry->height = parent->height + 1;
        entry->chain_work = parent->chain_work + workFromBits(header.bits);
        batch.put(entryKey(hash), entryValue(*entry));
        if (entry->chain_work > best->chain_work) best = entry.get();
        m_entries.emplace(hash, std::move(entry));
        inserted.push_back(hash);
    }
    if (best == old_tip && !inserted.empty()) {
        // A branch this far below the tip can never become best. Storing it would let a peer
        // that mines headers for free (regtest, testnet's 20-minute rule) fill memory and disk.
        Uint256 most = 0;
        for (const auto& h : inserted)
            most = std::max(most, find(h)->chain_work);
        Uint256 margin = workFromBits(old_tip->header.bits) * ANTI_DOS_BLOCKS;
        if (old_tip->chain_work > margin && most < old_tip->chain_work - margin) {
            rollback();
            return fail(errc::rejected, "a side branch with far less work than the best chain (low-work headers)");
        }
    }
    result.added = inserted.size();
    if (best != old_tip) {
        batch.put(TIP_KEY, hashValue(best->hash));
        result.tip_changed = true;
        const HeaderEntry* fork = ancestor(*best, std::min(best->height, old_tip->height));
        while (fork && !inBestChain(fork->hash))
            fork = find(fork->header.prev_block);
        result.fork_height = fork ? fork->height : 0;
        for (std::uint32_t h = old_tip->height; h > result.fork_height; --h)
            result.disconnected.push_back(m_best[h]->hash);
    } else {
        result.fork_height = old_tip->height;
    }
    if (!batch.empty()) {
        if (auto w = m_store->write(batch); !w) {
            rollback();
            return w.error();
        }
    }
    if (best != old_tip) setBest(best);
    return result;
}

std::vector<Hash256> HeaderChain::locator() const {
    std::vector<Hash256> out;
    std::int64_t height = tip().height;
    std::int64_t step = 1;
    while (height > 0) {
        out.push_back(m_best[static_cast<std::size_t>(height)]->hash);
        if (out.size() >= 10) step *= 2;
        height -= step;
    }
    out.push_back(m_best[0]->hash);
    return out;
}

} // namespace jm::plugins::backend_neutrino
