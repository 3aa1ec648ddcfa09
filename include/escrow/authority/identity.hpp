// SPDX-License-Identifier: MIT
/// @file
/// Identity policies: how a backup authority decides that a recovery request comes from the
/// owner (step 4, "once the owner's identity is established"). `officer_quorum<K>` and
/// `caller_check`.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "escrow/authority/recovery_request.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"

namespace escrow::authority {

/// An identity policy for repositories whose transactions are `Tx`. Requirement:
/// `p.establish(request, signatures, view)` returns who vouched for the request (a short text for
/// the audit log, never key material) or throws `escrow::error(errc::identity_rejected, reason)`.
/// It may read the repository (registered officers) through `view`, a `transaction_view<Tx>`,
/// which offers look-ups only: a policy cannot change what the authority holds.
///
/// The authority itself refuses expired and replayed requests, requests for another authority and
/// revoked records before it asks the policy, whatever the policy.
template <class P, class Tx>
concept identity_policy = requires(const P& p, const recovery_request& r, std::span<const officer_signature> s,
                                   const transaction_view<Tx>& view) {
    { p.establish(r, s, view) } -> std::convertible_to<std::string>;
};

namespace detail {
/// The quorum rule shared by `officer_quorum<K>` and `dynamic_officer_quorum`.
///
/// A signature counts when its key is registered (an officer of the repository), it verifies over
/// the request's signed message, and no signature of the same officer counted before. Anything
/// else is ignored, and listed in the refusal when fewer than `k` counted.
template <class Tx>
std::string check_quorum(std::size_t k, const recovery_request& request, std::span<const officer_signature> signatures,
                         const Tx& tx) {
    const digest256 digest = request.digest();
    const bytes message = request.signed_message();
    std::set<std::string> counted;  // raw keys, as strings
    std::vector<std::string> names, problems;
    for (const auto& sig : signatures) {
        if (sig.officer.size() != ed25519_public_size) {
            problems.push_back("a signature names a malformed officer key");
            continue;
        }
        std::optional<officer_entry> who = tx.find_officer_by_key(sig.officer);
        if (!who) {
            problems.push_back("a signature by an unregistered key (SHA-256 " +
                               hex::encode(sha256(sig.officer)).substr(0, 16) + "...)");
            continue;
        }
        if (counted.count(to_string(sig.officer))) {
            problems.push_back("officer '" + who->name + "' signed more than once (counted once)");
            continue;
        }
        std::optional<officer_public_key> key;
        try {
            key = officer_public_key::from_raw(who->public_key);
        } catch (const error&) {
            // A key stored before registration checked keys (a small-order point, say): it counts
            // for nothing, and the officer must register a new one.
            problems.push_back("officer '" + who->name + "' has an unusable registered key (register a new one)");
            continue;
        }
        if (!constant_time_equal(sig.request_digest, digest) || !key->verify(message, sig.signature)) {
            problems.push_back("officer '" + who->name + "' signed a different request");
            continue;
        }
        counted.insert(to_string(sig.officer));
        names.push_back(who->name);
    }
    if (names.size() < k) {
        std::string why = "officer quorum not met: this request needs the signatures of " + std::to_string(k) +
                          " distinct registered officers and has " + std::to_string(names.size());
        for (const auto& p : problems) why += "; " + p;
        throw error(errc::identity_rejected, why);
    }
    std::string actor = "officers";
    for (std::size_t i = 0; i < names.size(); ++i) actor += (i ? ", " : " ") + names[i];
    return actor;
}
}  // namespace detail

/// K distinct registered officers must have signed the exact request (Ed25519 signatures over
/// `recovery_request::signed_message()`). A signature by an unregistered key, a second signature
/// by the same officer, or a signature over another request does not count.
template <std::size_t K>
struct officer_quorum {
    static_assert(K >= 1, "officer_quorum needs at least one officer");
    /// The number of distinct officers that must sign.
    static constexpr std::size_t quorum = K;

    /// Returns the actor for the audit log ("officers NAME, NAME") when `K` distinct registered
    /// officers (looked up in `tx`) signed `request`. @throws escrow::error `identity_rejected`
    /// naming what is missing and every signature that did not count.
    template <class Tx>
    [[nodiscard]] std::string establish(const recovery_request& request, std::span<const officer_signature> signatures,
                                        const Tx& tx) const {
        return detail::check_quorum(K, request, signatures, tx);
    }
};

/// `officer_quorum` with K chosen at run time (a tool that reads K from its configuration).
class dynamic_officer_quorum {
public:
    /// @throws escrow::error `invalid_argument` for k = 0.
    explicit dynamic_officer_quorum(std::size_t k) : k_(k) {
        if (k == 0) throw error(errc::invalid_argument, "an officer quorum needs at least one officer");
    }
    /// The number of distinct officers that must sign.
    [[nodiscard]] std::size_t quorum() const noexcept { return k_; }

    /// As `officer_quorum::establish`, with the quorum given at construction.
    template <class Tx>
    [[nodiscard]] std::string establish(const recovery_request& request, std::span<const officer_signature> signatures,
                                        const Tx& tx) const {
        return detail::check_quorum(k_, request, signatures, tx);
    }

private:
    std::size_t k_;
};

/// The answer of an organisation's own identity check.
struct identity_verdict {
    /// Whether the recovery may go ahead.
    bool granted = false;
    std::string detail;  ///< who vouched (granted) or why not (refused); goes to the audit log

    /// A granted verdict; `who` vouched.
    [[nodiscard]] static identity_verdict grant(std::string who) { return {true, std::move(who)}; }
    /// A refused verdict, saying `why`.
    [[nodiscard]] static identity_verdict refuse(std::string why) { return {false, std::move(why)}; }
};

/// The signature of the check `caller_check` runs.
using identity_check_function = std::function<identity_verdict(const recovery_request&, std::span<const officer_signature>)>;

/// An identity policy that runs a check the caller supplies (an organisation's own procedure: a
/// help-desk ticket, a hardware token, an in-person visit recorded elsewhere).
/// @tparam F callable as `identity_verdict(const recovery_request&, std::span<const officer_signature>)`.
template <class F = identity_check_function>
class caller_check {
public:
    /// Runs `check` on each recovery request.
    /// @param check the organisation's procedure.
    /// @param name names the procedure in the audit log ("help-desk ticket", say).
    explicit caller_check(F check, std::string name = "caller check") : check_(std::move(check)), name_(std::move(name)) {}

    /// Returns "NAME: detail" for the audit log when `check` grants. @throws escrow::error
    /// `identity_rejected` with the check's detail when it refuses.
    template <class Tx>
    [[nodiscard]] std::string establish(const recovery_request& request, std::span<const officer_signature> signatures,
                                        const Tx&) const {
        identity_verdict v = std::invoke(check_, request, signatures);
        if (!v.granted) throw error(errc::identity_rejected, name_ + " refused: " + v.detail);
        return name_ + ": " + v.detail;
    }

private:
    F check_;
    std::string name_;
};

}  // namespace escrow::authority
