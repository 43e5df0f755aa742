#include "uploader/internal/upload_engine.h"

#include <algorithm>

#include "agent/base/log.h"

namespace kb::uploader::internal {

Clock& ClockOf(UploadOptions const& options) {
  return options.clock != nullptr ? *options.clock : SystemClock::Instance();
}

PartSender::PartSender(Upload& upload, UploadOptions const& options,
                       std::filesystem::path journal_path, UploadJournal journal,
                       std::uint64_t total_bytes)
    : upload_(upload), options_(options), journal_path_(std::move(journal_path)),
      journal_(std::move(journal)), total_bytes_(total_bytes) {}

Status PartSender::Send(int number, PartSource source) {
  if (options_.cancel != nullptr && options_.cancel->load()) {
    return CancelledError(fmt::format("part {} of {} not sent: the upload was stopped (shutdown); "
                                      "its journal {} resumes it",
                                      number, upload_.key(), journal_path_.string()));
  }
  source.max_send_bytes_per_second = options_.rate_limit_bytes_per_second;
  source.cancel = options_.cancel;
  auto part = RetryLoop(options_.retry, options_.backoff, Idempotency::kIdempotent, "UploadPart",
                        ClockOf(options_), [&] { return upload_.UploadPart(number, source); });
  if (!part.ok()) {
    return part.status().WithPrefix(fmt::format("part {} of {}", number, upload_.key()));
  }
  KB_LOG(uploader, debug, "part sent key={} part={} bytes={} etag={}", upload_.key(), number,
         part->size, part->etag);
  sent_.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  return AddLocked(std::move(*part));
}

Status PartSender::Reuse(PartInfo part) {
  reused_.fetch_add(1);
  std::lock_guard<std::mutex> lock(mu_);
  return AddLocked(std::move(part));
}

Status PartSender::AddLocked(PartInfo part) {
  std::uint64_t size = part.size;
  auto it = std::find_if(journal_.parts.begin(), journal_.parts.end(),
                         [&](PartInfo const& p) { return p.number == part.number; });
  if (it != journal_.parts.end()) {
    *it = std::move(part);
  } else {
    journal_.parts.push_back(std::move(part));
  }
  done_bytes_ += size;
  Status st = WriteJournal(journal_path_, journal_);
  if (options_.progress) options_.progress(done_bytes_, std::max(total_bytes_, done_bytes_));
  return st;
}

Status PartSender::SetSource(SourceIdentity const& source) {
  std::lock_guard<std::mutex> lock(mu_);
  journal_.source = source;
  total_bytes_ = source.size;
  return WriteJournal(journal_path_, journal_);
}

std::vector<PartInfo> PartSender::Parts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PartInfo> parts = journal_.parts;
  std::sort(parts.begin(), parts.end(),
            [](PartInfo const& a, PartInfo const& b) { return a.number < b.number; });
  return parts;
}

StatusOr<UploadPtr> BeginJournaledUpload(ObjectStore& store, std::string const& key,
                                         UploadOptions const& options,
                                         std::filesystem::path const& journal_path,
                                         UploadJournal& journal) {
  // A new upload id per call: a blind retry could leave an orphan upload behind.
  PutOptions put = options.put;
  put.part_size = journal.part_size;  // every part but the last has this size
  KB_ASSIGN_OR_RETURN(UploadPtr upload,
                      RetryLoop(options.retry, options.backoff, Idempotency::kNonIdempotent,
                                "CreateMultipartUpload", ClockOf(options),
                                [&] { return store.BeginUpload(key, put); }));
  journal.location = store.Describe();
  journal.key = key;
  journal.upload_id = upload->upload_id();
  journal.parts.clear();
  Status st = WriteJournal(journal_path, journal);
  if (!st.ok()) {
    IgnoreError(upload->Abort());
    return st.WithPrefix("upload journal");
  }
  KB_LOG(uploader, debug, "upload begun key={} upload_id={} journal={}", key, journal.upload_id,
         journal_path.string());
  return upload;
}

StatusOr<std::string> CompleteChecked(ObjectStore& store, Upload& upload,
                                      std::vector<PartInfo> const& parts,
                                      std::uint64_t total_bytes, UploadOptions const& options) {
  std::string const suffix = "-" + std::to_string(parts.size());
  return RetryLoop(
      options.retry, options.backoff, Idempotency::kIdempotent, "CompleteMultipartUpload",
      ClockOf(options), [&]() -> StatusOr<std::string> {
        auto etag = upload.Complete(parts);
        if (etag.ok()) return etag;
        auto info = store.Stat(upload.key());
        if (info.ok() && info->size == total_bytes && info->etag.ends_with(suffix)) {
          KB_LOG(uploader, info, "complete accepted key={} etag={} after error=\"{}\"",
                 upload.key(), info->etag, etag.status().message());
          return info->etag;
        }
        return etag.status();
      });
}

Status AbortUpload(ObjectStore& store, std::string const& key, std::string const& upload_id,
                   UploadOptions const& options) {
  Status st = RetryLoop(options.retry, options.backoff, Idempotency::kIdempotent,
                        "AbortMultipartUpload", ClockOf(options), [&]() -> Status {
                          KB_ASSIGN_OR_RETURN(UploadPtr upload,
                                              store.ResumeUpload(key, upload_id));
                          return upload->Abort();
                        });
  if (st.code() == StatusCode::kNotFound) return OkStatus();
  return st;
}

}  // namespace kb::uploader::internal
