#include <jm/sdk/result.hpp>

namespace jm::sdk {
namespace {

class Category final : public boost::system::error_category {
public:
    // A fixed id makes categories compare equal across shared objects.
    constexpr Category() noexcept : boost::system::error_category(0x6a6d6e6f64655f31ULL) {}
    const char* name() const noexcept override { return "jmnode"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::ok:
            return "ok";
        case errc::invalid_argument:
            return "invalid argument";
        case errc::invalid_config:
            return "invalid configuration";
        case errc::not_found:
            return "not found";
        case errc::already_exists:
            return "already exists";
        case errc::io_error:
            return "I/O error";
        case errc::corrupt_data:
            return "corrupt data";
        case errc::timeout:
            return "timed out";
        case errc::cancelled:
            return "cancelled";
        case errc::unavailable:
            return "unavailable";
        case errc::protocol_error:
            return "protocol error";
        case errc::unsupported:
            return "unsupported";
        case errc::permission_denied:
            return "permission denied";
        case errc::wrong_password:
            return "wrong password";
        case errc::abi_mismatch:
            return "plugin ABI mismatch";
        case errc::plugin_failed:
            return "plugin failed";
        case errc::internal:
            return "internal error";
        case errc::insufficient_funds:
            return "insufficient funds";
        case errc::rejected:
            return "rejected";
        }
        return "unknown jmnode error";
    }
};

} // namespace

const boost::system::error_category& category() noexcept {
    static const Category instance;
    return instance;
}

boost::system::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

std::string Error::describe() const {
    return message + " (" + code.category().name() + ":" + std::to_string(code.value()) + " " + code.message() + ")";
}

Error Error::withContext(std::string_view context) const { return Error(code, std::string(context) + ": " + message); }

Exception::Exception(Error error) : std::runtime_error(error.message), m_error(std::move(error)) {}
Exception::~Exception() = default;

void throw_exception_from_error(const Error& e, const boost::source_location&) { throw Exception(e); }

} // namespace jm::sdk
