#pragma once

#include <jm/sdk/export.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace jm::maker {

//! One mixdepth as a yield generator sees it. Plain value type.
struct MixdepthView {
    int mixdepth = 0;
    //! Satoshis the maker may offer from this mixdepth now: confirmed coins of the wallet's own
    //! script type, without frozen coins, fidelity bonds and coins locked by a live CoinJoin.
    std::int64_t available = 0;
    //! How many coins make up `available`.
    int coins = 0;
    //! The largest of those coins (0 when there is none).
    std::int64_t largest_coin = 0;
    //! Satoshis still waiting for their confirmation (not offered, shown for information).
    std::int64_t unconfirmed = 0;
};

//! The fidelity bond the maker announces with its offers, if the wallet holds one.
struct BondView {
    std::int64_t value = 0;    //!< satoshis locked in the bond output
    std::int64_t locktime = 0; //!< unix time the bond unlocks
    int confirmations = 0;
};

//! A read-only snapshot of the maker's wallet, made by the maker before each call into a yield
//! generator. Plain value type: a yield generator may copy and keep it.
struct JM_SDK_API WalletView {
    //! One entry per mixdepth of the wallet, in mixdepth order (mixdepths[m].mixdepth == m).
    std::vector<MixdepthView> mixdepths;
    //! The bond the maker announces (the most valuable confirmed one), if any.
    std::optional<BondView> bond;
    //! Height of the chain tip the snapshot was made at.
    std::int32_t block_height = 0;

    //! The number of mixdepths.
    int mixdepthCount() const { return static_cast<int>(mixdepths.size()); }
    //! `available` of mixdepth `m`; 0 for a mixdepth the wallet does not have.
    std::int64_t available(int m) const;
    //! The mixdepth with the most available satoshis (the lowest-numbered one on a tie);
    //! nullopt when every mixdepth is empty.
    std::optional<int> largestMixdepth() const;
    //! `available` of every mixdepth, in mixdepth order.
    std::vector<std::int64_t> balances() const;
};

} // namespace jm::maker
