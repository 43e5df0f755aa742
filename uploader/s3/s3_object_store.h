#pragma once
// ObjectStore on the S3 REST API (AWS S3, MinIO, other S3-compatible servers), signed with
// SigV4 (spec object-storage.md §1-§2). Each method sends one request (or one per page) and never
// retries: the engines (UploadFile, DownloadToFile) retry through kb::RetryLoop.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/http_client.h"
#include "uploader/object_store.h"
#include "uploader/s3/credentials.h"
#include "uploader/s3/sigv4.h"

namespace kb::uploader {

/// Smallest part but the last (S3 limit, bytes).
inline constexpr std::uint64_t kS3MinPartSizeBytes = 5ull << 20;

/// Where and how to reach one bucket.
struct S3Config {
  std::string bucket;
  /// Key prefix inside the bucket, without leading or trailing "/". Default: none.
  std::string prefix;
  /// Base URL "scheme://host[:port]", no path. Default: empty = https://s3.<region>.amazonaws.com.
  std::string endpoint;
  /// SigV4 scope region. Default: us-east-1.
  std::string region = "us-east-1";
  /// Path-style URLs (endpoint/bucket/key) instead of virtual-hosted (bucket.endpoint/key).
  /// Default: false.
  bool path_style = false;
  /// Signing credentials (access key id, secret, optional session token).
  AwsCredentials credentials;
  /// Page size of ListObjectsV2, ListParts and ListMultipartUploads (1..1000); tests use small
  /// pages to exercise paging. Default: 1000.
  int max_keys = 1000;
};

/// One S3 request, before signing. Used by S3ObjectStore's own files (multipart, list).
struct S3Request {
  std::string operation;  ///< S3 operation name, for messages and logs
  std::string method;  ///< GET, HEAD, PUT, POST, DELETE
  std::string key;  ///< full object key (prefix included); empty for bucket-level requests
  std::vector<std::pair<std::string, std::string>> query;    ///< not encoded
  std::vector<std::pair<std::string, std::string>> headers;  ///< signed and sent
  std::string_view body;               ///< in-memory body; must outlive Execute()
  std::optional<FileRange> body_file;  ///< or a body streamed from a file range
  std::string payload_sha256 = kEmptyPayloadSha256;  ///< hex SHA-256 of the body
  std::uint64_t max_send_bytes_per_second = 0;
  std::atomic<bool> const* cancel = nullptr;  ///< HttpRequest::cancel
  ChunkSink* response_sink = nullptr;
  std::string upload_id;  ///< for messages
};

/// An S3 bucket under a prefix. Thread-safe: the HttpClient pools connections.
class S3ObjectStore final : public ObjectStore {
 public:
  /// Validates `config` (bucket name, endpoint scheme, page size). No request is sent.
  /// `clock` signs requests (Now) and must outlive the store.
  /// Errors: kInvalidArgument naming the bad field.
  static StatusOr<std::unique_ptr<S3ObjectStore>> Create(S3Config config,
                                                         std::shared_ptr<HttpTransport> http,
                                                         Clock& clock);

  std::string Describe() const override;
  StoreCapabilities Capabilities() const override;
  Status Put(std::string const& key, std::string_view data, PutOptions const& options) override;
  Status PutFile(std::string const& key, PartSource const& source,
                 PutOptions const& options) override;
  StatusOr<UploadPtr> BeginUpload(std::string const& key, PutOptions const& options) override;
  StatusOr<UploadPtr> ResumeUpload(std::string const& key, std::string const& upload_id) override;
  StatusOr<std::vector<PendingUpload>> ListUploads(std::string const& prefix) override;
  Status Read(std::string const& key, ByteRange range, ChunkSink& sink) override;
  StatusOr<ObjectInfo> Stat(std::string const& key) override;
  StatusOr<ListPage> List(std::string const& prefix, std::string const& delimiter,
                          std::string const& page_token) override;
  Status Delete(std::string const& key) override;

  /// Signs and sends `request` once. Returns 2xx responses; maps any other status with
  /// S3ErrorToStatus and transport failures as HttpClient::Send does. Thread-safe.
  StatusOr<HttpResponse> Execute(S3Request const& request);

  /// The key with the store's prefix ("prefix/key").
  std::string FullKey(std::string_view key) const;
  /// `full` without the store's prefix; `full` must start with it.
  std::string RelativeKey(std::string_view full) const;
  /// The validated configuration (endpoint and region filled in).
  S3Config const& config() const { return config_; }

 private:
  S3ObjectStore(S3Config config, std::shared_ptr<HttpTransport> http, Clock& clock)
      : config_(std::move(config)), http_(std::move(http)), clock_(clock) {}
  // ListMultipartUploads pages asked with `server_prefix`, filtered to keys under
  // `full_prefix` (s3_multipart.cc).
  StatusOr<std::vector<PendingUpload>> ListUploadPages(std::string const& server_prefix,
                                                       std::string const& full_prefix);
  // Headers of a new object: content type, x-amz-meta-*.
  static void AddPutHeaders(PutOptions const& options,
                            std::vector<std::pair<std::string, std::string>>& headers);

  S3Config config_;
  std::shared_ptr<HttpTransport> http_;
  Clock& clock_;
};

/// Lower-case hex SHA-256 → base64 of the raw digest (x-amz-checksum-sha256). "" on bad input.
std::string Sha256HexToBase64(std::string_view hex);

/// Makes `source` the body of `r` (PutObject, UploadPart): streamed from the file range, with
/// its SHA-256 as the signed payload hash and as x-amz-checksum-sha256, hashed from the file
/// when source.sha256_hex is empty. Errors: errno statuses of the file.
Status SetFileBody(PartSource const& source, S3Request& r);

}  // namespace kb::uploader
