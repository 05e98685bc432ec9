#pragma once

#include "market_view.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace jm::plugins::orderbook {

//! The offers table's columns, in page order; each can sort the table.
enum class SortKey { Counterparty, Type, Oid, MinSize, MaxSize, Fee, TxFee, Bond, Directories, Features };

//! How the page is asked for: `/?sort=fee&order=desc` (links in the column heads, so that
//! sorting works with JavaScript off).
struct PageQuery {
    SortKey sort = SortKey::Fee;
    bool descending = false;
};

//! The reference CoinJoin amount the fee column is sorted and charted by (0.1 BTC): absolute
//! and relative fees only compare at an amount.
constexpr std::int64_t REFERENCE_AMOUNT = 10'000'000;

//! Offers the page's table shows at most (in the chosen order); the summary and the chart count
//! them all, /orderbook.json lists them all.
constexpr std::size_t MAX_PAGE_ROWS = 1000;

//! Parses the query string of `/` (without '?'). Unknown keys are ignored; a bad sort or order
//! value is an error (errc::invalid_argument), so a mistyped link says so instead of guessing.
jm::sdk::Result<PageQuery> parsePageQuery(std::string_view query);
std::string_view sortKeyName(SortKey key);

//! The whole page: summary, depth chart (inline SVG), offers table sorted per `query`, bonds
//! table, and a small script that sorts in place and refreshes the page's contents every
//! `refresh` without a full reload. Self-contained: no external style, script, font or image.
std::string renderPage(const MarketView& view, const PageQuery& query, std::chrono::milliseconds refresh);

//! Escapes text for HTML element content and quoted attribute values.
std::string escapeHtml(std::string_view text);

} // namespace jm::plugins::orderbook
