#pragma once
// The daemon's HTTP endpoint for Prometheus and for liveness probes (HTTP/1.1, RFC 9112, on
// Boost.Beast): GET /metrics answers the registry in the text exposition format 0.0.4, GET
// /healthz answers 200 "ok" or 503 with the reason. Loopback only unless allowed: the metrics
// name schedules and locations.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/base/status.h"
#include "agent/metrics.h"

namespace kb::agent {

/// The Content-Type of GET /metrics (text exposition format 0.0.4).
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

/// Settings of a MetricsServer. (The daemon starts none when DaemonConfig::metrics_address is
/// empty.)
struct MetricsServerOptions {
  /// host:port to listen on: an IPv4 literal, a bracketed IPv6 literal ("[::1]:9632") or
  /// "localhost" (127.0.0.1). Port 0 picks a free port (see MetricsServer::port()).
  /// Default: 127.0.0.1:9632 (DaemonConfig::metrics_address).
  std::string address = "127.0.0.1:9632";
  /// Allow an address that is not loopback (0.0.0.0, a node IP). The metrics name buckets and
  /// schedules, so this is opt-in. Default: false.
  bool allow_non_loopback = false;
  /// Largest request head (request line and headers) and largest body, in bytes; a larger one
  /// is answered 431 or 413 and the connection closed. Default: 8 KiB.
  std::size_t max_request_bytes = 8 * 1024;
  /// Time a client has to send a whole request (and to take the response); an idle keep-alive
  /// connection is closed after it too. Default: 10 s.
  std::chrono::milliseconds read_timeout{10'000};
  /// Connections served at once; further ones are accepted and closed at once. Default: 32.
  int max_connections = 32;
};

/// The agent's health, asked on each GET /healthz: OK = healthy (200 "ok"); otherwise unhealthy
/// and the message is the 503 body. Runs on the server's thread: thread-safe, quick, no I/O.
using HealthCheck = std::function<Status()>;

/// Serves GET /metrics and GET /healthz on one thread of its own: 404 for other paths, 405
/// (with Allow: GET) for other methods on these two. Keep-alive as the client asks. A slow or
/// idle client is cut off after read_timeout and never holds up the others. Start() and Stop()
/// are for one owner thread; the registry and health check are read from the server's thread.
class MetricsServer {
 public:
  /// `registry` must outlive the server. An empty `health` means always healthy.
  MetricsServer(MetricsServerOptions options, MetricsRegistry const& registry,
                HealthCheck health);
  /// Stops the server (see Stop()).
  ~MetricsServer();
  MetricsServer(MetricsServer const&) = delete;
  MetricsServer& operator=(MetricsServer const&) = delete;

  /// Binds and listens on options.address, then serves on the server's thread. Called once.
  /// Errors, each naming the address: kInvalidArgument (not host:port, not an IP address, not
  /// loopback without allow_non_loopback, not an address of this host), kUnavailable (address
  /// in use: another agent or exporter listens there; change daemon.metrics_address),
  /// kPermissionDenied (a port below 1024 without the privilege), kFailedPrecondition (called
  /// twice).
  Status Start();

  /// Closes the listener and every connection (idle or mid-request), then joins the thread.
  /// Returns promptly; safe to call more than once, or without Start().
  void Stop();

  /// The port listened on (the one picked when options.address asked for port 0); 0 before
  /// Start().
  std::uint16_t port() const;
  /// The address listened on as "host:port", e.g. "127.0.0.1:39211"; empty before Start().
  std::string const& bound_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::agent
