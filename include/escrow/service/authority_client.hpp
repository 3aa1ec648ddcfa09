// SPDX-License-Identifier: MIT
/// @file
/// `escrow::service::authority_client`: a synchronous client of the authority service, for an
/// application that deposits records as it encrypts and for officers: HTTPS with Boost.Beast over
/// OpenSSL, the server authenticated by a CA file or by the SHA-256 of its certificate's public key
/// (a pin) before any request is sent. Errors the server reports come back as the `escrow::error`
/// the authority raised.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>
#include <openssl/ssl.h>
#include <poll.h>
#include <openssl/x509.h>

#include "escrow/authority/audit.hpp"
#include "escrow/core/unverified.hpp"
#include "escrow/authority/audit_signing.hpp"
#include "escrow/authority/officer.hpp"
#include "escrow/authority/officer_proof.hpp"
#include "escrow/authority/owner_blob.hpp"
#include "escrow/authority/recovery_request.hpp"
#include "escrow/core/crypto.hpp"
#include "escrow/core/encoding.hpp"
#include "escrow/core/error.hpp"
#include "escrow/record.hpp"
#include "escrow/service/authority_api.hpp"
#include "escrow/service/signed_request.hpp"
#include "escrow/service/tls_pin.hpp"

namespace escrow::service {

/// How the client reaches and trusts the server.
struct client_options {
    std::string url;                    ///< https://HOST:PORT
    std::string ca_file;                ///< trust anchor (PEM); with neither this nor a pin, the system's
    std::optional<digest256> pin;       ///< SHA-256 of the server certificate's SubjectPublicKeyInfo
    std::string client_cert_file;       ///< for a server started with --client-ca
    std::string client_key_file;        ///< the client certificate's private key (PEM)
    std::chrono::milliseconds timeout{30000};  ///< per request
};

/// What the authority said about itself (`GET /v1/authority`).
struct authority_info {
    digest256 fingerprint{};  ///< SHA-256 of the authority key
    std::string wrap;         ///< the wrap's name
    std::size_t quorum = 0;   ///< officer signatures a recovery needs
};

/// A record as `list` returns it.
struct listed_record {
    unverified<escrow_record> record{escrow_record{}};  ///< as deposited: the depositor's word
    bool revoked = false;                              ///< revoked by the authority
    std::uint64_t deposited = 0;                       ///< Unix seconds
};

/// The audit log as `audit` returns it.
struct audit_snapshot {
    std::vector<authority::audit_entry> entries;              ///< oldest first
    authority::audit_head head;                               ///< the recorded head
    std::optional<authority::signed_audit_head> signed_head;  ///< the last signed head, if any
};

/// A synchronous client; one connection, kept alive between requests. Not thread-safe.
class authority_client {
public:
    /// @throws escrow::error `invalid_argument` (not an https://HOST:PORT URL), `bad_key` (CA file).
    explicit authority_client(client_options opts) : opts_(std::move(opts)), ssl_(boost::asio::ssl::context::tls_client) {
        parse_url();
        namespace ssl = boost::asio::ssl;
        SSL_CTX_set_min_proto_version(ssl_.native_handle(), TLS1_2_VERSION);
        try {
            if (!opts_.pin) {
                if (opts_.ca_file.empty()) ssl_.set_default_verify_paths();
                else ssl_.load_verify_file(opts_.ca_file);
            }
            if (!opts_.client_cert_file.empty()) {
                ssl_.use_certificate_chain_file(opts_.client_cert_file);
                ssl_.use_private_key_file(opts_.client_key_file, ssl::context::pem);
            }
        } catch (const boost::system::system_error& e) {
            throw error(errc::bad_key, std::string("TLS trust anchor or client certificate unusable: ") + e.what());
        }
        ssl_.set_verify_mode(ssl::verify_peer);
    }

