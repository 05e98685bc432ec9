// The web page, rendered on the server so that the table (and its sorting, through links) works
// with JavaScript off, as Tor Browser users often have it. Written by hand: one page of HTML does
// not justify a template engine dependency.
#include "page.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace jm::plugins::orderbook {

using jm::sdk::errc;
using jm::sdk::fail;

namespace {

struct Column {
    SortKey key;
    const char* name;
    const char* title;
    bool numeric;
};

constexpr std::array<Column, 10> COLUMNS{{
    {SortKey::Counterparty, "counterparty", "Counterparty", false},
    {SortKey::Type, "type", "Type", false},
    {SortKey::Oid, "oid", "Order ID", true},
    {SortKey::MinSize, "minsize", "Minimum size", true},
    {SortKey::MaxSize, "maxsize", "Maximum size", true},
    {SortKey::Fee, "fee", "Fee", true},
    {SortKey::TxFee, "txfee", "Miner fee contribution", true},
    {SortKey::Bond, "bond", "Bond value", true},
    {SortKey::Directories, "directories", "Directories", false},
    {SortKey::Features, "features", "Features", false},
}};

//! Sums of amounts are 128-bit: a Sybil flood's offers of 21e6 BTC each overflow 64 bits.
using Sum = __int128;

std::string btc(Sum sats) {
    Sum whole = sats / 100'000'000, frac = sats % 100'000'000;
    if (whole < 0) whole = -whole;
    if (frac < 0) frac = -frac;
    char buf[64];
    // The whole BTC fit 64 bits: the page sums at most 5000 x 32 amounts below 2^63 (< 2^81 sats).
    std::snprintf(buf, sizeof buf, "%s%llu.%08llu", sats < 0 ? "-" : "", static_cast<unsigned long long>(whole),
                  static_cast<unsigned long long>(frac));
    return buf;
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string joined(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& s : list)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string date(std::int64_t unix_time) {
    std::time_t t = static_cast<std::time_t>(unix_time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

//! The value a column sorts by, as text the script compares (numbers for numeric columns).
std::string sortValue(const OfferView& o, SortKey key) {
    switch (key) {
    case SortKey::Counterparty:
        return o.counterparty;
    case SortKey::Type:
        return std::string(jm::protocol::toString(o.offer.type));
    case SortKey::Oid:
        return std::to_string(o.offer.oid);
    case SortKey::MinSize:
        return std::to_string(o.offer.minsize);
    case SortKey::MaxSize:
        return std::to_string(o.offer.maxsize);
    case SortKey::Fee:
        return fixed(o.feeRate(REFERENCE_AMOUNT), 12);
    case SortKey::TxFee:
        return std::to_string(o.offer.txfee);
    case SortKey::Bond:
        return fixed(o.bond_value, 6);
    case SortKey::Directories:
        return joined(o.directories);
    case SortKey::Features:
        return joined(shownFeatures(o.features));
    }
    return {};
}

std::string feeText(const OfferView& o) {
    if (jm::protocol::isRelative(o.offer.type)) return fixed(o.feeRate(REFERENCE_AMOUNT) * 100, 4) + "%";
    return o.offer.cjfee + " sat";
}

void sortOffers(std::vector<const OfferView*>& rows, const PageQuery& q) {
    // Each row's key once (not per comparison): a full book has 160 000 offers.
    auto numeric = COLUMNS[static_cast<std::size_t>(q.sort)].numeric;
    struct Keyed {
        const OfferView* row;
        std::string text;
        double number;
    };
    std::vector<Keyed> keyed;
    keyed.reserve(rows.size());
    for (const auto* r : rows) {
        auto text = sortValue(*r, q.sort);
        double number = numeric ? std::strtod(text.c_str(), nullptr) : 0;
        keyed.push_back({r, numeric ? std::string() : std::move(text), number});
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
        if (numeric) return q.descending ? b.number < a.number : a.number < b.number;
        return q.descending ? b.text < a.text : a.text < b.text;
    });
    for (std::size_t i = 0; i < rows.size(); ++i)
        rows[i] = keyed[i].row;
}

void summary(std::ostringstream& h, const MarketView& view) {
    struct Band {
        const char* label;
        std::int64_t below;
        std::size_t offers = 0;
        Sum liquidity = 0;
    };
    std::array<Band, 5> bands{{{"under 0.01 BTC", 1'000'000},
                               {"0.01 to 0.1 BTC", 10'000'000},
                               {"0.1 to 1 BTC", 100'000'000},
                               {"1 to 10 BTC", 1'000'000'000},
                               {"10 BTC and more", INT64_MAX}}};
    for (const auto& o : view.offers)
        for (auto& b : bands)
            if (o.offer.maxsize < b.below || b.below == INT64_MAX) {
                ++b.offers;
                b.liquidity += o.offer.maxsize;
                break;
            }
    Sum bonded = 0;
    double value = 0;
    std::size_t verified = 0;
    for (const auto& b : view.bonds)
        if (b.verified) {
            ++verified;
            bonded += b.amount;
            value += b.value;
        }
    h << "<section id=\"summary\"><h2>Summary</h2><dl>"
      << "<dt>Makers</dt><dd id=\"makers\">" << view.makerCount() << "</dd>"
      << "<dt>Offers</dt><dd id=\"offer-count\">" << view.offers.size() << "</dd>"
      << "<dt>Fidelity bonds</dt><dd id=\"bond-count\">" << verified << " verified of " << view.bonds.size()
      << " sent, " << btc(bonded) << " BTC locked, total value " << fixed(value, 6) << "</dd></dl>"
      << "<table id=\"bands\"><caption>Liquidity by maximum size</caption><thead><tr><th>Size band</th>"
         "<th>Offers</th><th>Maximum sizes summed (BTC)</th></tr></thead><tbody>";
    for (const auto& b : bands)
        h << "<tr><td>" << b.label << "</td><td class=\"n\">" << b.offers << "</td><td class=\"n\">" << btc(b.liquidity)
          << "</td></tr>";
    h << "</tbody></table></section>";
}

//! Fee rate (at REFERENCE_AMOUNT) against the liquidity available at that rate or cheaper.
void depthChart(std::ostringstream& h, const MarketView& view) {
    constexpr int W = 640, H = 260, L = 60, R = 16, T = 16, B = 40;
    std::vector<std::pair<double, std::int64_t>> points;
    for (const auto& o : view.offers)
        points.emplace_back(o.feeRate(REFERENCE_AMOUNT) * 100, o.offer.maxsize);
    std::sort(points.begin(), points.end());
    double total = 0, max_fee = 0;
    for (const auto& [fee, size] : points) {
        total += static_cast<double>(size) / 1e8;
        max_fee = std::max(max_fee, fee);
    }
    if (max_fee <= 0) max_fee = 0.01;
    if (total <= 0) total = 1;
    h << "<section id=\"depth\"><h2>Depth</h2><svg id=\"depth-chart\" xmlns=\"http://www.w3.org/2000/svg\" "
      << "viewBox=\"0 0 " << W << ' ' << H << "\" width=\"" << W << "\" height=\"" << H
      << "\" role=\"img\" aria-label=\"Fee against cumulative offered size\">"
      << "<rect x=\"0\" y=\"0\" width=\"" << W << "\" height=\"" << H << "\" fill=\"#fff\"/>"
      << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B
      << "\" stroke=\"#333\"/><line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << H - B
      << "\" stroke=\"#333\"/>";
    auto x = [&](double btc_cum) { return L + (W - L - R) * btc_cum / total; };
    auto y = [&](double fee) { return (H - B) - (H - B - T) * fee / max_fee; };
    if (points.empty()) {
        h << "<text x=\"" << W / 2 << "\" y=\"" << H / 2 << "\" text-anchor=\"middle\">no offers</text>";
    } else {
        std::ostringstream path;
        double cum = 0;
        std::string last = fixed(x(0), 1) + ',' + fixed(y(points.front().first), 1);
        path << "M" << last;
        // Points that round to the one before add nothing: the path stays within the chart's
        // resolution however many offers the book holds.
        auto lineTo = [&](double px, double py) {
            auto point = fixed(px, 1) + ',' + fixed(py, 1);
            if (point != last) path << " L" << point;
            last = std::move(point);
        };
        for (const auto& [fee, size] : points) {
            lineTo(x(cum), y(fee));
            cum += static_cast<double>(size) / 1e8;
            lineTo(x(cum), y(fee));
        }
        h << "<path id=\"depth-line\" d=\"" << path.str() << "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>";
    }
    h << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 8 << "\" text-anchor=\"middle\" font-size=\"12\">"
      << "offered size, cumulative (0 to " << fixed(total, 4) << " BTC)</text>"
      << "<text x=\"12\" y=\"" << (T + H - B) / 2 << "\" font-size=\"12\" transform=\"rotate(-90 12 " << (T + H - B) / 2
      << ")\" text-anchor=\"middle\">fee % at 0.1 BTC (0 to " << fixed(max_fee, 4) << ")</text></svg></section>";
}

void offersTable(std::ostringstream& h, const MarketView& view, const PageQuery& q) {
    std::vector<const OfferView*> rows;
    for (const auto& o : view.offers)
        rows.push_back(&o);
    sortOffers(rows, q);
    // A flooded book would make a page of 100 MB rendered per request: the first rows in the
    // chosen order are shown, every offer is in /orderbook.json.
    auto hidden = rows.size() > MAX_PAGE_ROWS ? rows.size() - MAX_PAGE_ROWS : 0;
    rows.resize(rows.size() - hidden);
    h << "<section id=\"offers\"><h2>Offers</h2><table id=\"offers-table\"><thead><tr>";
    for (const auto& c : COLUMNS) {
        bool current = c.key == q.sort;
        // A link per head: with JavaScript off the server sorts; with it on the script does.
        bool next_desc = current && !q.descending;
        h << "<th data-key=\"" << c.name << "\" data-numeric=\"" << (c.numeric ? 1 : 0) << "\""
          << (current ? (q.descending ? " aria-sort=\"descending\"" : " aria-sort=\"ascending\"") : "")
          << "><a href=\"/?sort=" << c.name << "&amp;order=" << (next_desc ? "desc" : "asc") << "\">" << c.title
          << "</a></th>";
    }
    h << "</tr></thead><tbody>";
    for (const auto* o : rows) {
        h << "<tr data-counterparty=\"" << escapeHtml(o->counterparty) << "\" data-oid=\"" << o->offer.oid << "\">";
        auto cell = [&](SortKey key, const std::string& text, bool numeric) {
            h << "<td" << (numeric ? " class=\"n\"" : "") << " data-value=\"" << escapeHtml(sortValue(*o, key)) << "\">"
              << escapeHtml(text) << "</td>";
        };
        cell(SortKey::Counterparty, o->counterparty, false);
        cell(SortKey::Type, std::string(jm::protocol::toString(o->offer.type)), false);
        cell(SortKey::Oid, std::to_string(o->offer.oid), true);
        cell(SortKey::MinSize, btc(o->offer.minsize), true);
        cell(SortKey::MaxSize, btc(o->offer.maxsize), true);
        cell(SortKey::Fee, feeText(*o), true);
        cell(SortKey::TxFee, std::to_string(o->offer.txfee), true);
        cell(SortKey::Bond, o->bond_value > 0 ? fixed(o->bond_value, 6) : "", true);
        cell(SortKey::Directories, joined(o->directories), false);
        cell(SortKey::Features, joined(shownFeatures(o->features)), false);
        h << "</tr>";
    }
    h << "</tbody></table>";
    if (hidden)
        h << "<p id=\"hidden-offers\">" << hidden << " more offers are not shown here (the first " << MAX_PAGE_ROWS
          << " in this order are); all are in <a href=\"/orderbook.json\">orderbook.json</a>.</p>";
    h << "<p class=\"note\">Sizes in BTC; a relative fee is a percentage of the amount; fees sort "
         "as paid on 0.1 BTC; miner fee contribution in satoshis.</p></section>";
}

void bondsTable(std::ostringstream& h, const MarketView& view) {
    h << "<section id=\"bonds\"><h2>Fidelity bonds</h2><table id=\"bonds-table\"><thead><tr><th>Counterparty</th>"
         "<th>Coin</th><th>Amount (BTC)</th><th>Locked until</th><th>Confirmations</th><th>Bond value</th>"
         "<th>Status</th></tr></thead><tbody>";
    for (const auto& b : view.bonds) {
        h << "<tr data-counterparty=\"" << escapeHtml(b.counterparty) << "\"><td>" << escapeHtml(b.counterparty)
          << "</td><td class=\"mono\">" << escapeHtml(b.txid) << ':' << b.vout << "</td><td class=\"n\">"
          << (b.verified ? btc(b.amount) : "") << "</td><td>" << date(b.locktime) << "</td><td class=\"n\">"
          << (b.verified ? std::to_string(b.confirmations) : "") << "</td><td class=\"n\">"
          << (b.verified ? fixed(b.value, 6) : "") << "</td><td>"
          << (b.verified          ? "verified"
              : b.refusal.empty() ? "not checked yet"
                                  : escapeHtml(b.refusal))
          << "</td></tr>";
    }
    h << "</tbody></table></section>";
}

// Sorting in place and refreshing the contents: one event listener on the document survives
// every refresh of #book; the chosen order is applied again to each refreshed table.
constexpr const char* SCRIPT = R"JS(
(function () {
  var state = null;
  function sortTable(key, desc) {
    var table = document.getElementById('offers-table');
    if (!table) return;
    var heads = table.tHead.rows[0].cells, index = -1, numeric = false;
    for (var i = 0; i < heads.length; i++) {
      heads[i].removeAttribute('aria-sort');
      if (heads[i].getAttribute('data-key') === key) { index = i; numeric = heads[i].getAttribute('data-numeric') === '1'; }
    }
    if (index < 0) return;
    heads[index].setAttribute('aria-sort', desc ? 'descending' : 'ascending');
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].getAttribute('data-value'), y = b.cells[index].getAttribute('data-value');
      var c = numeric ? parseFloat(x) - parseFloat(y) : (x < y ? -1 : x > y ? 1 : 0);
      return desc ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.addEventListener('click', function (e) {
    var th = e.target.closest ? e.target.closest('#offers-table th') : null;
    if (!th) return;
    e.preventDefault();
    var key = th.getAttribute('data-key');
    var desc = state && state.key === key ? !state.desc : false;
    state = {key: key, desc: desc};
    sortTable(key, desc);
  });
  function refresh() {
    fetch(window.location.pathname + window.location.search, {cache: 'no-cache', credentials: 'omit'})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('book'), status = doc.getElementById('status');
        if (fresh) document.getElementById('book').innerHTML = fresh.innerHTML;
        if (status) document.getElementById('status').innerHTML = status.innerHTML;
        if (state) sortTable(state.key, state.desc);
      })
      .catch(function () { document.getElementById('status').setAttribute('data-stale', '1'); });
  }
  var every = parseInt(document.body.getAttribute('data-refresh-ms'), 10);
  if (every > 0) setInterval(refresh, every);
})();
)JS";

constexpr const char* STYLE = R"CSS(
body{font-family:sans-serif;margin:1em;color:#222;background:#fafafa}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.4em}
table{border-collapse:collapse;margin:.5em 0;background:#fff}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th a{color:inherit}th[aria-sort=ascending] a::after{content:" \25B2"}th[aria-sort=descending] a::after{content:" \25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}.mono{font-family:monospace}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
.note{font-size:.85em;color:#555}#status[data-stale]{color:#b00}
)CSS";

} // namespace

std::string_view sortKeyName(SortKey key) { return COLUMNS[static_cast<std::size_t>(key)].name; }

jm::sdk::Result<PageQuery> parsePageQuery(std::string_view query) {
    PageQuery q;
    while (!query.empty()) {
        auto amp = query.find('&');
        auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = pair.substr(0, eq);
        auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
        if (key == "sort") {
            auto it = std::find_if(COLUMNS.begin(), COLUMNS.end(), [&](const Column& c) { return value == c.name; });
            if (it == COLUMNS.end()) return fail(errc::invalid_argument, "sort: no column named so");
            q.sort = it->key;
        } else if (key == "order") {
            if (value == "asc")
                q.descending = false;
            else if (value == "desc")
                q.descending = true;
            else
                return fail(errc::invalid_argument, "order: asc or desc");
        }
    }
    return q;
}

std::string escapeHtml(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string renderPage(const MarketView& view, const PageQuery& query, std::chrono::milliseconds refresh) {
    std::ostringstream h;
    h << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      << "<title>JoinMarket orderbook</title><style>" << STYLE << "</style></head>"
      << "<body data-refresh-ms=\"" << refresh.count() << "\"><header><h1>JoinMarket orderbook</h1>"
      << "<p id=\"status\">" << escapeHtml(view.network) << ": " << view.directories_ready << " of "
      << view.directories.size() << " directories connected, block " << view.tip_height << ", updated " << view.updated
      << " (unix time). <a href=\"/orderbook.json\">orderbook.json</a> "
      << "<a href=\"/bonds.json\">bonds.json</a></p></header><main id=\"book\">";
    summary(h, view);
    offersTable(h, view, query);
    depthChart(h, view);
    bondsTable(h, view);
    h << "</main><script>" << SCRIPT << "</script></body></html>";
    return h.str();
}

} // namespace jm::plugins::orderbook
