// SPDX-License-Identifier: MIT
/// @file
/// `escrow::service::https_server`: HTTP/1.1 with keep-alive over TLS (1.2 minimum, 1.3 preferred)
/// with Boost.Beast and OpenSSL, every resource bounded: header and body sizes, the time to read a
/// request and to shake hands, the number of connections. Its one thread only reads and writes
/// sockets: each request goes to a handler that answers it, at once or later from any thread
/// (`authority_workers`, which checks deposits on a pool and commits them in groups).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include "escrow/core/error.hpp"
#include "escrow/service/authority_api.hpp"

namespace escrow::service {

namespace http = boost::beast::http;

/// What the server listens on and the bounds it keeps.
struct server_options {
    std::string host = "127.0.0.1";   ///< address to listen on
    std::uint16_t port = 0;           ///< 0: a free port, chosen by the system
    std::string cert_file;            ///< PEM certificate chain
    std::string key_file;             ///< PEM private key of the certificate
    std::string client_ca_file;       ///< when set, clients must present a certificate from this CA
    std::size_t max_header = 8 * 1024;       ///< bytes of request line and headers
    std::size_t max_body = 256 * 1024;       ///< bytes of request body
    std::chrono::milliseconds read_timeout{10000};      ///< to read one whole request (or wait for the next)
    std::chrono::milliseconds handshake_timeout{5000};  ///< to complete the TLS handshake
    std::size_t max_connections = 256;       ///< connections open at once; more are closed at accept
};

/// The HTTPS server. `run()` serves until `stop()` (or SIGTERM/SIGINT with `stop_on_signals`).
class https_server {
public:
    /// A request handler that answers on the server's thread.
    using handler = std::function<api_response(const api_request&)>;
    /// How an asynchronous handler answers: called once, from any thread.
    using responder = std::function<void(api_response)>;
    /// A request handler that answers later, through the responder it is given; it must return
    /// at once (the server's thread serves every connection).
    using async_handler = std::function<void(api_request, responder)>;

    /// A server whose handler answers on its thread (the handler needs no lock).
    /// @throws as the constructor below.
    https_server(server_options opts, handler h)
        : https_server(std::move(opts), async_handler([h = std::move(h)](api_request req, responder done) { done(h(req)); })) {}

    /// Loads the certificate and key, and listens. @throws escrow::error `bad_key` (certificate
    /// or key unusable), `io_error` (cannot listen).
    https_server(server_options opts, async_handler h)
        : opts_(std::move(opts)), handler_(std::move(h)), ssl_(boost::asio::ssl::context::tls_server), acceptor_(ioc_) {
        namespace ssl = boost::asio::ssl;
        try {
            ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                             ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
            SSL_CTX_set_min_proto_version(ssl_.native_handle(), TLS1_2_VERSION);
            ssl_.use_certificate_chain_file(opts_.cert_file);
            ssl_.use_private_key_file(opts_.key_file, ssl::context::pem);
            if (!opts_.client_ca_file.empty()) {
                ssl_.load_verify_file(opts_.client_ca_file);
                ssl_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
            }
        } catch (const boost::system::system_error& e) {
            throw error(errc::bad_key, std::string("TLS certificate, key or client CA unusable: ") + e.what());
        }
        try {
            auto addr = boost::asio::ip::make_address(opts_.host);
            boost::asio::ip::tcp::endpoint ep(addr, opts_.port);
            acceptor_.open(ep.protocol());
            acceptor_.set_option(boost::asio::socket_base::reuse_address(true));
            acceptor_.bind(ep);
            acceptor_.listen(boost::asio::socket_base::max_listen_connections);
        } catch (const boost::system::system_error& e) {
            throw error(errc::io_error, "cannot listen on " + opts_.host + ":" + std::to_string(opts_.port) + ": " + e.what());
        }
    }