    /// `GET /v1/authority`.
    authority_info info() {
        if (!info_) {
            auto j = call("GET", "/v1/authority", "", nullptr);
            authority_info i;
            const bytes fp = hex::decode(j.at("fingerprint").get<std::string>());
            if (fp.size() != i.fingerprint.size()) throw error(errc::malformed_blob, "the server sent a malformed fingerprint");
            std::copy(fp.begin(), fp.end(), i.fingerprint.begin());
            i.wrap = j.at("wrap").get<std::string>();
            i.quorum = j.at("quorum").get<std::size_t>();
            info_ = i;
        }
        return *info_;
    }

    /// Deposits `record`; returns "stored", "already_present" or "replaced".
    std::string deposit(const escrow_record& record) {
        nlohmann::json body = {{"record", base64::encode(record.encode())}};
        return call("POST", "/v1/deposit", body.dump(), nullptr).at("result").get<std::string>();
    }

    /// Recovers with `request` and its officers' signatures: the blob for the request's new owner.
    authority::owner_blob recover(const authority::recovery_request& request, std::span<const authority::officer_signature> sigs) {
        nlohmann::json s = nlohmann::json::array();
        for (const auto& sig : sigs) s.push_back(base64::encode(sig.encode()));
        nlohmann::json body = {{"request", base64::encode(request.encode())}, {"signatures", s}};
        auto j = call("POST", "/v1/recover", body.dump(), nullptr);
        return authority::owner_blob::decode(base64::decode(j.at("blob").get<std::string>()));
    }

    /// The authority's audit public key (PEM).
    std::string audit_key() { return call("GET", "/v1/audit-key", "", nullptr).at("audit_key").get<std::string>(); }

    /// The records of `owner` (all when empty); signed by `officer`.
    std::vector<listed_record> list(std::string_view owner, const authority::officer_private_key& officer) {
        std::string target = "/v1/records";
        if (!owner.empty()) target += "?owner=" + percent_encode(owner);
        std::vector<listed_record> out;
        const auto j = call("GET", target, "", &officer);  // kept: a range over a temporary's member dangles
        for (const auto& r : j.at("records")) {
            out.push_back({unverified<escrow_record>(escrow_record::decode(base64::decode(r.at("record").get<std::string>()))),
                           r.at("status").get<std::string>() == "revoked", r.at("deposited").get<std::uint64_t>()});
        }
        return out;
    }

    /// The registered officers; signed by `officer`.
    std::vector<authority::officer_entry> officers(const authority::officer_private_key& officer) {
        std::vector<authority::officer_entry> out;
        const auto j = call("GET", "/v1/officers", "", &officer);
        for (const auto& o : j.at("officers"))
            out.push_back({o.at("name").get<std::string>(), hex::decode(o.at("public_key").get<std::string>()),
                           o.at("registered").get<std::uint64_t>()});
        return out;
    }

    /// Registers the officer of `proof`; signed by the registered `officer`.
    void register_officer(const authority::officer_proof& proof, const authority::officer_private_key& officer) {
        nlohmann::json body = {{"proof", base64::encode(proof.encode())}};
        (void)call("POST", "/v1/officers", body.dump(), &officer);
    }

    /// Revokes `serial`; false when it was revoked already. Signed by `officer`.
    bool revoke(std::string_view serial, const authority::officer_private_key& officer) {
        nlohmann::json body = {{"serial", std::string(serial)}};
        return call("POST", "/v1/revoke", body.dump(), &officer).at("changed").get<bool>();
    }

    /// The audit log, its recorded head and its signed head; signed by `officer`. Nothing is
    /// checked: `authority::verify_chain` and `authority::check_signed_head` do that.
    audit_snapshot audit(const authority::officer_private_key& officer) {
        auto j = call("GET", "/v1/audit", "", &officer);
        audit_snapshot out;
        for (const auto& e : j.at("entries")) {
            authority::audit_entry a;
            a.seq = e.at("seq").get<std::uint64_t>();
            a.time = e.at("time").get<std::uint64_t>();
            a.kind = authority::from_stored_text<authority::audit_kind>(e.at("kind").get<std::string>(), a.seq);
            a.serial = e.at("serial").get<std::string>();
            a.actor = e.at("actor").get<std::string>();
            a.outcome = authority::from_stored_text<authority::audit_outcome>(e.at("outcome").get<std::string>(), a.seq);
            a.reason = e.at("reason").get<std::string>();
            a.prev_hash = digest_of(e.at("prev_hash").get<std::string>());
            a.hash = digest_of(e.at("hash").get<std::string>());
            out.entries.push_back(std::move(a));
        }
        out.head.seq = j.at("head").at("seq").get<std::uint64_t>();
        out.head.hash = digest_of(j.at("head").at("hash").get<std::string>());
        if (j.contains("signed_head"))
            out.signed_head = authority::signed_audit_head::decode(base64::decode(j.at("signed_head").get<std::string>()));
        return out;
    }

