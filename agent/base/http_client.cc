#include "agent/base/http_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "agent/base/file_util.h"
#include "agent/base/log.h"

namespace kb {
namespace {

constexpr std::size_t kMaxErrorBody = 1 << 20;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State of one transfer, shared with the curl callbacks.
struct Transfer {
  HttpRequest const* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* curl = nullptr;
  int fd = -1;               // body_file, open while sending
  std::uint64_t sent = 0;    // body bytes handed to curl
  Status read_error;         // pread failure
  Status sink_error;         // response_sink->Write failure
  bool final_headers = false;
};

std::size_t ReadBody(char* buffer, std::size_t size, std::size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t want = size * nitems;
  HttpRequest const& r = *t->request;
  if (r.cancel != nullptr && r.cancel->load()) {
    t->read_error = CancelledError(fmt::format("{} to {}: stopped after {} bytes of the body",
                                               r.method, UrlHostPort(r.url), t->sent));
    return CURL_READFUNC_ABORT;
  }
  if (r.body_file) {
    std::uint64_t left = r.body_file->length - t->sent;
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
    std::size_t done = 0;
    while (done < want) {
      ssize_t n = ::pread(t->fd, buffer + done, want - done,
                          static_cast<off_t>(r.body_file->offset + t->sent + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        t->read_error = n < 0 ? ErrnoToStatus(errno, r.body_file->path.string())
                              : DataLossError(fmt::format(
                                    "{}: file ended at byte {} while sending a range up to {}",
                                    r.body_file->path.string(), r.body_file->offset + t->sent + done,
                                    r.body_file->offset + r.body_file->length));
        return CURL_READFUNC_ABORT;
      }
      done += static_cast<std::size_t>(n);
    }
    t->sent += done;
    return done;
  }
  std::uint64_t left = r.body.size() - t->sent;
  want = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
  std::memcpy(buffer, r.body.data() + t->sent, want);
  t->sent += want;
  return want;
}

int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  t->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

std::size_t WriteBody(char* data, std::size_t size, std::size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * nmemb;
  long code = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300 && t->request->response_sink != nullptr) {
    t->sink_error = t->request->response_sink->Write(
        ByteSpan(reinterpret_cast<std::byte const*>(data), n));
    return t->sink_error.ok() ? n : 0;
  }
  std::string& body = t->response->body;
  if (body.size() < kMaxErrorBody || (code >= 200 && code < 300)) body.append(data, n);
  return n;
}

std::size_t WriteHeader(char* data, std::size_t size, std::size_t nitems, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t n = size * nitems;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a new response (after 100 Continue or a redirect)
    t->response->headers.clear();
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  auto [it, inserted] = t->response->headers.emplace(name, std::string(value));
  if (!inserted) it->second += "," + std::string(value);
  return n;
}

// Maps a transport failure to a Status naming the request and the host.
Status CurlToStatus(CURLcode code, char const* detail, HttpRequest const& r) {
  std::string what = fmt::format("{} {}: {} (host {})", r.method, r.url,
                                 detail[0] != '\0' ? detail : curl_easy_strerror(code),
                                 UrlHostPort(r.url));
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
      return UnauthenticatedError(
          what + ": the server's TLS certificate is not trusted; pass its CA with ca_file=PATH "
                 "in the location");
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return InvalidArgumentError(what + ": check the CA file (ca_file=)");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgumentError(what);
    case CURLE_OPERATION_TIMEDOUT:
      return UnavailableError(what + " (timed out or stalled)");
    case CURLE_COULDNT_RESOLVE_HOST:
      return UnavailableError(what + ": the host name does not resolve (DNS); check the endpoint");
    case CURLE_COULDNT_CONNECT:
      return UnavailableError(what + ": nothing accepts connections there; check the endpoint "
                                     "and that the server runs");
    default:
      return UnavailableError(what);
  }
}

}  // namespace