    /// The port listened on (the chosen one when the options said 0).
    [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    /// Makes SIGTERM and SIGINT stop the server gracefully.
    void stop_on_signals() {
        signals_.emplace(ioc_, SIGTERM, SIGINT);
        signals_->async_wait([this](boost::system::error_code ec, int) {
            if (!ec) stop_now();
        });
    }

    /// Serves until stopped: requests in flight are answered, then their connections close.
    void run() {
        accept();
        ioc_.run();
    }

    /// Stops the server from any thread.
    void stop() {
        boost::asio::post(ioc_, [this] { stop_now(); });
    }

private:
    using tcp = boost::asio::ip::tcp;
    using stream_type = boost::beast::ssl_stream<boost::beast::tcp_stream>;

    // One connection: handshake, then requests read whole within the read timeout, each answered
    // before the next is read.
    class session : public std::enable_shared_from_this<session> {
    public:
        session(https_server& server, tcp::socket socket) : server_(server), stream_(std::move(socket), server.ssl_) {
            server_.sessions_.insert(this);
        }
        ~session() { server_.sessions_.erase(this); }

        void start() {
            lowest().expires_after(server_.opts_.handshake_timeout);
            stream_.async_handshake(boost::asio::ssl::stream_base::server,
                                    [self = shared_from_this()](boost::system::error_code ec) {
                                        if (ec) return self->close();
                                        self->read();
                                    });
        }

        // Stopping: a connection waiting for its next request closes now; one busy with a
        // request finishes it first.
        void stop_if_idle() {
            if (reading_ && (!parser_ || !parser_->got_some()) && buffer_.size() == 0) lowest().cancel();
        }

    private:
        https_server& server_;
        stream_type stream_;
        boost::beast::flat_buffer buffer_;
        std::optional<http::request_parser<http::string_body>> parser_;
        http::response<http::string_body> response_;
        bool reading_ = false;

        boost::beast::tcp_stream& lowest() { return boost::beast::get_lowest_layer(stream_); }

        void read() {
            if (server_.stopping_) return shutdown();
            parser_.emplace();
            parser_->header_limit(static_cast<std::uint32_t>(server_.opts_.max_header));
            parser_->body_limit(server_.opts_.max_body);
            lowest().expires_after(server_.opts_.read_timeout);
            reading_ = true;
            http::async_read(stream_, buffer_, *parser_,
                             [self = shared_from_this()](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
        }

        void on_read(boost::system::error_code ec) {
            reading_ = false;
            if (ec == http::error::body_limit)
                return reply_and_close(413, error_json(errc::limit_exceeded, "the request body is over " +
                                                                                 std::to_string(server_.opts_.max_body) + " bytes"));
            if (ec == http::error::header_limit)
                return reply_and_close(431, error_json(errc::limit_exceeded, "the request headers are over " +
                                                                                 std::to_string(server_.opts_.max_header) + " bytes"));
            if (ec && ec.category() == make_error_code(http::error::end_of_stream).category() &&
                ec != http::error::end_of_stream && ec != http::error::partial_message)
                return reply_and_close(400, error_json(errc::invalid_argument, "malformed HTTP request: " + ec.message()));
            if (ec) return close();  // timeout, end of stream, TLS failure: nothing to answer
            const auto& req = parser_->get();
            api_request in;
            in.method = std::string(req.method_string());
            in.target = std::string(req.target());
            in.body = req.body();
            auto header = [&](std::string_view name) {
                auto it = req.find(boost::beast::string_view(name.data(), name.size()));
                return it == req.end() ? std::string() : std::string(it->value());
            };
            in.officer = header(signature_headers::officer);
            in.time = header(signature_headers::time);
            in.nonce = header(signature_headers::nonce);
            in.signature = header(signature_headers::signature);
            // The answer comes back to this thread; until it does, the work guard keeps run() from
            // returning (a graceful stop waits for it).
            auto done = [self = shared_from_this(), work = boost::asio::make_work_guard(server_.ioc_), keep = req.keep_alive(),
                         version = req.version()](api_response out) mutable {
                auto& ioc = self->server_.ioc_;
                boost::asio::post(ioc, [self = std::move(self), work = std::move(work), keep, version, out = std::move(out)] {
                    self->write(out, keep && !self->server_.stopping_, version);
                });
            };
            server_.handler_(std::move(in), std::move(done));
        }

        void reply_and_close(unsigned status, std::string body) { write({status, std::move(body)}, false, 11); }

        void write(const api_response& out, bool keep_alive, unsigned version) {
            response_ = {};
            response_.version(version);
            response_.result(out.status);
            response_.set(http::field::server, "escrow-authority");
            response_.set(http::field::content_type, "application/json");
            response_.keep_alive(keep_alive);
            response_.body() = out.body;
            response_.prepare_payload();
            lowest().expires_after(server_.opts_.read_timeout);
            http::async_write(stream_, response_, [self = shared_from_this(), keep_alive](boost::system::error_code ec, std::size_t) {
                if (ec) return self->close();
                if (keep_alive) return self->read();
                self->shutdown();
            });
        }

        void shutdown() {
            lowest().expires_after(std::chrono::seconds(2));
            stream_.async_shutdown([self = shared_from_this()](boost::system::error_code) { self->close(); });
        }

        void close() {
            boost::system::error_code ignored;
            lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
            lowest().close();
        }
    };

    void accept() {
        acceptor_.async_accept(ioc_, [this](boost::system::error_code ec, tcp::socket socket) {
            if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
            if (!ec) {
                if (sessions_.size() >= opts_.max_connections) {
                    boost::system::error_code ignored;
                    socket.close(ignored);  // over the limit: refused at once
                } else {
                    std::make_shared<session>(*this, std::move(socket))->start();
                }
            }
            accept();
        });
    }

    void stop_now() {
        if (stopping_) return;
        stopping_ = true;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        if (signals_) signals_->cancel(ignored);
        for (session* s : sessions_) s->stop_if_idle();
    }

    server_options opts_;
    async_handler handler_;
    boost::asio::io_context ioc_{1};
    boost::asio::ssl::context ssl_;
    tcp::acceptor acceptor_;
    std::optional<boost::asio::signal_set> signals_;
    std::unordered_set<session*> sessions_;
    bool stopping_ = false;
};

}  // namespace escrow::service