    /// Sends `req` as it is (its signature headers when set) and returns the server's status and
    /// body, whatever the status. @throws escrow::error `authentication_failed` (the server is not
    /// trusted: nothing was sent), `io_error` (no answer).
    api_response exchange(const api_request& in) {
        namespace http = boost::beast::http;
        http::request<http::string_body> req(http::string_to_verb(in.method), in.target, 11);
        if (req.method() == http::verb::unknown) throw error(errc::invalid_argument, "unknown HTTP method " + in.method);
        req.set(http::field::host, host_);
        req.set(http::field::user_agent, "escrow-authority-client");
        req.keep_alive(true);
        if (!in.body.empty()) req.set(http::field::content_type, "application/json");
        auto set = [&](std::string_view name, const std::string& v) {
            if (!v.empty()) req.set(boost::beast::string_view(name.data(), name.size()), v);
        };
        set(signature_headers::officer, in.officer);
        set(signature_headers::time, in.time);
        set(signature_headers::nonce, in.nonce);
        set(signature_headers::signature, in.signature);
        req.body() = in.body;
        req.prepare_payload();
        const std::string& method = in.method;
        const std::string& target = in.target;
        http::response_parser<http::string_body> res;
        res.body_limit(8 * 1024 * 1024);
        boost::system::error_code ec;
        // A kept-alive connection the server closed meanwhile (it reads as readable while idle) is
        // opened again. One that fails under a request is retried once for the requests that may
        // be repeated (GET, and a deposit: the same record again changes nothing), never a recovery.
        const bool repeatable = method == "GET" || target == "/v1/deposit";
        if (stream_ && peer_closed()) stream_.reset();
        for (int attempt = 0; attempt < 2; ++attempt) {
            const bool fresh = !stream_;
            if (fresh) connect();
            auto& lowest = boost::beast::get_lowest_layer(*stream_);
            lowest.expires_after(opts_.timeout);
            http::write(*stream_, req, ec);
            if (ec && !fresh && repeatable) {
                stream_.reset();
                continue;
            }
            if (!ec) http::read(*stream_, buffer_, res, ec);
            if (ec && !fresh && !res.got_some() && repeatable) {
                stream_.reset();
                continue;
            }
            break;
        }
        if (ec) {
            stream_.reset();
            throw error(errc::io_error, "no answer from " + where() + " to " + method + " " + target + ": " + ec.message());
        }
        const auto& r = res.get();
        if (!r.keep_alive()) stream_.reset();
        return {r.result_int(), r.body()};
    }

private:
    using tcp = boost::asio::ip::tcp;
    using stream_type = boost::beast::ssl_stream<boost::beast::tcp_stream>;

    client_options opts_;
    std::string host_, port_;
    boost::asio::io_context ioc_;
    boost::asio::ssl::context ssl_;
    std::optional<stream_type> stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<authority_info> info_;

    static digest256 digest_of(const std::string& h) {
        const bytes b = hex::decode(h);
        digest256 d{};
        if (b.size() != d.size()) throw error(errc::malformed_blob, "the server sent a malformed hash");
        std::copy(b.begin(), b.end(), d.begin());
        return d;
    }

