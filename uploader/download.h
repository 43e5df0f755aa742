#pragma once
// Resumable downloads: a transient failure mid-object continues with a Range GET from the bytes
// already received, within the retry budget.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "agent/base/chunk_sink.h"
#include "agent/base/clock.h"
#include "agent/base/retry_loop.h"
#include "uploader/object_store.h"

namespace kb::uploader {

/// How to download. Copied per download.
struct DownloadOptions {
  /// Retry budget of the whole object (all Range GETs) and of the Stat. Default: 8 in 120 s.
  RetryPolicy retry;
  /// Backoff between attempts. Default: 200 ms doubling to 20 s, full jitter.
  BackoffPolicy backoff;
  /// Time source for backoff sleeps. Default: nullptr = the system clock.
  Clock* clock = nullptr;
  /// Called with (bytes done, bytes total) as data arrives. Default: none.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  /// When set, the SHA-256 (hex) the object must have; a mismatch fails with kDataLoss and
  /// (DownloadToFile) nothing is published. Default: empty = not checked.
  std::string expected_sha256_hex;
  /// DownloadToFile: replace an existing file. Default: false (kAlreadyExists).
  bool overwrite = false;
};

/// Streams object `key` into `sink` (sink.Write only; the caller calls Finish), continuing after
/// transient failures from the bytes already delivered. The size is checked against Stat.
/// Returns the bytes delivered.
/// Errors: kNotFound (no such key); kDataLoss (size or SHA-256 differs: the object changed or
/// was corrupted); the sink's errors (not retried); store errors after the retry budget.
StatusOr<std::uint64_t> DownloadToSink(ObjectStore& store, std::string const& key,
                                       ChunkSink& sink, DownloadOptions const& options);

/// Reads the whole of a small object `key` (a manifest, a metadata file) into memory, in one
/// GET without retries. Errors: kNotFound (no such key), the store's.
StatusOr<std::string> ReadObjectToString(ObjectStore& store, std::string const& key);

/// Downloads object `key` to `path` through ".<name>.part" beside it: fsync, rename, fsync of
/// the directory only when the whole object arrived and matched. A failure leaves no file at
/// `path` (and removes the temp file).
/// Errors: as DownloadToSink; kAlreadyExists when `path` exists and !overwrite; errno statuses.
Status DownloadToFile(ObjectStore& store, std::string const& key,
                      std::filesystem::path const& path, DownloadOptions const& options);

}  // namespace kb::uploader
