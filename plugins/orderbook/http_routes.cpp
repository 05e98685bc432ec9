#include "http_routes.hpp"

#include "page.hpp"

#include <boost/json/serialize.hpp>

#include <cstdio>

namespace jm::plugins::orderbook {

namespace {

constexpr std::size_t MAX_TARGET = 1024;

// The page is self-contained: inline style and script only, fetches to itself, nothing else.
constexpr const char* CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                            "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
                            "frame-ancestors 'none'";

HttpReply plain(unsigned status, std::string text) {
    HttpReply r;
    r.status = status;
    r.body = std::move(text) + "\n";
    r.cache_control = "no-store";
    return r;
}

bool notModified(std::string_view if_none_match, const std::string& etag) {
    return !if_none_match.empty() && !etag.empty() && (if_none_match == etag || if_none_match == "W/" + etag);
}

HttpReply withBody(std::string content_type, std::string body, std::string_view if_none_match) {
    HttpReply r;
    r.content_type = std::move(content_type);
    r.etag = etagOf(body);
    // Revalidated each time: the book changes, the ETag makes an unchanged one cheap.
    r.cache_control = "no-cache";
    if (notModified(if_none_match, r.etag)) {
        r.status = 304;
        return r;
    }
    r.body = std::move(body);
    return r;
}

bool printable(std::string_view s) {
    for (unsigned char c : s)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

} // namespace

HttpReply ReplyCache::answer(const HttpRequestInfo& request, const std::shared_ptr<const MarketView>& view,
                             std::chrono::milliseconds page_refresh) {
    if (request.method != "GET" && request.method != "HEAD") return route(request, *view, page_refresh);
    if (view != m_view) {
        m_replies.clear();
        m_view = view;
    }
    auto kept = m_replies.find(request.target);
    if (kept == m_replies.end()) {
        auto full = route({"GET", request.target, {}}, *view, page_refresh);
        if (full.status != 200 || m_replies.size() >= MAX_KEPT) {
            if (notModified(request.if_none_match, full.etag)) {
                full.status = 304;
                full.body.clear();
            }
            return full;
        }
        kept = m_replies.emplace(std::string(request.target), std::move(full)).first;
    }
    if (!notModified(request.if_none_match, kept->second.etag)) return kept->second;
    HttpReply r = kept->second;
    r.status = 304;
    r.body.clear();
    return r;
}

std::string etagOf(std::string_view body) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : body) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
    return buf;
}

HttpReply route(const HttpRequestInfo& request, const MarketView& view, std::chrono::milliseconds page_refresh) {
    auto reply = [&]() -> HttpReply {
        if (request.method != "GET" && request.method != "HEAD") {
            auto r = plain(405, "only GET and HEAD");
            r.headers.emplace_back("Allow", "GET, HEAD");
            return r;
        }
        auto target = request.target;
        if (target.empty() || target.front() != '/' || target.size() > MAX_TARGET || !printable(target))
            return plain(400, "bad request target");
        auto q = target.find('?');
        auto path = target.substr(0, q);
        auto query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
        if (path == "/" || path == "/index.html") {
            auto page = parsePageQuery(query);
            if (!page) return plain(400, page.error().message);
            return withBody("text/html; charset=utf-8", renderPage(view, *page, page_refresh), request.if_none_match);
        }
        if (path == "/orderbook.json")
            return withBody("application/json", boost::json::serialize(orderbookJson(view)), request.if_none_match);
        if (path == "/bonds.json")
            return withBody("application/json", boost::json::serialize(bondsJson(view)), request.if_none_match);
        if (path == "/health") {
            auto r = withBody("application/json", boost::json::serialize(healthJson(view)), {});
            r.cache_control = "no-store";
            return r;
        }
        return plain(404, "not found");
    }();
    reply.headers.emplace_back("Content-Security-Policy", CSP);
    reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
    reply.headers.emplace_back("Referrer-Policy", "no-referrer");
    return reply;
}

} // namespace jm::plugins::orderbook
