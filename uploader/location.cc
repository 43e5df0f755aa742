#include "uploader/location.h"

#include <algorithm>
#include <strings.h>

#include "agent/base/http_client.h"
#include "uploader/file_object_store.h"
#include "uploader/s3/s3_object_store.h"
#include "uploader/s3/s3_xml.h"

namespace kb::uploader {
namespace {

Status Bad(std::string const& url, std::string const& why) {
  return InvalidArgumentError(fmt::format("location \"{}\": {}", RedactedLocation(url), why));
}

bool SecretLikeKey(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (char const* word : {"secret", "token", "password", "signature", "credential", "key"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

// Replaces the userinfo ("user:pass@") after every "://" (or its encoding "%3A%2F%2F").
std::string RedactUserinfo(std::string s) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t plain = s.find("://", pos);
    std::size_t encoded = std::string::npos;
    for (std::size_t i = pos; i + 9 <= s.size(); ++i) {
      if (strncasecmp(s.c_str() + i, "%3A%2F%2F", 9) == 0) {
        encoded = i;
        break;
      }
    }
    std::size_t start = std::min(plain, encoded);
    if (start == std::string::npos) break;
    start += start == plain ? 3 : 9;
    std::size_t end = s.find_first_of("/?#&", start);
    if (end == std::string::npos) end = s.size();
    // The last "@" (or "%40") of the authority ends the userinfo.
    std::size_t at = std::string::npos;
    for (std::size_t i = start; i < end; ++i) {
      if (s[i] == '@' || (i + 3 <= end && strncasecmp(s.c_str() + i, "%40", 3) == 0)) at = i;
    }
    if (at != std::string::npos) {
      s.replace(start, at - start, "<redacted>");
      end = start + 10 + (end - at);
    }
    pos = end;
  }
  return s;
}

}  // namespace

std::string RedactedLocation(std::string const& url) {
  std::string out = RedactUserinfo(url);
  auto q = out.find('?');
  if (q == std::string::npos) return out;
  std::string result = out.substr(0, q + 1);
  std::string query = out.substr(q + 1);
  std::size_t pos = 0;
  bool first = true;
  while (pos <= query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(pos, amp - pos);
    auto eq = pair.find('=');
    if (eq != std::string::npos && SecretLikeKey(pair.substr(0, eq))) {
      pair = pair.substr(0, eq + 1) + "<redacted>";
    }
    result += (first ? "" : "&") + pair;
    first = false;
    pos = amp + 1;
  }
  return result;
}

StatusOr<S3Location> ParseS3Location(std::string const& url) {
  if (!url.starts_with("s3://")) return Bad(url, "not an s3:// URL");
  std::string rest = url.substr(5);
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  S3Location loc;
  auto slash = rest.find('/');
  loc.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) loc.prefix = rest.substr(slash + 1);
  while (loc.prefix.ends_with("/")) loc.prefix.pop_back();
  while (loc.prefix.starts_with("/")) loc.prefix.erase(0, 1);
  if (loc.bucket.empty()) return Bad(url, "no bucket (expected s3://BUCKET[/PREFIX])");
  bool path_style_set = false;
  std::size_t pos = 0;
  while (pos < query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string key = UrlDecode(pair.substr(0, eq), false);
    std::string value = eq == std::string::npos ? "" : UrlDecode(pair.substr(eq + 1), false);
    if (key == "endpoint") {
      loc.endpoint = value;
      while (loc.endpoint.ends_with("/")) loc.endpoint.pop_back();
      if (!loc.endpoint.starts_with("http://") && !loc.endpoint.starts_with("https://")) {
        return Bad(url, "endpoint must start with http:// or https://");
      }
      std::string host = loc.endpoint.substr(loc.endpoint.find("://") + 3);
      if (host.empty() || host.find('/') != std::string::npos) {
        return Bad(url, "endpoint must be http(s)://HOST[:PORT] without a path");
      }
      if (host.find('@') != std::string::npos) {
        return Bad(url, "credentials do not belong in the endpoint: use AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY (or ~/.aws/credentials)");
      }
    } else if (key == "region") {
      if (value.empty()) return Bad(url, "region is empty");
      loc.region = value;
    } else if (key == "path_style") {
      if (value != "true" && value != "false") return Bad(url, "path_style must be true or false");
      loc.path_style = value == "true";
      path_style_set = true;
    } else if (key == "ca_file") {
      if (value.empty() || value.front() != '/') return Bad(url, "ca_file must be an absolute path");
      loc.ca_file = value;
    } else {
      return Bad(url, fmt::format("unknown parameter \"{}\" (known: endpoint, region, "
                                  "path_style, ca_file)",
                                  SecretLikeKey(key) ? "<redacted>" : key));
    }
  }
  if (!path_style_set) loc.path_style = !loc.endpoint.empty();
  return loc;
}

StatusOr<std::unique_ptr<ObjectStore>> OpenLocation(std::string const& url,
                                                    LocationOptions const& options) {
  Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Instance();
  if (url.starts_with("file://")) {
    std::string path = url.substr(7);
    if (path.empty() || path.front() != '/') {
      return Bad(url, "a file location needs an absolute path: file:///ABS/PATH");
    }
    if (path.find_first_of("?#") != std::string::npos) {
      return Bad(url, "a file location takes no query (\"?\") or fragment (\"#\")");
    }
    FileStoreOptions fo{.list_page_size = options.list_page_size, .clock = &clock};
    auto store = FileObjectStore::Create(path, fo);
    if (!store.ok()) return store.status().WithPrefix("location " + RedactedLocation(url));
    return std::unique_ptr<ObjectStore>(std::move(*store));
  }
  if (url.starts_with("s3://")) {
    KB_ASSIGN_OR_RETURN(S3Location loc, ParseS3Location(url));
    AwsCredentials creds;
    if (options.credentials) {
      creds = *options.credentials;
    } else {
      auto resolved = ResolveDefaultCredentials(options.env ? options.env : ProcessEnv());
      if (!resolved.ok()) {
        return resolved.status().WithPrefix("location " + RedactedLocation(url));
      }
      creds = std::move(*resolved);
    }
    HttpOptions ho;
    ho.ca_file = loc.ca_file;
    if (options.connect_timeout_seconds > 0) {
      ho.connect_timeout = std::chrono::seconds(options.connect_timeout_seconds);
    }
    auto http = HttpClient::Create(ho);
    if (!http.ok()) return http.status().WithPrefix("location " + RedactedLocation(url));
    S3Config config{.bucket = loc.bucket, .prefix = loc.prefix, .endpoint = loc.endpoint,
                    .region = loc.region, .path_style = loc.path_style,
                    .credentials = std::move(creds), .max_keys = options.list_page_size};
    auto store = S3ObjectStore::Create(std::move(config), std::move(*http), clock);
    if (!store.ok()) return store.status().WithPrefix("location " + RedactedLocation(url));
    return std::unique_ptr<ObjectStore>(std::move(*store));
  }
  auto colon = url.find("://");
  return Bad(url, colon == std::string::npos
                      ? "not a URL: expected file:///ABS/PATH or s3://BUCKET[/PREFIX]"
                      : fmt::format("unknown scheme \"{}\" (known: file, s3)", url.substr(0, colon)));
}

}  // namespace kb::uploader