std::string HttpResponse::Header(std::string const& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string UrlHostPort(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  auto at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  return std::string(rest);
}

StatusOr<std::shared_ptr<HttpClient>> HttpClient::Create(HttpOptions options) {
  GlobalInitOnce();
  if (!options.ca_file.empty() && ::access(options.ca_file.c_str(), R_OK) != 0) {
    return InvalidArgumentError(
        fmt::format("ca_file {}: {}", options.ca_file, std::strerror(errno)));
  }
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(options)));
}

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.max_idle_handles) {
    idle_.push_back(handle);
    return;
  }
  curl_easy_cleanup(static_cast<CURL*>(handle));
}

StatusOr<HttpResponse> HttpClient::Send(HttpRequest const& r) {
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return InternalError("curl_easy_init failed");
  // Returns the handle to the pool (reset keeps its live connection) on every path.
  struct Returner {
    HttpClient* self;
    CURL* curl;
    curl_slist* headers = nullptr;
    int fd = -1;
    ~Returner() {
      if (headers != nullptr) curl_slist_free_all(headers);
      if (fd >= 0) ::close(fd);
      curl_easy_reset(curl);
      self->Release(curl);
    }
  } returner{this, curl};

  HttpResponse response;
  Transfer t;
  t.request = &r;
  t.response = &response;
  t.curl = curl;
  std::uint64_t body_size = r.body.size();
  if (r.body_file) {
    t.fd = ::open(r.body_file->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (t.fd < 0) return ErrnoToStatus(errno, r.body_file->path.string());
    returner.fd = t.fd;
    body_size = r.body_file->length;
  }

  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count() * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT,
                   static_cast<long>(options_.low_speed_bytes_per_second));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(options_.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_pem.empty()) {
    curl_blob ca{const_cast<char*>(options_.ca_pem.data()), options_.ca_pem.size(),
                 CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &ca);
  } else if (!options_.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  if (!options_.client_cert_pem.empty()) {
    curl_blob cert{const_cast<char*>(options_.client_cert_pem.data()),
                   options_.client_cert_pem.size(), CURL_BLOB_NOCOPY};
    std::string const& key_pem = options_.client_key_pem.reveal();
    curl_blob key{const_cast<char*>(key_pem.data()), key_pem.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (options_.http2) curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
  std::uint64_t rate = r.max_send_bytes_per_second != 0 ? r.max_send_bytes_per_second
                                                        : options_.max_send_bytes_per_second;
  if (rate != 0) {
    curl_easy_setopt(curl, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(rate));
  }

  if (r.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (r.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_size));
  } else if (r.method == "POST" || r.method == "PATCH") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_size));
    if (r.method == "PATCH") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PATCH");
  } else if (r.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  bool const has_body = r.method == "PUT" || r.method == "POST" || r.method == "PATCH";
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);

  bool has_content_type = false, has_accept = false;
  for (auto const& [name, value] : r.headers) {
    returner.headers = curl_slist_append(returner.headers, (name + ": " + value).c_str());
    if (strcasecmp(name.c_str(), "content-type") == 0) has_content_type = true;
    if (strcasecmp(name.c_str(), "accept") == 0) has_accept = true;
  }
  // Without these curl would add an unsigned form Content-Type to POSTs and an Accept header.
  if (!has_content_type && has_body) {
    returner.headers = curl_slist_append(returner.headers, "Content-Type:");
  }
  if (!has_accept) returner.headers = curl_slist_append(returner.headers, "Accept:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, returner.headers);

  CURLcode code = curl_easy_perform(curl);
  if (!t.sink_error.ok()) return t.sink_error;
  if (!t.read_error.ok()) return t.read_error;
  if (code != CURLE_OK) return CurlToStatus(code, error, r);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  long version = 0;
  curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &version);
  response.http_major = version == CURL_HTTP_VERSION_2_0 ? 2 : version == CURL_HTTP_VERSION_3 ? 3 : 1;
  return response;
}

}  // namespace kb
