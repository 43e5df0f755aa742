#pragma once
// The one ObjectStore interface (STYLE.md §5): S3 (AWS, MinIO), File; GCS and Azure next.
// Keys are relative to the location's prefix; "/" separates levels.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/chunk_sink.h"
#include "agent/base/status.h"

namespace kb::uploader {

/// What a backend allows. Sizes in bytes.
struct StoreCapabilities {
  /// Smallest part but the last. S3: 5 MiB.
  std::uint64_t min_part_size = 5ull << 20;
  /// Largest part. S3: 5 GiB.
  std::uint64_t max_part_size = 5ull << 30;
  /// Most parts per upload. S3: 10,000.
  int max_parts = 10'000;
  /// Whether parts may be sent concurrently and out of order.
  bool parallel_parts = true;
};

/// One stored object.
struct ObjectInfo {
  std::string key;  ///< relative to the location's prefix
  std::uint64_t size = 0;
  std::string etag;  ///< backend's ETag, quotes stripped
  std::chrono::system_clock::time_point last_modified{};
  std::map<std::string, std::string> metadata;  ///< user metadata (x-amz-meta-*), Stat only
};

/// One page of a listing.
struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;  ///< with delimiter: "backups/a/" etc.
  std::string next_page_token;               ///< empty: last page
};

/// Bytes of a local file to send: [offset, offset + length). `sha256_hex` is the SHA-256 of
/// those bytes when the caller already knows it (empty: the backend reads the range once more to
/// compute it). Backends send the checksum with the data (S3: x-amz-checksum-sha256) and fail
/// with kDataLoss when the bytes do not match it.
struct PartSource {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::string sha256_hex;
  /// Bandwidth cap for sending these bytes, bytes/s; 0 = unlimited. An SRE-facing limit
  /// (--upload-rate-limit), applied per request, i.e. per part in flight.
  std::uint64_t max_send_bytes_per_second = 0;
  /// When set and it turns true, a request still sending these bytes stops with kCancelled
  /// (S3; a local directory copies on). Must outlive the call. Default: none.
  std::atomic<bool> const* cancel = nullptr;
};

/// A part the backend holds.
struct PartInfo {
  int number = 0;  ///< 1-based
  std::uint64_t size = 0;
  std::string etag;        ///< quotes stripped
  std::string sha256_hex;  ///< empty when the backend does not report it
};

/// Options of a new object.
struct PutOptions {
  std::string content_type = "application/octet-stream";
  std::map<std::string, std::string> metadata;  ///< user metadata, keys lower-case
  /// BeginUpload only: the size in bytes of every part but the last, when the caller sends
  /// part N as bytes [(N-1) × part_size, N × part_size) of the object. A hint: a local
  /// directory store then writes parts in place and completes without copying; S3 ignores it.
  /// 0 = unknown.
  std::uint64_t part_size = 0;
};

/// An upload not yet completed (for resuming or aborting stale ones).
struct PendingUpload {
  std::string key;
  std::string upload_id;
  std::chrono::system_clock::time_point initiated{};
};

/// A byte range [offset, offset + length); length 0 means "to the end".
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// A multipart upload in progress. UploadPart may be called from several threads at once when
/// Capabilities().parallel_parts; the other calls from one thread.
class Upload {
 public:
  virtual ~Upload() = default;
  /// The object key this upload will create (relative to the store's prefix).
  virtual std::string const& key() const = 0;
  /// The backend's id of this upload (S3 UploadId); journaled before part 1.
  virtual std::string const& upload_id() const = 0;
  /// Sends part `number` (1-based) from `source`. Idempotent: sending a number again replaces it.
  /// Errors: transient ones (kUnavailable, kResourceExhausted, kDeadlineExceeded) may be retried.
  virtual StatusOr<PartInfo> UploadPart(int number, PartSource const& source) = 0;
  /// Parts the backend holds for this upload, ascending. Errors: kNotFound (upload gone).
  virtual StatusOr<std::vector<PartInfo>> ListParts() = 0;
  /// Commits `parts` (ascending, contiguous from 1) into the object and returns its ETag (quotes
  /// stripped; S3 style "<hex>-N" for N parts). Not idempotent: after a failed attempt, Stat the
  /// object before trying again (an ETag ending "-N" means an earlier attempt succeeded).
  /// Errors: kNotFound (upload gone), kFailedPrecondition (a part missing or its ETag differs,
  /// a part but the last smaller than min_part_size), transient codes.
  virtual StatusOr<std::string> Complete(std::vector<PartInfo> const& parts) = 0;
  /// Discards the upload and its parts. An upload already gone gives kNotFound or OK (AWS
  /// answers NoSuchUpload, MinIO 204): callers treat both as done.
  virtual Status Abort() = 0;
};

using UploadPtr = std::unique_ptr<Upload>;

/// A bucket (or directory) under a prefix. Thread-safe.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  /// A one-line description for messages, e.g. "s3://bucket/prefix at http://127.0.0.1:9000".
  /// Never contains credentials.
  virtual std::string Describe() const = 0;
  /// The backend's limits: part sizes, part count, whether parts may go in parallel.
  virtual StoreCapabilities Capabilities() const = 0;
  /// Stores `data` as `key` in one request (replaces an existing object).
  virtual Status Put(std::string const& key, std::string_view data, PutOptions const& options) = 0;
  /// Stores a local file range as `key` in one request.
  virtual Status PutFile(std::string const& key, PartSource const& source,
                         PutOptions const& options) = 0;
  /// Starts a multipart upload of `key`. Not idempotent (a new upload id per call).
  virtual StatusOr<UploadPtr> BeginUpload(std::string const& key, PutOptions const& options) = 0;
  /// Re-attaches to an upload started earlier. Errors: kNotFound (the upload is gone); a backend
  /// that cannot check cheaply (S3) reports it from the first call on the returned Upload.
  virtual StatusOr<UploadPtr> ResumeUpload(std::string const& key,
                                           std::string const& upload_id) = 0;
  /// Multipart uploads under `prefix` (relative to the store's prefix) that were never completed
  /// or aborted, all pages.
  virtual StatusOr<std::vector<PendingUpload>> ListUploads(std::string const& prefix) = 0;
  /// Streams `range` of `key` into `sink` (calls sink.Write, not Finish).
  /// Errors: kNotFound (no such key), kOutOfRange (range beyond the end).
  virtual Status Read(std::string const& key, ByteRange range, ChunkSink& sink) = 0;
  /// Size, ETag, mtime and metadata of `key`. Errors: kNotFound.
  virtual StatusOr<ObjectInfo> Stat(std::string const& key) = 0;
  /// Lists keys starting with `prefix`; with a delimiter ("/"), deeper keys fold into
  /// common_prefixes. Pass the previous page's next_page_token to continue.
  virtual StatusOr<ListPage> List(std::string const& prefix, std::string const& delimiter,
                                  std::string const& page_token) = 0;
  /// Deletes `key`; OK when it does not exist.
  virtual Status Delete(std::string const& key) = 0;
};

}  // namespace kb::uploader
