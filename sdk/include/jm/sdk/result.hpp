#pragma once

#include <jm/sdk/export.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace jm::sdk {

//! Error conditions shared by the SDK, the host and plugins.
enum class errc {
    ok = 0,
    invalid_argument,   //!< caller passed a value that cannot be used
    invalid_config,     //!< a configuration value is missing or malformed
    not_found,          //!< the named thing does not exist
    already_exists,     //!< a unique name is taken
    io_error,           //!< disk or socket failure
    corrupt_data,       //!< stored or received data fails its own checks
    timeout,            //!< the operation ran out of time
    cancelled,          //!< the operation was abandoned (shutdown, unsubscribe)
    unavailable,        //!< a peer, node or service cannot be reached now
    protocol_error,     //!< a counterparty broke the wire protocol
    unsupported,        //!< the feature is not provided by this implementation
    permission_denied,  //!< authentication or authorisation refused
    wrong_password,     //!< a password did not decrypt the data (never reported as corruption)
    abi_mismatch,       //!< a plugin was built against another SDK
    plugin_failed,      //!< a plugin threw or returned an error from a lifecycle call
    internal,           //!< a bug: an invariant did not hold
    insufficient_funds, //!< not enough money for the requested payment
    rejected,           //!< a counterparty or node refused the request
};
} // namespace jm::sdk

namespace boost::system {
template <> struct is_error_code_enum<jm::sdk::errc> : std::true_type {};
} // namespace boost::system

namespace jm::sdk {

//! The category of jm::sdk::errc. Constructed once in libjm_sdk.so with a fixed 64-bit id so
//! that comparisons work across shared objects.
//! Executor: any. Ownership: static storage. Errors: none.
JM_SDK_API const boost::system::error_category& category() noexcept;

//! Makes an error_code of jm::sdk::category(). Executor: any. Errors: none.
JM_SDK_API boost::system::error_code make_error_code(errc e) noexcept;

//! The error half of Result<T>: a machine-readable code plus a message for people.
//! Messages say what was wrong and, where possible, what to do; they never contain secrets.
struct JM_SDK_API Error {
    boost::system::error_code code;
    std::string message;

    Error() = default;
    Error(boost::system::error_code c, std::string m) : code(c), message(std::move(m)) {}
    Error(errc e, std::string m) : code(make_error_code(e)), message(std::move(m)) {}

    //! "message (category:value)" for logs. Executor: any. Errors: none.
    std::string describe() const;
    //! Returns a copy whose message is "<context>: <message>". Executor: any. Errors: none.
    Error withContext(std::string_view context) const;
};

//! The exception thrown by Result<T>::value() on an error. Key function in libjm_sdk.so, so
//! `catch (const jm::sdk::Exception&)` works across plugin boundaries. Never let it leave a
//! plugin: the host's barrier catches it, but contract-wise plugins return Result.
class JM_SDK_API Exception : public std::runtime_error {
public:
    explicit Exception(Error error);
    ~Exception() override;
    const Error& error() const noexcept { return m_error; }

private:
    Error m_error;
};

//! Called by boost::system::result<T, Error>::value() when it holds an error (found by ADL).
//! Throws jm::sdk::Exception.
[[noreturn]] JM_SDK_API void throw_exception_from_error(const Error& e, const boost::source_location& loc);

//! The return type of every fallible SDK and plugin call. Exceptions never cross the plugin
//! boundary; Results do.
template <class T> using Result = boost::system::result<T, Error>;

//! Shorthand for returning an error: `return fail(errc::not_found, "no wallet at " + path);`
inline Error fail(errc e, std::string message) { return Error(e, std::move(message)); }

} // namespace jm::sdk
