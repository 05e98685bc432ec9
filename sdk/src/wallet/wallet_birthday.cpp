// Wallet::birthday / setBirthday: where the wallet's history starts, kept beside its metadata so
// every sync after the first rescans (when it must) from there, never from genesis.
#include <jm/wallet/wallet.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace jm::wallet {

using jm::sdk::errc;
using jm::sdk::fail;
using jm::sdk::Result;

namespace {
constexpr std::string_view BIRTHDAY_KEY = "wallet/birthday";
} // namespace

Result<std::optional<WalletBirthday>> Wallet::birthday() const {
    auto text = m_store->get(BIRTHDAY_KEY);
    if (!text) return text.error();
    if (!text->has_value()) return std::optional<WalletBirthday>{};
    boost::system::error_code ec;
    auto v = boost::json::parse(**text, ec);
    auto* o = v.if_object();
    auto* height = o ? o->if_contains("height") : nullptr;
    auto* time = o ? o->if_contains("time") : nullptr;
    if (ec || !height || !time || !height->is_int64() || !time->is_int64() || height->as_int64() < 0 ||
        height->as_int64() > INT32_MAX || time->as_int64() < 0)
        return fail(errc::corrupt_data, "the wallet's birthday record is damaged");
    return std::optional<WalletBirthday>(
        WalletBirthday{static_cast<std::int32_t>(height->as_int64()), time->as_int64()});
}

Result<void> Wallet::setBirthday(const WalletBirthday& birthday) {
    if (birthday.height < 0 || birthday.time < 0) return fail(errc::invalid_argument, "a birthday is never negative");
    boost::json::object o{{"height", birthday.height}, {"time", birthday.time}};
    return m_store->put(BIRTHDAY_KEY, boost::json::serialize(o), {true});
}

} // namespace jm::wallet
