#pragma once
// The upload engine: resumable, parallel multipart upload of a local file (spec
// object-storage.md §2 "Resuming"), and cleanup of abandoned uploads. Every store call goes
// through kb::RetryLoop with its idempotency stated (STYLE.md §4).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/retry_loop.h"
#include "agent/base/status.h"
#include "uploader/object_store.h"

namespace kb::uploader {

/// Default part size (bytes): 16 MiB.
inline constexpr std::uint64_t kDefaultPartSizeBytes = 16ull << 20;

/// How to upload. Copied per upload.
struct UploadOptions {
  /// Part size in bytes, raised to the store's minimum and grown (to a MiB multiple) so the
  /// object needs at most Capabilities().max_parts parts. Default: 16 MiB.
  std::uint64_t part_size = kDefaultPartSizeBytes;
  /// Parts in flight (threads sending parts). Default: 4. Memory per part in flight is O(1 MiB)
  /// (parts are streamed from the file, never held whole).
  int parallelism = 4;
  /// Files (and pipelined streams) smaller than this go up in one PutFile; larger ones as
  /// multipart. 0 = the (grown) part size. Default: 0.
  std::uint64_t multipart_threshold = 0;
  /// Where the resume journal lives. Default: empty = ".<name>.upload.json" beside the file.
  std::filesystem::path journal_path;
  /// Bandwidth cap per part in flight (per connection), bytes/s; 0 = unlimited. Default: 0.
  std::uint64_t rate_limit_bytes_per_second = 0;
  /// When set and it turns true (a daemon's SIGTERM): no further part starts, parts still
  /// being sent to S3 stop, and the upload fails with kCancelled. The journal keeps every part
  /// the server acknowledged, so a later call resumes the upload; nothing is aborted. Must
  /// outlive the call. Default: none.
  std::atomic<bool> const* cancel = nullptr;
  /// Retry budget of each store call. Default: 8 attempts within 120 s.
  RetryPolicy retry;
  /// Backoff between attempts. Default: 200 ms doubling to 20 s, full jitter.
  BackoffPolicy backoff;
  /// Time source for backoff sleeps. Default: nullptr = the system clock. Must outlive the call.
  Clock* clock = nullptr;
  /// Called with (bytes done, bytes total) after each part (reused parts count as done), from
  /// worker threads but never concurrently. Default: none.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  /// Content type and metadata of the object. Default: application/octet-stream, none.
  PutOptions put;
  /// PipelinedUploadSink only: the expected object size (bytes), used to grow the part size for
  /// very large streams whose size is not known in advance. Default: 0 (unknown).
  std::uint64_t size_hint = 0;
};

/// What an upload did.
struct UploadResult {
  std::uint64_t bytes = 0;  ///< object size
  int parts_total = 0;      ///< parts of the object; 1 for a single PUT
  int parts_sent = 0;       ///< parts sent by this run
  int parts_reused = 0;     ///< parts already on the server from an earlier run
  bool resumed = false;     ///< an earlier run's upload was continued
  std::string upload_id;    ///< empty for a single PUT
  std::string etag;         ///< of the object, quotes stripped
};

/// The part size for an object of `total_bytes`: max(requested, min_part_size), grown to
/// ceil(total / max_parts) rounded up to a MiB multiple when needed.
/// Errors: kInvalidArgument when the object would need parts above max_part_size.
StatusOr<std::uint64_t> ChoosePartSize(std::uint64_t total_bytes, std::uint64_t requested,
                                       StoreCapabilities const& caps);

/// Uploads the local file `path` as `key`. Below the threshold: one PutFile. Otherwise multipart,
/// resumable through the journal:
///  - a journal for this store and key whose source identity (path, size, mtime, inode) matches
///    the file → the upload is resumed: ListParts, parts whose size and ETag (or SHA-256) match
///    are reused, only the missing ones are sent, then Complete;
///  - a journal whose source differs (or has none) → that upload is aborted and a fresh one
///    started;
///  - the upload id is journaled before part 1; each acknowledged part is journaled (fsynced).
/// Every part carries its SHA-256. The file must not change while it is uploaded (checked at the
/// end: kAborted, and the upload is aborted). After a failed Complete the object is Stat'ed and
/// accepted when its size matches and its ETag ends "-N" (N = parts).
/// On success the journal is deleted. On failure the journal and the pending upload are kept,
/// so calling UploadFile again resumes.
/// Errors: the store's (kNotFound bucket, kPermissionDenied, transient codes after the retry
/// budget: "gave up after N attempts"); errno statuses for the file or journal.
StatusOr<UploadResult> UploadFile(ObjectStore& store, std::string const& key,
                                  std::filesystem::path const& path, UploadOptions const& options);

/// Aborts multipart uploads under `prefix` initiated more than `older_than` before clock.Now(),
/// except those a resumable journal ("*.upload.json" in `journal_dirs`) names: one whose source
/// is recorded and whose file still has that identity, so UploadFile could resume it. Journals
/// of aborted uploads (e.g. a PipelinedUploadSink killed mid-write: "source": null) are deleted.
/// `older_than` must exceed the longest upload (a running sink's journal has no source yet).
/// Returns how many uploads were aborted. Uploads that vanish meanwhile are not errors.
/// Errors: the store's ListUploads/Abort errors after retries.
StatusOr<int> AbortStaleUploads(ObjectStore& store, std::string const& prefix,
                                std::chrono::seconds older_than, Clock& clock,
                                std::vector<std::filesystem::path> const& journal_dirs = {});

}  // namespace kb::uploader
