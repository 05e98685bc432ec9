#include <jm/market/bond_check.hpp>

#include <algorithm>

namespace jm::market {

using jm::sdk::errc;
using jm::sdk::fail;

jm::bitcoin::OutPoint bondOutpoint(const jm::protocol::BondProof& proof) {
    jm::bitcoin::OutPoint op;
    std::reverse_copy(proof.txid_display.begin(), proof.txid_display.end(), op.txid.begin());
    op.vout = proof.vout;
    return op;
}

jm::sdk::Result<VerifiedBond> checkBondCoin(const jm::protocol::BondProof& proof,
                                            const jm::sdk::Result<std::optional<jm::chain::TxOutInfo>>& coin,
                                            std::int32_t tip_height, std::int64_t now,
                                            const std::set<jm::bitcoin::OutPoint>& taken, double interest_rate,
                                            double exponent) {
    auto script = jm::protocol::bondScriptPubKey(proof);
    auto op = bondOutpoint(proof);
    if (!coin) return fail(errc::rejected, "backend: " + coin.error().message);
    if (!*coin) return fail(errc::rejected, "the bond coin is spent or does not exist");
    const auto& info = **coin;
    if (info.confirmations < 1) return fail(errc::rejected, "the bond coin is unconfirmed");
    if (!script || info.script_pubkey != *script)
        return fail(errc::rejected, "the coin is not the bond's timelocked script");
    if (tip_height > static_cast<std::int32_t>(proof.cert_expiry) * 2016)
        return fail(errc::rejected, "the bond certificate expired");
    if (taken.count(op)) return fail(errc::rejected, "the bond backs another maker");
    VerifiedBond bond;
    bond.outpoint = op;
    bond.amount = info.value;
    bond.confirmations = info.confirmations;
    // Block times are not at hand: ten minutes a block is close enough to weigh bonds.
    bond.confirmed_at = now - static_cast<std::int64_t>(info.confirmations - 1) * 600;
    bond.script_pubkey = info.script_pubkey;
    bond.value = jm::protocol::bondValue(info.value, bond.confirmed_at, proof.locktime, now, interest_rate, exponent);
    return bond;
}

} // namespace jm::market
