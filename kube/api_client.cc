#include "kube/api_client.h"

#include "agent/base/file_util.h"
#include "agent/base/json.h"

namespace kb::kube {

Status KubeHttpError(long http_status, std::string const& body, std::string const& what) {
  std::string message;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object()) message = JsonString(v.as_object(), "message");
  if (message.empty()) message = body.substr(0, 200);
  std::string text = fmt::format("{}: HTTP {}: {}", what, http_status, message);
  switch (http_status) {
    case 401:
      return UnauthenticatedError(text + " (check the kubeconfig's credentials)");
    case 403:
      return PermissionDeniedError(text);
    case 404:
      return NotFoundError(text);
    case 410:
      return AbortedError(text);
    case 429:
      return ResourceExhaustedError(text);
    default:
      if (http_status >= 500) return UnavailableError(text);
      return InvalidArgumentError(text);
  }
}

StatusOr<std::unique_ptr<ApiClient>> ApiClient::Create(ClusterAccess access,
                                                       ApiClientOptions options) {
  if (access.server.empty()) return InvalidArgumentError(access.source + ": no server URL");
  if (!access.tls_server_name.empty()) {
    return InvalidArgumentError(fmt::format(
        "{}: tls-server-name is not supported: use a server URL whose host name the server's "
        "certificate names", access.source));
  }
  HttpOptions h;
  h.ca_pem = access.ca_pem;
  h.verify_tls = !access.insecure_skip_tls_verify;
  h.client_cert_pem = access.client_cert_pem;
  h.client_key_pem = access.client_key_pem;
  h.http2 = true;
  h.connect_timeout = options.connect_timeout;
  KB_ASSIGN_OR_RETURN(auto http, HttpClient::Create(std::move(h)));
  return std::unique_ptr<ApiClient>(new ApiClient(std::move(access), options, std::move(http)));
}

StatusOr<ApiClient::RawResponse> ApiClient::SendOnce(std::string_view method,
                                                     std::string const& path,
                                                     std::string_view body,
                                                     std::string_view content_type) {
  HttpRequest r;
  r.method = std::string(method);
  r.url = access_.server + path;
  if (method == "POST" || method == "PUT" || method == "PATCH") {
    r.url += (path.find('?') == std::string::npos ? "?" : "&");
    r.url += std::string("fieldManager=") + kFieldManager;
  }
  r.headers.emplace_back("Accept", "application/json");
  r.headers.emplace_back("User-Agent", "kbackup");
  if (!content_type.empty()) r.headers.emplace_back("Content-Type", std::string(content_type));
  r.body = body;
  std::string token = access_.bearer_token.reveal();
  if (!access_.token_file.empty()) {
    // Re-read on every request: projected service-account tokens rotate.
    KB_ASSIGN_OR_RETURN(token, ReadFileToString(access_.token_file));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  }
  if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
  KB_ASSIGN_OR_RETURN(HttpResponse response, http_->Send(r));
  last_http_major_ = response.http_major;
  return RawResponse{response.status, std::move(response.body)};
}

StatusOr<ApiClient::RawResponse> ApiClient::SendRetrying(std::string_view method,
                                                         std::string const& path,
                                                         std::string_view body,
                                                         std::string_view content_type,
                                                         Idempotency idempotency) {
  Clock& clock = options_.clock != nullptr ? *options_.clock : SystemClock::Instance();
  std::string const op = fmt::format("kube {}", method);
  return RetryLoop(options_.retry, options_.backoff, idempotency, op, clock,
                   [&]() -> StatusOr<RawResponse> {
                     KB_ASSIGN_OR_RETURN(RawResponse r,
                                         SendOnce(method, path, body, content_type));
                     // Transient answers become errors so that the loop retries them.
                     if (r.status == 429 || r.status >= 500 || r.status == 401 ||
                         r.status == 403) {
                       return KubeHttpError(r.status, r.body,
                                            fmt::format("{} {}{}", method, access_.server, path));
                     }
                     return r;
                   });
}

StatusOr<ApiClient::RawResponse> ApiClient::GetWithStatusBody(std::string const& path) {
  return SendRetrying("GET", path, {}, {}, Idempotency::kIdempotent);
}

StatusOr<ApiClient::RawResponse> ApiClient::Write(std::string_view method,
                                                  std::string const& path, std::string_view body,
                                                  std::string_view content_type,
                                                  Idempotency idempotency) {
  return SendRetrying(method, path, body, content_type, idempotency);
}

StatusOr<std::string> ApiClient::Get(std::string const& path) {
  KB_ASSIGN_OR_RETURN(RawResponse r, GetWithStatusBody(path));
  if (r.status >= 200 && r.status < 300) return std::move(r.body);
  return KubeHttpError(r.status, r.body, "GET " + access_.server + path);
}

}  // namespace kb::kube
