#include "uploader/s3/s3_object_store.h"

#include "agent/base/crypto.h"
#include "agent/base/log.h"
#include "uploader/file_range_hash.h"
#include "uploader/s3/s3_errors.h"
#include "uploader/s3/s3_xml.h"

namespace kb::uploader {
namespace {

bool ValidBucketName(std::string const& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-' || c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(b.front())) &&
         std::isalnum(static_cast<unsigned char>(b.back()));
}

// The Range header of `range` (inclusive end, RFC 9110 §14.1.2).
std::string RangeHeader(ByteRange range) {
  if (range.length == 0) return fmt::format("bytes={}-", range.offset);
  return fmt::format("bytes={}-{}", range.offset, range.offset + range.length - 1);
}

}  // namespace

std::string Sha256HexToBase64(std::string_view hex) {
  std::string raw = HexDecode(hex);
  return raw.size() == 32 ? Base64Encode(raw) : std::string();
}

StatusOr<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Create(S3Config config,
                                                               std::shared_ptr<HttpTransport> http,
                                                               Clock& clock) {
  if (!ValidBucketName(config.bucket)) {
    return InvalidArgumentError(fmt::format(
        "\"{}\" is not a valid S3 bucket name (3-63 characters: a-z 0-9 . -)", config.bucket));
  }
  if (config.region.empty()) config.region = "us-east-1";
  if (config.endpoint.empty()) {
    config.endpoint = "https://s3." + config.region + ".amazonaws.com";
  }
  while (config.endpoint.ends_with("/")) config.endpoint.pop_back();
  auto sep = config.endpoint.find("://");
  std::string scheme = sep == std::string::npos ? "" : config.endpoint.substr(0, sep);
  if ((scheme != "http" && scheme != "https") ||
      config.endpoint.find('/', sep + 3) != std::string::npos || sep + 3 >= config.endpoint.size()) {
    return InvalidArgumentError(fmt::format(
        "endpoint \"{}\" must be http(s)://HOST[:PORT] without a path", config.endpoint));
  }
  if (config.endpoint.find('@') != std::string::npos) {
    return InvalidArgumentError(
        "endpoint must not contain credentials: use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
  }
  while (config.prefix.starts_with("/")) config.prefix.erase(0, 1);
  while (config.prefix.ends_with("/")) config.prefix.pop_back();
  if (config.max_keys < 1 || config.max_keys > 1000) {
    return InvalidArgumentError(fmt::format("max_keys {} not in 1..1000", config.max_keys));
  }
  if (http == nullptr) return InvalidArgumentError("S3ObjectStore needs an HTTP transport");
  return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(config), std::move(http), clock));
}

std::string S3ObjectStore::Describe() const {
  return fmt::format("s3://{}{}{} at {}", config_.bucket, config_.prefix.empty() ? "" : "/",
                     config_.prefix, config_.endpoint);
}

StoreCapabilities S3ObjectStore::Capabilities() const { return StoreCapabilities{}; }

std::string S3ObjectStore::FullKey(std::string_view key) const {
  if (config_.prefix.empty()) return std::string(key);
  return config_.prefix + "/" + std::string(key);
}

std::string S3ObjectStore::RelativeKey(std::string_view full) const {
  if (config_.prefix.empty()) return std::string(full);
  std::size_t n = config_.prefix.size() + 1;
  return full.size() >= n ? std::string(full.substr(n)) : std::string();
}

StatusOr<HttpResponse> S3ObjectStore::Execute(S3Request const& r) {
  auto sep = config_.endpoint.find("://");
  std::string const scheme = config_.endpoint.substr(0, sep);
  std::string host = config_.endpoint.substr(sep + 3);
  std::string path;
  if (config_.path_style) {
    path = "/" + config_.bucket + (r.key.empty() ? "" : "/" + UriEncode(r.key, true));
  } else {
    host = config_.bucket + "." + host;
    path = "/" + UriEncode(r.key, true);
  }
  SigV4Request sig;
  sig.method = r.method;
  sig.path = path;
  sig.query = r.query;
  sig.headers = r.headers;
  sig.headers.emplace_back("host", host);
  sig.payload_sha256 = r.payload_sha256;
  SigV4Config scope{.region = config_.region, .service = "s3", .s3_rules = true};
  SigV4Result signed_request = SignV4(sig, config_.credentials, scope, clock_.Now());

  HttpRequest http;
  http.method = r.method;
  http.url = scheme + "://" + host + path;
  if (!r.query.empty()) http.url += "?" + CanonicalQueryString(r.query);
  http.headers = std::move(sig.headers);
  for (auto& h : signed_request.headers) http.headers.push_back(std::move(h));
  http.body = r.body;
  http.body_file = r.body_file;
  http.max_send_bytes_per_second = r.max_send_bytes_per_second;
  http.cancel = r.cancel;
  http.response_sink = r.response_sink;

  KB_ASSIGN_OR_RETURN(HttpResponse response, http_->Send(http));
  KB_LOG(uploader, debug, "s3 request op={} method={} bucket={} key={} status={}", r.operation,
         r.method, config_.bucket, r.key, response.status);
  if (response.status >= 200 && response.status < 300) return response;
  S3ErrorContext context{.operation = r.operation, .bucket = config_.bucket, .key = r.key,
                         .endpoint = config_.endpoint, .upload_id = r.upload_id};
  return S3ErrorToStatus(response.status, response.body, context,
                         response.Header("x-amz-bucket-region"));
}