    void parse_url() {
        std::string_view u = opts_.url;
        if (!u.starts_with("https://")) throw error(errc::invalid_argument, "the server must be an https://HOST:PORT URL");
        u.remove_prefix(8);
        while (!u.empty() && u.back() == '/') u.remove_suffix(1);
        std::size_t colon = u.rfind(':');
        if (u.starts_with("[")) {
            auto close = u.find(']');
            if (close == std::string_view::npos) throw error(errc::invalid_argument, "malformed server URL");
            host_ = std::string(u.substr(1, close - 1));
            colon = close + 1 < u.size() && u[close + 1] == ':' ? close + 1 : std::string_view::npos;
        } else {
            host_ = std::string(u.substr(0, colon));
        }
        port_ = colon == std::string_view::npos ? "443" : std::string(u.substr(colon + 1));
        if (host_.empty() || port_.empty() || port_.find_first_not_of("0123456789") != std::string::npos ||
            u.find('/') != std::string_view::npos)
            throw error(errc::invalid_argument, "the server must be an https://HOST:PORT URL, got '" + opts_.url + "'");
    }

    // An idle connection with something to read (the server's close_notify or end of stream).
    bool peer_closed() {
        pollfd p{boost::beast::get_lowest_layer(*stream_).socket().native_handle(), POLLIN, 0};
        return ::poll(&p, 1, 0) != 0;
    }

    std::string where() const { return "https://" + host_ + ":" + port_; }

    void connect() {
        namespace ssl = boost::asio::ssl;
        stream_.emplace(ioc_, ssl_);
        buffer_.clear();
        auto& lowest = boost::beast::get_lowest_layer(*stream_);
        if (!SSL_set_tlsext_host_name(stream_->native_handle(), host_.c_str()))
            throw error(errc::io_error, "cannot set the TLS server name");
        if (opts_.pin) {
            stream_->set_verify_callback([pin = *opts_.pin](bool, ssl::verify_context& ctx) {
                // The chain is not judged: the leaf's public key must be the pinned one.
                X509_STORE_CTX* store = ctx.native_handle();
                if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
                return spki_matches(X509_STORE_CTX_get_current_cert(store), pin);
            });
        } else {
            stream_->set_verify_callback(ssl::host_name_verification(host_));
        }
        boost::system::error_code ec;
        tcp::resolver resolver(ioc_);
        auto endpoints = resolver.resolve(host_, port_, ec);
        if (ec) throw error(errc::io_error, "cannot resolve " + where() + ": " + ec.message());
        lowest.expires_after(opts_.timeout);
        lowest.connect(endpoints, ec);
        if (ec) throw error(errc::io_error, "cannot connect to " + where() + ": " + ec.message());
        stream_->handshake(ssl::stream_base::client, ec);
        if (ec) {
            const long verify = SSL_get_verify_result(stream_->native_handle());
            stream_.reset();
            if (verify != X509_V_OK || ec.category() == boost::asio::error::get_ssl_category())
                throw error(errc::authentication_failed,
                            "the server " + where() + " is not trusted (" +
                                (opts_.pin ? std::string("its certificate's public key does not match the pin")
                                           : std::string(X509_verify_cert_error_string(verify))) +
                                "): nothing was sent");
            throw error(errc::io_error, "TLS handshake with " + where() + " failed: " + ec.message());
        }
    }

    nlohmann::json call(const std::string& method, const std::string& target, const std::string& body,
                        const authority::officer_private_key* officer) {
        api_request req{method, target, body, {}, {}, {}, {}};
        if (officer) {
            const auto now = static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
            const bytes b(body.begin(), body.end());
            auto s = request_signature::sign(*officer, info().fingerprint, method, target, b, now);
            req.officer = hex::encode(s.officer);
            req.time = std::to_string(s.time);
            req.nonce = hex::encode(s.nonce);
            req.signature = hex::encode(s.signature);
        }
        const api_response r = exchange(req);
        nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw error(errc::io_error, "the server " + where() + " answered " + std::to_string(r.status) + " without JSON");
        if (r.status >= 300) {
            const std::string tag_text = j.value("error", std::string("io_error"));
            throw error(errc_from_tag(tag_text), j.value("message", std::string("the server refused the request")));
        }
        return j;
    }
};

}  // namespace escrow::service
