#pragma once

#include <jm/sdk/export.hpp>
#include <jm/sdk/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jm::sdk {

//! Base of every service interface (BlockchainBackend, FeeEstimator, OrderChooser, ...).
//! Each interface declares `static constexpr std::string_view service_kind = "backend/1";`.
class JM_SDK_API Service {
public:
    virtual ~Service();
};

//! Request/response services that plugin instances provide to each other, keyed by the
//! interface's service_kind and the providing instance's name (strings, never typeid).
//!
//! Lifetime: a provider registers itself in create() and stays registered until the host
//! destroys it; the host removes the registration first. Consumers look services up in
//! start() or later and may keep the pointer until their own stop() completes (providers are
//! stopped after their consumers).
//! Executor: all members are thread-safe.
class JM_SDK_API ServiceRegistry {
public:
    virtual ~ServiceRegistry();

    //! Registers `service` (borrowed; must outlive the registration) as `instance`.
    //! Errors: errc::already_exists when the kind/instance pair is taken.
    template <class T> Result<void> provide(std::string_view instance, T& service) {
        return addErased(T::service_kind, instance, &service);
    }

    //! Looks up the instance of kind T called `instance`. Ownership: borrowed, see above.
    //! Errors: errc::not_found (the message lists what is available); errc::internal when the
    //! registered object is not a T.
    template <class T> Result<T*> get(std::string_view instance) const {
        auto r = getErased(T::service_kind, instance);
        if (!r) return r.error();
        if (auto* typed = dynamic_cast<T*>(*r)) return typed;
        return Error(errc::internal,
                     "service '" + std::string(instance) + "' is not a " + std::string(T::service_kind));
    }

    //! Names of the registered instances of `kind`, sorted.
    virtual std::vector<std::string> instances(std::string_view kind) const = 0;
    //! Removes every registration made for `instance` (any kind). Host use.
    virtual void removeInstance(std::string_view instance) = 0;

protected:
    virtual Result<void> addErased(std::string_view kind, std::string_view instance, Service* service) = 0;
    virtual Result<Service*> getErased(std::string_view kind, std::string_view instance) const = 0;
};

using ServiceRegistryPtr = std::unique_ptr<ServiceRegistry>;

//! The SDK's thread-safe registry, used by the host and by tests. Executor: any.
JM_SDK_API ServiceRegistryPtr makeServiceRegistry();

} // namespace jm::sdk
