#pragma once

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <string>
#include <string_view>

namespace jm::test {

//! What a probe plugin reports to the loader tests over the bus (read there as JSON, so no C++
//! type is shared between the test and the plugin).
struct SmokeResult {
    static constexpr std::string_view topic = "test.smoke_result/1";
    std::string check;
    bool ok = false;
    std::string detail;
    friend void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SmokeResult& r) {
        v = {{"check", r.check}, {"ok", r.ok}, {"detail", r.detail}};
    }
};

} // namespace jm::test
