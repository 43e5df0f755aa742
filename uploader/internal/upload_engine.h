#pragma once
// Pieces shared by UploadFile and PipelinedUploadSink: retried store calls, the journal kept in
// step with acknowledged parts, and Complete with its after-failure check.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "uploader/multipart_uploader.h"
#include "uploader/upload_journal.h"

namespace kb::uploader::internal {

/// The clock of `options` (the system clock when unset).
Clock& ClockOf(UploadOptions const& options);

/// Sends parts of one upload and keeps its journal in step. Thread-safe: Send runs on workers.
class PartSender {
 public:
  /// `journal` already holds the upload id; it is rewritten at `journal_path` after each part.
  /// `total_bytes` feeds the progress callback (0 = unknown yet).
  PartSender(Upload& upload, UploadOptions const& options, std::filesystem::path journal_path,
             UploadJournal journal, std::uint64_t total_bytes);

  /// Sends part `number` from `source` (kIdempotent retries), then journals it durably.
  Status Send(int number, PartSource source);
  /// Records a part already on the server (resume) in the journal and the progress.
  Status Reuse(PartInfo part);
  /// Records the final file's identity in the journal (and the total for progress).
  Status SetSource(SourceIdentity const& source);
  /// Parts sent or reused so far, ascending.
  std::vector<PartInfo> Parts() const;
  int sent() const { return sent_.load(); }
  int reused() const { return reused_.load(); }
  std::filesystem::path const& journal_path() const { return journal_path_; }

 private:
  Status AddLocked(PartInfo part);

  Upload& upload_;
  UploadOptions const& options_;
  std::filesystem::path journal_path_;
  mutable std::mutex mu_;
  UploadJournal journal_;
  std::uint64_t total_bytes_;
  std::uint64_t done_bytes_ = 0;
  std::atomic<int> sent_{0};
  std::atomic<int> reused_{0};
};

/// BeginUpload (kNonIdempotent: one attempt per new id) and journal the id before any part.
/// On a journal write failure the new upload is aborted.
StatusOr<UploadPtr> BeginJournaledUpload(ObjectStore& store, std::string const& key,
                                         UploadOptions const& options,
                                         std::filesystem::path const& journal_path,
                                         UploadJournal& journal);

/// Completes `upload` with `parts`. Each attempt that fails Stat's the object and accepts it
/// when its size is `total_bytes` and its ETag ends "-<parts.size()>" (an earlier attempt
/// succeeded). That check makes repeating safe, so attempts are retried as kIdempotent.
StatusOr<std::string> CompleteChecked(ObjectStore& store, Upload& upload,
                                      std::vector<PartInfo> const& parts,
                                      std::uint64_t total_bytes, UploadOptions const& options);

/// Aborts `upload_id` of `key` (kIdempotent retries); OK when it is already gone.
Status AbortUpload(ObjectStore& store, std::string const& key, std::string const& upload_id,
                   UploadOptions const& options);

}  // namespace kb::uploader::internal
