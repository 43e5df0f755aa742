#include "agent/metrics_server.h"

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "agent/base/log.h"

namespace kb::agent {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Response = http::response<http::string_body>;

constexpr std::string_view kTextType = "text/plain; charset=utf-8";

// "127.0.0.1:9632", "[::1]:9632", "localhost:9632" → an endpoint. Never resolves names.
StatusOr<tcp::endpoint> ParseListenAddress(std::string const& address) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format(
        "metrics address \"{}\": {} (want host:port, e.g. 127.0.0.1:9632)", address, why));
  };
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  std::string host = address.substr(0, colon);
  std::string_view port_text = std::string_view(address).substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return bad("an IPv6 address goes in brackets, e.g. [::1]:9632");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("the port is not a number from 0 to 65535");
  }
  if (host.empty()) return bad("no host: use 127.0.0.1, or 0.0.0.0 with non-loopback allowed");
  if (host == "localhost") host = "127.0.0.1";
  error_code parse_ec;
  asio::ip::address ip = asio::ip::make_address(host, parse_ec);
  if (parse_ec) return bad(fmt::format("\"{}\" is not an IP address", host));
  return tcp::endpoint(ip, static_cast<std::uint16_t>(port));
}

std::string FormatEndpoint(tcp::endpoint const& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return fmt::format("{}:{}", host, ep.port());
}

Status ListenError(error_code ec, std::string_view step, std::string const& address) {
  if (ec == asio::error::address_in_use) {
    return UnavailableError(fmt::format(
        "metrics address {}: address already in use (another kbackup agent or exporter listens "
        "there: stop it or change daemon.metrics_address)",
        address));
  }
  if (ec == asio::error::access_denied) {
    return PermissionDeniedError(fmt::format(
        "metrics address {}: permission denied (ports below 1024 need privileges)", address));
  }
  if (ec == boost::system::errc::address_not_available) {
    return InvalidArgumentError(
        fmt::format("metrics address {}: not an address of this host", address));
  }
  return UnavailableError(
      fmt::format("metrics address {}: {} failed: {}", address, step, ec.message()));
}

Response TextResponse(http::status status, unsigned version, std::string body,
                      std::string_view content_type = kTextType) {
  Response res{status, version};
  res.set(http::field::server, "kbackup");
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace

struct MetricsServer::Impl {
  class Session;

  Impl(MetricsServerOptions o, MetricsRegistry const& r, HealthCheck h)
      : options(std::move(o)), registry(r), health(std::move(h)) {}

  void Run();
  void Accept();
  void OnAccept(error_code ec, tcp::socket socket);
  void CloseAll();
  Response Respond(http::request<http::string_body> const& req) const;

  MetricsServerOptions const options;
  MetricsRegistry const& registry;
  HealthCheck const health;
  bool started = false;
  std::uint16_t port = 0;
  std::string bound_address;
  // Touched only on the server's thread once it runs.
  std::set<Session*> sessions;
  bool stopping = false;
  // Destroyed in reverse: the thread is joined first, the io_context (and the sessions its
  // pending handlers hold) goes before `sessions`.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};
  std::jthread thread;
};

// One connection: read a request (bounded, under a deadline), answer, repeat while keep-alive.
class MetricsServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& server)
      : stream_(std::move(socket)), buffer_(2 * server.options.max_request_bytes + 1024),
        server_(server) {
    server_.sessions.insert(this);
  }
  ~Session() { server_.sessions.erase(this); }
  Session(Session const&) = delete;
  Session& operator=(Session const&) = delete;

  void Read() {
    if (server_.stopping) return;
    parser_.emplace();
    std::size_t limit = server_.options.max_request_bytes;
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limit, UINT32_MAX)));
    parser_->body_limit(limit);
    stream_.expires_after(server_.options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->OnRead(ec); });
  }

  // Cancels what is pending; the handlers then drop the last references.
  void Close() { stream_.close(); }

 private:
  void OnRead(error_code ec) {
    if (!ec) {
      auto const& req = parser_->get();
      Response res = server_.Respond(req);
      res.keep_alive(req.keep_alive());
      KB_LOG(agent, debug, "metrics request method={} target={} status={}",
             std::string_view(req.method_string()), std::string_view(req.target()),
             res.result_int());
      return Write(std::move(res));
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return WriteAndClose(TextResponse(http::status::request_header_fields_too_large, 11,
                                        "request head too large\n"));
    }
    if (ec == http::error::body_limit) {
      return WriteAndClose(
          TextResponse(http::status::payload_too_large, 11, "request body too large\n"));
    }
    if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return WriteAndClose(TextResponse(http::status::bad_request, 11, "bad request\n"));
    }
    // end of stream, timeout (a slow or idle client), reset, or Stop(): just close.
    Close();
  }

  void WriteAndClose(Response res) {
    res.keep_alive(false);
    Write(std::move(res));
  }

  void Write(Response res) {
    response_ = std::move(res);
    bool const close = !response_.keep_alive();
    stream_.expires_after(server_.options.read_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), close](error_code ec, std::size_t) {
                        if (ec || close) return self->Close();
                        self->Read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  Impl& server_;
};