void S3ObjectStore::AddPutHeaders(PutOptions const& options,
                                  std::vector<std::pair<std::string, std::string>>& headers) {
  headers.emplace_back("content-type", options.content_type.empty() ? "application/octet-stream"
                                                                    : options.content_type);
  for (auto const& [k, v] : options.metadata) headers.emplace_back("x-amz-meta-" + k, v);
}

Status S3ObjectStore::Put(std::string const& key, std::string_view data,
                          PutOptions const& options) {
  S3Request r;
  r.operation = "PutObject";
  r.method = "PUT";
  r.key = FullKey(key);
  r.body = data;
  r.payload_sha256 = Sha256Hex(data);
  AddPutHeaders(options, r.headers);
  r.headers.emplace_back("x-amz-checksum-sha256", Sha256HexToBase64(r.payload_sha256));
  return Execute(r).status();
}

Status S3ObjectStore::PutFile(std::string const& key, PartSource const& source,
                              PutOptions const& options) {
  S3Request r;
  r.operation = "PutObject";
  r.method = "PUT";
  r.key = FullKey(key);
  KB_RETURN_IF_ERROR(SetFileBody(source, r));
  AddPutHeaders(options, r.headers);
  return Execute(r).status();
}

Status SetFileBody(PartSource const& source, S3Request& r) {
  r.body_file = FileRange{source.path, source.offset, source.length};
  r.payload_sha256 = source.sha256_hex;
  if (r.payload_sha256.empty()) {
    KB_ASSIGN_OR_RETURN(FileRangeDigests d,
                        HashFileRange(source.path, source.offset, source.length, false));
    r.payload_sha256 = d.sha256_hex;
  }
  r.max_send_bytes_per_second = source.max_send_bytes_per_second;
  r.cancel = source.cancel;
  r.headers.emplace_back("x-amz-checksum-sha256", Sha256HexToBase64(r.payload_sha256));
  return OkStatus();
}

Status S3ObjectStore::Read(std::string const& key, ByteRange range, ChunkSink& sink) {
  S3Request r;
  r.operation = "GetObject";
  r.method = "GET";
  r.key = FullKey(key);
  if (range.offset != 0 || range.length != 0) r.headers.emplace_back("range", RangeHeader(range));
  r.response_sink = &sink;
  return Execute(r).status();
}

StatusOr<ObjectInfo> S3ObjectStore::Stat(std::string const& key) {
  S3Request r;
  r.operation = "HeadObject";
  r.method = "HEAD";
  r.key = FullKey(key);
  KB_ASSIGN_OR_RETURN(HttpResponse response, Execute(r));
  ObjectInfo info;
  info.key = key;
  info.size = std::strtoull(response.Header("content-length").c_str(), nullptr, 10);
  info.etag = StripQuotes(response.Header("etag"));
  (void)ParseHttpDate(response.Header("last-modified"), info.last_modified);
  for (auto const& [name, value] : response.headers) {
    if (name.starts_with("x-amz-meta-")) info.metadata[name.substr(11)] = value;
  }
  return info;
}

Status S3ObjectStore::Delete(std::string const& key) {
  S3Request r;
  r.operation = "DeleteObject";
  r.method = "DELETE";
  r.key = FullKey(key);
  Status st = Execute(r).status();
  if (st.code() == StatusCode::kNotFound && st.message().find("NoSuchKey") != std::string::npos) {
    return OkStatus();  // some S3-compatible servers answer 404 for an absent key
  }
  return st;
}

}  // namespace kb::uploader
