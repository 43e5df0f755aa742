#pragma once
// A small HTTP client on libcurl, shared by the object-store backends (uploader/) and the
// Kubernetes API client (kube/): keep-alive connections reused through a pool of easy handles,
// request bodies from memory or streamed from a file range, response bodies into memory or
// streamed into a ChunkSink.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/base/chunk_sink.h"
#include "agent/base/secret.h"
#include "agent/base/status.h"

namespace kb {

/// Transport settings of one HttpClient.
struct HttpOptions {
  /// PEM file of CA certificates that sign the server's certificate. Default: empty (the
  /// system's trust store).
  std::string ca_file;
  /// PEM of CA certificates held in memory (a kubeconfig's certificate-authority-data); used
  /// instead of ca_file when set. Default: empty.
  std::string ca_pem;
  /// PEM of a TLS client certificate and its private key (client certificate authentication,
  /// RFC 8446 §4.4.2). Both or neither. Default: none.
  std::string client_cert_pem;
  Secret<std::string> client_key_pem;
  /// Verify the server's TLS certificate and host name. Default: true. Turned off only by tests
  /// and by a kubeconfig's explicit insecure-skip-tls-verify.
  bool verify_tls = true;
  /// Offer HTTP/2 on TLS connections (ALPN, RFC 9113); HTTP/1.1 when the server declines.
  /// Default: false (object stores speak HTTP/1.1).
  bool http2 = false;
  /// Time allowed to establish a TCP (and TLS) connection. Default: 10 s.
  std::chrono::seconds connect_timeout{10};
  /// A transfer slower than low_speed_bytes_per_second for low_speed_time is a stall and fails
  /// with kUnavailable. Defaults: 1 B/s for 60 s.
  std::uint64_t low_speed_bytes_per_second = 1;
  std::chrono::seconds low_speed_time{60};
  /// Upload bandwidth cap per request (per connection), bytes/s; 0 = unlimited. Default: 0.
  std::uint64_t max_send_bytes_per_second = 0;
  /// Idle easy handles (each holding one keep-alive connection) kept for reuse. Default: 16.
  int max_idle_handles = 16;
};

/// A byte range of a local file: [offset, offset + length).
struct FileRange {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// One request. Header names are sent as given; curl adds Content-Length (and Expect).
struct HttpRequest {
  std::string method = "GET";  ///< GET, HEAD, PUT, POST, PATCH or DELETE
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Body for PUT/POST when body_file is unset. Must outlive Send().
  std::string_view body;
  /// Body streamed from a file range with pread (no copy held in memory beyond curl's buffer).
  std::optional<FileRange> body_file;
  /// Overrides HttpOptions::max_send_bytes_per_second when non-zero (bytes/s).
  std::uint64_t max_send_bytes_per_second = 0;
  /// When set and it turns true while the body is being sent, the request stops there and
  /// Send returns kCancelled (a daemon's shutdown). Must outlive Send(). Default: none.
  std::atomic<bool> const* cancel = nullptr;
  /// When set, a 2xx response body is passed to sink->Write (never Finish) instead of being
  /// kept in HttpResponse::body. Non-2xx bodies (error documents) are always kept in memory.
  ChunkSink* response_sink = nullptr;
};

/// What the server answered.
struct HttpResponse {
  long status = 0;  ///< HTTP status code
  int http_major = 1;  ///< the protocol the response came in: 1 (HTTP/1.x) or 2 (HTTP/2)
  /// Response headers of the final response, names lower-cased; repeated ones comma-joined.
  std::map<std::string, std::string> headers;
  /// The body (non-2xx always, capped at 1 MiB; 2xx when no response_sink was given).
  std::string body;
  /// Returns the header `name` (lower-case) or "".
  std::string Header(std::string const& name) const;
};

/// Something that sends HTTP requests: HttpClient, or a fake in unit tests (an in-process seam).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  /// Sends `request` once and returns the response, whatever its status. Errors: transport
  /// failures only (see HttpClient::Send). Thread-safe.
  virtual StatusOr<HttpResponse> Send(HttpRequest const& request) = 0;
};

/// Sends HTTP requests. Thread-safe: each Send() borrows an easy handle from a pool, so several
/// threads may send at once; idle handles keep their connections alive for the next request.
class HttpClient final : public HttpTransport {
 public:
  /// Errors: kInvalidArgument when ca_file is set but cannot be read.
  static StatusOr<std::shared_ptr<HttpClient>> Create(HttpOptions options);
  ~HttpClient() override;
  HttpClient(HttpClient const&) = delete;
  HttpClient& operator=(HttpClient const&) = delete;

  /// Sends `request` once (never retries) and returns the response, whatever its status.
  /// Errors (transport only): kUnavailable for connect/reset/timeout/stall, naming the method,
  /// URL and host; kUnauthenticated when the server's TLS certificate is not trusted (pass
  /// ca_file); kInvalidArgument for a bad URL or unreadable CA file; the file's errno status when
  /// body_file cannot be read; the sink's status when response_sink->Write fails.
  StatusOr<HttpResponse> Send(HttpRequest const& request) override;

  /// The options the client was created with.
  HttpOptions const& options() const { return options_; }

 private:
  explicit HttpClient(HttpOptions options) : options_(std::move(options)) {}
  void* Acquire();
  void Release(void* handle);

  HttpOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* handles
};

/// Returns "host[:port]" of an http(s) URL, or "" when it has none. For messages and Host.
std::string UrlHostPort(std::string_view url);

}  // namespace kb