void MetricsServer::Impl::Run() {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (std::exception const& e) {  // from a handler (bad_alloc): keep serving
      KB_LOG(agent, err, "metrics server handler failed address={} error=\"{}\"",
             bound_address, e.what());
    }
  }
}

void MetricsServer::Impl::Accept() {
  acceptor.async_accept(
      [this](error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void MetricsServer::Impl::OnAccept(error_code ec, tcp::socket socket) {
  if (stopping || ec == asio::error::operation_aborted) return;
  if (ec) {  // e.g. out of file descriptors: back off a little rather than spin
    KB_LOG(agent, warn, "metrics accept failed address={} error=\"{}\"", bound_address,
           ec.message());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](error_code wait_ec) {
      if (!wait_ec && !stopping) Accept();
    });
    return;
  }
  if (sessions.size() >= static_cast<std::size_t>(std::max(1, options.max_connections))) {
    KB_LOG(agent, debug, "metrics connection refused address={} connections={}", bound_address,
           sessions.size());
    error_code ignored;
    socket.close(ignored);
  } else {
    std::make_shared<Session>(std::move(socket), *this)->Read();
  }
  Accept();
}

void MetricsServer::Impl::CloseAll() {
  stopping = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  for (Session* session : sessions) session->Close();
}

Response MetricsServer::Impl::Respond(http::request<http::string_body> const& req) const {
  std::string_view path = req.target();
  path = path.substr(0, path.find('?'));
  bool const known = path == "/metrics" || path == "/healthz";
  if (!known) return TextResponse(http::status::not_found, req.version(), "404 page not found\n");
  if (req.method() != http::verb::get) {
    Response res =
        TextResponse(http::status::method_not_allowed, req.version(), "method not allowed\n");
    res.set(http::field::allow, "GET");
    return res;
  }
  if (path == "/metrics") {
    return TextResponse(http::status::ok, req.version(), registry.Render(), kMetricsContentType);
  }
  Status healthy = health ? health() : OkStatus();
  if (healthy.ok()) return TextResponse(http::status::ok, req.version(), "ok");
  std::string reason = healthy.message().empty() ? std::string(StatusCodeName(healthy.code()))
                                                 : healthy.message();
  return TextResponse(http::status::service_unavailable, req.version(), std::move(reason));
}

MetricsServer::MetricsServer(MetricsServerOptions options, MetricsRegistry const& registry,
                             HealthCheck health)
    : impl_(std::make_unique<Impl>(std::move(options), registry, std::move(health))) {}

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start() {
  Impl& s = *impl_;
  if (s.started) return FailedPreconditionError("metrics server: Start() called twice");
  s.started = true;
  std::string const& address = s.options.address;
  KB_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseListenAddress(address));
  if (!endpoint.address().is_loopback() && !s.options.allow_non_loopback) {
    return InvalidArgumentError(fmt::format(
        "metrics address {}: not a loopback address; the metrics name buckets and schedules, so "
        "listening beyond this host must be allowed explicitly",
        address));
  }
  error_code ec;
  if (s.acceptor.open(endpoint.protocol(), ec); ec) return ListenError(ec, "socket", address);
  // Lets a restarted agent bind while old connections sit in TIME_WAIT (on Linux it never lets
  // two listeners share a port).
  if (s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec); ec) {
    return ListenError(ec, "setsockopt", address);
  }
  if (s.acceptor.bind(endpoint, ec); ec) return ListenError(ec, "bind", address);
  if (s.acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return ListenError(ec, "listen", address);
  }
  tcp::endpoint local = s.acceptor.local_endpoint(ec);
  if (ec) return ListenError(ec, "getsockname", address);
  s.port = local.port();
  s.bound_address = FormatEndpoint(local);
  s.Accept();
  s.thread = std::jthread([&s] { s.Run(); });
  KB_LOG(agent, info, "metrics server listening address={}", s.bound_address);
  return OkStatus();
}

void MetricsServer::Stop() {
  Impl& s = *impl_;
  if (!s.thread.joinable()) return;
  asio::post(s.ioc, [&s] { s.CloseAll(); });
  s.thread.join();
  KB_LOG(agent, info, "metrics server stopped address={}", s.bound_address);
}

std::uint16_t MetricsServer::port() const { return impl_->port; }

std::string const& MetricsServer::bound_address() const { return impl_->bound_address; }

}  // namespace kb::agent
