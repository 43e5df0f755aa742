#pragma once
// A Kubernetes API client: GET, and the writes a restore makes (POST, PUT, PATCH, DELETE, with
// the field manager "kbackup"), with the credentials of a ClusterAccess (client certificate,
// bearer token or token file), over HTTP/2 where the server offers it, retrying transient
// failures. Spec: https://kubernetes.io/docs/reference/using-api/api-concepts/

#include <memory>
#include <string>

#include "agent/base/chunk_sink.h"
#include "agent/base/clock.h"
#include "agent/base/http_client.h"
#include "agent/base/retry_loop.h"
#include "agent/base/status.h"
#include "kube/kubeconfig.h"

namespace kb::kube {

/// Tuning of an ApiClient.
struct ApiClientOptions {
  /// Retries of transient failures (connection errors, 429, 5xx). Default: RetryPolicy{}.
  RetryPolicy retry;
  BackoffPolicy backoff;
  /// TCP/TLS connect timeout. Default: 10 s.
  std::chrono::seconds connect_timeout{10};
  /// Clock for retry sleeps. Default: nullptr = the system clock.
  Clock* clock = nullptr;
};

/// The field manager kbackup's writes name (the fieldManager query parameter).
inline constexpr char kFieldManager[] = "kbackup";

/// Content types of a PATCH body (RFC 7386 JSON merge patch; RFC 6902 JSON patch).
inline constexpr char kMergePatch[] = "application/merge-patch+json";
inline constexpr char kJsonPatch[] = "application/json-patch+json";

/// Talks to one API server. Thread-safe: several threads may call it at once.
class ApiClient {
 public:
  /// Errors: kInvalidArgument (no server URL, a tls-server-name, which kbackup does not support).
  static StatusOr<std::unique_ptr<ApiClient>> Create(ClusterAccess access,
                                                     ApiClientOptions options = {});

  /// GETs `path` ("/api/v1/namespaces?limit=500") and returns the body of a 2xx answer.
  /// Errors (the server's Status message included): kUnauthenticated (401), kPermissionDenied
  ///   (403), kNotFound (404), kAborted (410 Gone: an expired continue token or resourceVersion;
  ///   list again from the start), kResourceExhausted (429) and kUnavailable (5xx, connection
  ///   errors) after the retry budget, kInvalidArgument (other 4xx).
  StatusOr<std::string> Get(std::string const& path);

  /// A GET's status and body, whatever the status (for callers that act on a 410's Status
  /// object). Transient failures (429, 5xx, connection errors) are retried as in Get.
  /// Errors: transport failures after retries; 401/403 as in Get.
  struct RawResponse {
    long status = 0;
    std::string body;
  };
  StatusOr<RawResponse> GetWithStatusBody(std::string const& path);

  /// Sends a write: `method` is POST, PUT, PATCH or DELETE; `path` is the resource path
  /// ("/api/v1/namespaces/a/configmaps"), to which "fieldManager=kbackup" is added for POST,
  /// PUT and PATCH; `body` is JSON of `content_type` (application/json, or a patch type above).
  /// Returns the answer whatever its status: 409 AlreadyExists, 422 Invalid and 404 are the
  /// caller's to read (KubeHttpError turns one into a Status). 429, 5xx and connection errors
  /// are retried with backoff when `idempotency` is kIdempotent. A POST (create) is safe to
  /// retry: when an earlier attempt did create the object, the retry answers 409.
  /// Errors: transport failures after retries; 401 (kUnauthenticated).
  StatusOr<RawResponse> Write(std::string_view method, std::string const& path,
                              std::string_view body, std::string_view content_type,
                              Idempotency idempotency);

  /// The server's base URL.
  std::string const& server() const { return access_.server; }
  /// Where the credentials came from (for messages).
  std::string const& source() const { return access_.source; }
  /// The HTTP major version of the last answer: 2 when the server speaks HTTP/2.
  int last_http_major() const { return last_http_major_; }

 private:
  ApiClient(ClusterAccess access, ApiClientOptions options,
            std::shared_ptr<HttpClient> http)
      : access_(std::move(access)), options_(options), http_(std::move(http)) {}
  StatusOr<RawResponse> SendOnce(std::string_view method, std::string const& path,
                                 std::string_view body, std::string_view content_type);
  StatusOr<RawResponse> SendRetrying(std::string_view method, std::string const& path,
                                     std::string_view body, std::string_view content_type,
                                     Idempotency idempotency);

  ClusterAccess access_;
  ApiClientOptions options_;
  std::shared_ptr<HttpClient> http_;
  std::atomic<int> last_http_major_{1};
};

/// Maps a non-2xx answer of the API server to a Status naming `what` (method and URL) and the
/// message of the Kubernetes Status object in `body` when there is one.
Status KubeHttpError(long http_status, std::string const& body, std::string const& what);

}  // namespace kb::kube
