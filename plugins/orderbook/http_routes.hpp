#pragma once

#include "market_view.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jm::plugins::orderbook {

//! A request as the server hands it over (already within the size limits).
struct HttpRequestInfo {
    std::string_view method;
    std::string_view target;        //!< path and query, as sent
    std::string_view if_none_match; //!< "" when absent
};

//! What to answer: status, body and headers. HEAD gets the same headers without the body.
struct HttpReply {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::string etag;          //!< quoted, "" for none
    std::string cache_control; //!< "" for none
    std::vector<std::pair<std::string, std::string>> headers;
};

//! The watcher's resources: `/` (the page, query per parsePageQuery), `/orderbook.json`,
//! `/bonds.json`, `/health`. Anything else is 404, methods other than GET and HEAD 405, targets
//! that are not origin-form paths or a bad page query 400. An If-None-Match equal to the
//! resource's ETag gets 304. Every answer carries a Content-Security-Policy that forbids loading
//! anything from elsewhere. Executor: any (pure; the view is only read).
HttpReply route(const HttpRequestInfo& request, const MarketView& view, std::chrono::milliseconds page_refresh);

//! route() with its replies kept per view: each resource (the page per target) is rendered once
//! per view however many clients ask, until the view changes (a full book's JSON is 50 MB and
//! takes a second to render on the watcher's strand). At most MAX_KEPT replies are kept; other
//! targets are rendered each time. Executor: the owner's strand (not thread-safe).
class ReplyCache {
public:
    static constexpr std::size_t MAX_KEPT = 32;
    HttpReply answer(const HttpRequestInfo& request, const std::shared_ptr<const MarketView>& view,
                     std::chrono::milliseconds page_refresh);
    std::size_t size() const { return m_replies.size(); }

private:
    std::shared_ptr<const MarketView> m_view;
    std::map<std::string, HttpReply, std::less<>> m_replies; //!< by request target
};

//! A strong ETag of a body (FNV-1a 64, quoted).
std::string etagOf(std::string_view body);

} // namespace jm::plugins::orderbook
