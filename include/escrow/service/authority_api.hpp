// SPDX-License-Identifier: MIT
/// @file
/// `escrow::service::authority_api<Authority, Repository>`: the authority service's JSON API under
/// `/v1/`, as a function from a request (method, target, officer-signature headers, body) to a
/// response (status, JSON). No network code: `https_server` carries it over TLS. Every endpoint
/// is in docs/authority-service.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "escrow/authority/audit.hpp"
#include "escrow/authority/deposit_batch.hpp"
#include "escrow/authority/officer_proof.hpp"
#include "escrow/authority/owner_blob.hpp"
#include "escrow/authority/recovery_request.hpp"
#include "escrow/authority/repository.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/record.hpp"
#include "escrow/service/signed_request.hpp"

namespace escrow::service {

/// A request as the API sees it.
struct api_request {
    std::string method;  ///< "GET", "POST", ...
    std::string target;  ///< path and query, as sent
    std::string body;    ///< the request body
    /// The officer-signature headers (empty when absent).
    std::string officer;
    std::string time;       ///< the signature time header (Unix seconds, decimal)
    std::string nonce;      ///< the signature nonce header (hex)
    std::string signature;  ///< the Ed25519 signature header (hex)
};

/// A response: an HTTP status and a JSON body.
struct api_response {
    unsigned status = 200;  ///< the HTTP status
    std::string body;       ///< JSON
};

/// The JSON body of an error: `{"error": TAG, "message": DETAIL}`, TAG an `escrow::errc` tag.
[[nodiscard]] inline std::string error_json(errc kind, std::string_view message) {
    nlohmann::json j = {{"error", std::string(tag(kind))}, {"message", std::string(message)}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// `e.what()` without its "[escrow.tag] " prefix.
[[nodiscard]] inline std::string error_detail(const error& e) { return std::string(e.detail()); }

/// The `errc` whose tag is `text` (`io_error` for none).
[[nodiscard]] inline errc errc_from_tag(std::string_view text) noexcept {
    for (errc c : all_errc)
        if (tag(c) == text) return c;
    return errc::io_error;
}

/// The HTTP status for an error the authority raised.
[[nodiscard]] constexpr unsigned status_for(errc c) noexcept {
    switch (c) {
        case errc::identity_rejected: return 403;
        case errc::not_found: return 404;
        case errc::invalid_argument: return 409;  // the authority's state refuses it (serial taken, name taken)
        case errc::limit_exceeded: return 413;
        case errc::io_error: return 500;
        default: return 422;  // well-formed JSON whose content the authority refuses
    }
}

/// Percent-decodes a query value (`+` is a space). @throws escrow::error `invalid_argument`.
[[nodiscard]] inline std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) throw error(errc::invalid_argument, "bad percent-encoding");
            bytes b = hex::decode(s.substr(i + 1, 2));
            out.push_back(static_cast<char>(b[0]));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

/// Percent-encodes a query value (unreserved characters stay).
[[nodiscard]] inline std::string percent_encode(std::string_view s) {
    std::string out;
    for (char c : s) {
        const bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                          c == '.' || c == '_' || c == '~' || c == '@';
        if (keep) out.push_back(c);
        else out += "%" + hex::encode(byte_view(reinterpret_cast<const byte*>(&c), 1));
    }
    return out;
}

/// The JSON API over one authority. `handle` is not thread-safe: call it from one thread (the
/// static members, from any).
///
/// @tparam Authority  a `backup_authority` that holds its private key (it verifies deposits and
///                    recovers)
/// @tparam Repository the authority's repository (read for officer look-ups and the audit head)
template <class Authority, class Repository>
class authority_api {
public:
    /// @param authority the authority the API serves
    /// @param repo      its repository
    /// @param quorum    the number of officer signatures a recovery needs (reported by /v1/authority)
    /// @param guard     the replay guard of officer-signed requests
    authority_api(Authority& authority, Repository& repo, std::size_t quorum, replay_guard& guard)
        : auth_(authority), repo_(repo), quorum_(quorum), guard_(guard) {}

    /// Answers one request; never throws for what a client sent.
    [[nodiscard]] api_response handle(const api_request& req, std::uint64_t now) {
        try {
            return route(req, now);
        } catch (...) {
            return current_refusal();
        }
    }

    /// True for a deposit (`POST /v1/deposit`), which a server may answer in the three steps below
    /// instead of `handle`: `parse_deposit`, the authority's `check_deposit` and `deposit_batch`,
    /// then `deposit_answer`.
    [[nodiscard]] static bool is_deposit(const api_request& req) {
        return req.method == "POST" && std::string_view(req.target).substr(0, req.target.find('?')) == "/v1/deposit";
    }

    /// The record a deposit's body carries, or the response refusing the body. Touches nothing
    /// shared: any thread may call it.
    [[nodiscard]] static std::variant<api_response, escrow_record> parse_deposit(const api_request& req) {
        try {
            return deposit_record(req);
        } catch (...) {
            return current_refusal();
        }
    }

    /// The response to the deposit of `rec` that came out as `outcome`.
    [[nodiscard]] static api_response deposit_answer(const escrow_record& rec, const authority::deposit_outcome& outcome) {
        if (const auto& e = outcome.problem) return {status_for(e->kind()), error_json(e->kind(), error_detail(*e))};
        return deposit_answer(rec, *outcome.result);
    }

private:
    struct bad_request {
        unsigned status;
        errc kind;
        std::string message;
    };
    using json = nlohmann::json;

    Authority& auth_;
    Repository& repo_;
    std::size_t quorum_;
    replay_guard& guard_;

    static api_response ok(const json& j, unsigned status = 200) {
        return {status, j.dump(-1, ' ', false, json::error_handler_t::replace)};
    }

    static json parse_object(const std::string& body) {
        json j = json::parse(body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) throw bad_request{400, errc::invalid_argument, "the body must be a JSON object"};
        return j;
    }
    static const json& member(const json& j, const char* name, json::value_t type) {
        auto it = j.find(name);
        if (it == j.end() || it->type() != type)
            throw bad_request{400, errc::invalid_argument, std::string("the body needs the member '") + name + "' of type " +
                                                               (type == json::value_t::string ? "string" : "array")};
        return *it;
    }
    static bytes base64_member(const json& j, const char* name, std::size_t max) {
        const auto& s = member(j, name, json::value_t::string).template get_ref<const std::string&>();
        if (s.size() > (max + 2) / 3 * 4) throw bad_request{413, errc::limit_exceeded, std::string("'") + name + "' is too long"};
        try {
            return base64::decode(s);
        } catch (const error& e) {
            throw bad_request{400, errc::invalid_argument, std::string("'") + name + "': " + error_detail(e)};
        }
    }

    // Checks the officer signature of `req`; returns the officer's name.
    std::string authenticate(const api_request& req, std::uint64_t now) {
        try {
            auto sig = request_signature::parse(req.officer, req.time, req.nonce, req.signature);
            const digest256 fp = auth_.fingerprint();
            auto officer = repo_.begin().find_officer_by_key(sig.officer);
            if (!officer) throw error(errc::identity_rejected, "the request is signed by a key that is not a registered officer's");
            const auto key = authority::officer_public_key::from_raw(sig.officer);
            const bytes body(req.body.begin(), req.body.end());
            if (!key.verify(request_signature::signed_message(fp, req.method, req.target, body, sig.time, sig.nonce), sig.signature))
                throw error(errc::identity_rejected, "the request's officer signature does not verify");
            guard_.accept(sig.time, sig.nonce, now);
            remember_nonce(sig.nonce, sig.time);
            return officer->name;
        } catch (const error& e) {
            throw bad_request{401, e.kind() == errc::limit_exceeded ? errc::limit_exceeded : errc::identity_rejected,
                              error_detail(e)};
        }
    }

    // The replay guard forgets on a restart; the repository does not. An officer request's nonce
    // is stored beside granted recoveries' nonces (told apart by this prefix, and by length),
    // marked to expire when its window has passed, so a request replayed after a restart is
    // refused too. One durable commit per officer request (these are rare).
    static constexpr std::string_view officer_nonce_prefix = "escrow/v1 officer request nonce\n";
    void remember_nonce(byte_view nonce, std::uint64_t time) {
        bytes key(officer_nonce_prefix.begin(), officer_nonce_prefix.end());
        key.insert(key.end(), nonce.begin(), nonce.end());
        auto tx = repo_.begin();
        if (tx.nonce_used(key)) throw error(errc::identity_rejected, "the request was replayed (its nonce was seen before a restart)");
        tx.insert_nonce(key, time + 2 * guard_.window());
        tx.commit();
    }

    api_response route(const api_request& req, std::uint64_t now) {
        std::string_view path = req.target, query;
        if (auto q = path.find('?'); q != std::string_view::npos) {
            query = path.substr(q + 1);
            path = path.substr(0, q);
        }
        const bool get = req.method == "GET", post = req.method == "POST";
        if (path == "/v1/authority" && get) return info();
        if (path == "/v1/deposit" && post) return deposit(req);
        if (path == "/v1/recover" && post) return recover(req);
        if (path == "/v1/audit-key" && get) return audit_key();
        if (path == "/v1/records" && get) return list(req, query, now);
        if (path == "/v1/officers" && get) return officers(req, now);
        if (path == "/v1/officers" && post) return register_officer(req, now);
        if (path == "/v1/revoke" && post) return revoke(req, now);
        if (path == "/v1/audit" && get) return audit(req, now);
        for (std::string_view p : {"/v1/authority", "/v1/deposit", "/v1/recover", "/v1/audit-key", "/v1/records", "/v1/officers",
                                   "/v1/revoke", "/v1/audit"})
            if (path == p) throw bad_request{405, errc::invalid_argument, "method " + req.method + " not allowed on " + std::string(p)};
        throw bad_request{404, errc::not_found, "no endpoint " + std::string(path.substr(0, 200))};
    }

    api_response info() {
        const auto fp = auth_.fingerprint();
        return ok({{"fingerprint", hex::encode(fp)},
                   {"wrap", std::string(Authority::wrap_type::name)},
                   {"quorum", quorum_},
                   {"verifies_deposits", auth_.verifies_deposits()},
                   {"window", guard_.window()}});
    }

    // The response to what a request threw (inside a catch block).
    static api_response current_refusal() {
        try {
            throw;
        } catch (const bad_request& e) {
            return {e.status, error_json(e.kind, e.message)};
        } catch (const error& e) {
            return {status_for(e.kind()), error_json(e.kind(), error_detail(e))};
        } catch (const nlohmann::json::exception& e) {
            return {400, error_json(errc::invalid_argument, std::string("JSON of the wrong shape: ") + e.what())};
        } catch (const std::exception& e) {
            return {500, error_json(errc::io_error, e.what())};
        } catch (...) {
            return {500, error_json(errc::io_error, "unexpected failure")};
        }
    }

    static escrow_record deposit_record(const api_request& req) {
        const json j = parse_object(req.body);
        const bytes encoded = base64_member(j, "record", escrow_record::max_encoded);
        try {
            return escrow_record::decode(encoded);
        } catch (const error& e) {
            throw bad_request{422, e.kind(), "the record does not parse: " + error_detail(e)};
        }
    }

    static api_response deposit_answer(const escrow_record& rec, authority::deposit_result r) {
        using result_type = authority::deposit_result;
        const char* result = r == result_type::stored ? "stored" : r == result_type::replaced ? "replaced" : "already_present";
        return ok({{"serial", rec.info.serial}, {"result", result}}, r == result_type::already_present ? 200 : 201);
    }

    api_response deposit(const api_request& req) {
        const escrow_record rec = deposit_record(req);
        return deposit_answer(rec, auth_.deposit(rec));
    }

    api_response recover(const api_request& req) {
        const json j = parse_object(req.body);
        const bytes rq = base64_member(j, "request", authority::recovery_request::max_encoded);
        const json& sigs = member(j, "signatures", json::value_t::array);
        if (sigs.size() > 64) throw bad_request{413, errc::limit_exceeded, "at most 64 signatures"};
        authority::recovery_request request;
        std::vector<authority::officer_signature> signatures;
        try {
            request = authority::recovery_request::decode(rq);
            for (const auto& s : sigs) {
                if (!s.is_string()) throw bad_request{400, errc::invalid_argument, "'signatures' must be an array of strings"};
                signatures.push_back(authority::officer_signature::decode(base64::decode(s.template get_ref<const std::string&>())));
            }
        } catch (const error& e) {
            throw bad_request{422, e.kind(), error_detail(e)};
        }
        const authority::owner_blob blob = auth_.recover(request, signatures);
        return ok({{"serial", blob.serial}, {"blob", base64::encode(blob.encode())}});
    }

    api_response audit_key() {
        auto k = auth_.audit_key();
        if (!k) throw bad_request{404, errc::not_found, "this authority's key derives no audit key"};
        return ok({{"audit_key", k->pem()}});
    }

    api_response list(const api_request& req, std::string_view query, std::uint64_t now) {
        (void)authenticate(req, now);
        std::string owner;
        if (query.starts_with("owner=")) owner = percent_decode(query.substr(6));
        else if (!query.empty()) throw bad_request{400, errc::invalid_argument, "the only query is owner=ID"};
        json out = json::array();
        for (const auto& e : auth_.list(owner))
            out.push_back({{"record", base64::encode(e.record.unverified_value().encode())},
                           {"status", e.status == authority::record_status::active ? "active" : "revoked"},
                           {"deposited", e.deposited}});
        return ok({{"records", out}});
    }

    api_response officers(const api_request& req, std::uint64_t now) {
        (void)authenticate(req, now);
        json out = json::array();
        for (const auto& o : auth_.officers())
            out.push_back({{"name", o.name}, {"public_key", hex::encode(o.public_key)}, {"registered", o.registered}});
        return ok({{"officers", out}});
    }

    api_response register_officer(const api_request& req, std::uint64_t now) {
        (void)authenticate(req, now);
        const json j = parse_object(req.body);
        const bytes p = base64_member(j, "proof", authority::officer_proof::max_encoded);
        authority::officer_proof proof = [&] {
            try {
                return authority::officer_proof::decode(p);
            } catch (const error& e) {
                throw bad_request{422, e.kind(), error_detail(e)};
            }
        }();
        auth_.register_officer(proof);
        return ok({{"name", proof.name}}, 201);
    }

    api_response revoke(const api_request& req, std::uint64_t now) {
        const std::string officer = authenticate(req, now);
        const json j = parse_object(req.body);
        const std::string& serial = member(j, "serial", json::value_t::string).template get_ref<const std::string&>();
        const bool changed = auth_.revoke(serial, "officer " + officer + " (authority service)");
        return ok({{"serial", serial}, {"changed", changed}});
    }

    api_response audit(const api_request& req, std::uint64_t now) {
        (void)authenticate(req, now);
        json entries = json::array();
        for (const auto& e : auth_.audit_log())
            entries.push_back({{"seq", e.seq}, {"time", e.time}, {"kind", std::string(authority::to_string(e.kind))},
                               {"serial", e.serial}, {"actor", e.actor}, {"outcome", std::string(authority::to_string(e.outcome))},
                               {"reason", e.reason}, {"prev_hash", hex::encode(e.prev_hash)}, {"hash", hex::encode(e.hash)}});
        const authority::audit_head head = repo_.begin().audit_head();
        json out = {{"entries", entries}, {"head", {{"seq", head.seq}, {"hash", hex::encode(head.hash)}}}};
        if (auto h = auth_.signed_head()) out["signed_head"] = base64::encode(h->encode());
        return ok(out);
    }
};

}  // namespace escrow::service
