#include "uploader/pipelined_upload_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "agent/base/file_util.h"
#include "agent/base/log.h"
#include "uploader/internal/part_pool.h"
#include "uploader/internal/upload_engine.h"
#include "uploader/upload_journal.h"

namespace kb::uploader {

namespace fs = std::filesystem;

PipelinedUploadSink::PipelinedUploadSink(ObjectStore& store, std::string key, fs::path path,
                                         UploadOptions options)
    : store_(store), key_(std::move(key)), path_(std::move(path)), options_(std::move(options)),
      part_sha_(std::make_unique<Sha256>()) {}

StatusOr<std::unique_ptr<PipelinedUploadSink>> PipelinedUploadSink::Create(
    ObjectStore& store, std::string key, fs::path path, UploadOptions options) {
  std::error_code ec;
  path = fs::absolute(path, ec).lexically_normal();
  if (ec) return ErrnoToStatus(ec.value(), path.string());
  if (fs::exists(path, ec)) return AlreadyExistsError(path.string() + ": already exists");
  StoreCapabilities caps = store.Capabilities();
  KB_ASSIGN_OR_RETURN(std::uint64_t part_size,
                      ChoosePartSize(options.size_hint, options.part_size, caps));
  std::unique_ptr<PipelinedUploadSink> sink(
      new PipelinedUploadSink(store, std::move(key), path, std::move(options)));
  sink->part_size_ = part_size;
  sink->threshold_ = sink->options_.multipart_threshold != 0 ? sink->options_.multipart_threshold
                                                             : part_size;
  sink->max_parts_ = caps.max_parts;
  sink->journal_path_ = sink->options_.journal_path.empty() ? DefaultJournalPath(path)
                                                            : sink->options_.journal_path;
  sink->tmp_ = path.parent_path() / ("." + path.filename().string() + ".part");
  KB_ASSIGN_OR_RETURN(sink->fd_, OpenLockedTempFile(sink->tmp_, O_RDWR));
  return sink;
}

PipelinedUploadSink::~PipelinedUploadSink() {
  pool_.reset();  // drops queued parts, waits for the ones in flight
  if (fd_ >= 0) ::close(fd_);
  if (committed_local_) return;  // the journal names the final file: resumable
  if (upload_ != nullptr) {
    Status st = upload_->Abort();  // one attempt: AbortStaleUploads catches a failure
    if (!st.ok()) {
      KB_LOG(uploader, warn, "abort failed key={} upload_id={} error=\"{}\"", key_,
             upload_->upload_id(), st.message());
    }
    IgnoreError(RemoveJournal(journal_path_));
  }
  ::unlink(tmp_.c_str());
}

void PipelinedUploadSink::CloseCurrentPart() {
  ready_.push_back(ReadyPart{next_number_++, part_start_, written_ - part_start_,
                             part_sha_->FinalHex()});
  part_sha_ = std::make_unique<Sha256>();
  part_start_ = written_;
}

Status PipelinedUploadSink::Write(ByteSpan chunk) {
  if (!error_.ok()) return error_;
  if (finished_) return error_ = FailedPreconditionError("Write after Finish");
  while (!chunk.empty()) {
    std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(chunk.size(), part_size_ - (written_ - part_start_)));
    for (std::size_t done = 0; done < n;) {
      ssize_t w = ::write(fd_, chunk.data() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return error_ = ErrnoToStatus(errno, tmp_.string());
      done += static_cast<std::size_t>(w);
    }
    part_sha_->Update(chunk.first(n));
    written_ += n;
    chunk = chunk.subspan(n);
    if (written_ - part_start_ == part_size_) {
      if (next_number_ > max_parts_) {
        return error_ = FailedPreconditionError(fmt::format(
                   "{}: the stream exceeds {} parts of {} bytes; raise the part size or set "
                   "size_hint",
                   key_, max_parts_, part_size_));
      }
      CloseCurrentPart();
    }
  }
  if (upload_ == nullptr && written_ >= threshold_) {
    error_ = StartMultipart();
    if (!error_.ok()) return error_;
  }
  if (upload_ != nullptr) {
    std::vector<ReadyPart> ready = std::move(ready_);
    ready_.clear();
    for (ReadyPart& p : ready) {
      if (!cancelled_.ok()) break;  // the local file goes on; the resume sends these parts
      Status st = Submit(std::move(p));
      if (st.code() == StatusCode::kCancelled) {
        cancelled_ = st;
      } else if (!st.ok()) {
        return error_ = st;
      }
    }
  }
  return OkStatus();
}

Status PipelinedUploadSink::StartMultipart() {
  UploadJournal journal;
  journal.part_size = part_size_;  // source stays null until the file is final
  KB_ASSIGN_OR_RETURN(upload_, internal::BeginJournaledUpload(store_, key_, options_,
                                                              journal_path_, journal));
  sender_ = std::make_unique<internal::PartSender>(*upload_, options_, journal_path_, journal,
                                                   options_.size_hint);
  pool_ = std::make_unique<internal::PartPool>(options_.parallelism, options_.parallelism);
  return OkStatus();
}

Status PipelinedUploadSink::Submit(ReadyPart p) {
  return pool_->Submit([this, p] {
    return sender_->Send(p.number, PartSource{.path = tmp_, .offset = p.offset,
                                              .length = p.length, .sha256_hex = p.sha256_hex});
  });
}

Status PipelinedUploadSink::Finish() {
  if (!error_.ok()) return error_;
  if (finished_) return FailedPreconditionError("Finish called twice");
  finished_ = true;
  if (written_ > part_start_) CloseCurrentPart();
  Status sent;
  if (upload_ != nullptr) {
    sent = cancelled_;
    for (ReadyPart& p : ready_) {
      if (!sent.ok()) break;
      sent = Submit(std::move(p));
    }
    ready_.clear();
    Status waited = pool_->Wait();
    if (sent.ok()) sent = waited;
  }
  // Commit the local file (it is complete whatever happened to the upload).
  if (::fsync(fd_) != 0) return error_ = ErrnoToStatus(errno, tmp_.string());
  // Renamed while still open: the flock holds until the file is in place.
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return error_ = ErrnoToStatus(errno, path_.string());
  }
  ::close(fd_);
  fd_ = -1;
  committed_local_ = upload_ != nullptr;
  Status synced = SyncDir(path_.parent_path());
  if (!synced.ok()) return error_ = synced;
  KB_ASSIGN_OR_RETURN(SourceIdentity id, IdentifyFile(path_));
  if (upload_ == nullptr) {  // below the threshold: one PUT of the committed file
    UploadOptions single = options_;
    single.multipart_threshold = threshold_;
    auto r = UploadFile(store_, key_, path_, single);
    if (!r.ok()) return error_ = r.status();
    result_ = std::move(*r);
    return OkStatus();
  }
  Status journaled = sender_->SetSource(id);
  if (!sent.ok()) return error_ = sent;  // journal kept: UploadFile resumes
  if (!journaled.ok()) return error_ = journaled;
  error_ = FinishUpload();
  return error_;
}

Status PipelinedUploadSink::FinishUpload() {
  std::vector<PartInfo> parts = sender_->Parts();
  KB_ASSIGN_OR_RETURN(std::string etag,
                      internal::CompleteChecked(store_, *upload_, parts, written_, options_));
  KB_RETURN_IF_ERROR(RemoveJournal(journal_path_));
  result_ = UploadResult{.bytes = written_, .parts_total = static_cast<int>(parts.size()),
                         .parts_sent = sender_->sent(), .parts_reused = 0, .resumed = false,
                         .upload_id = upload_->upload_id(), .etag = etag};
  KB_LOG(uploader, info, "pipelined upload done key={} bytes={} parts={}", key_, written_,
         parts.size());
  return OkStatus();
}

}  // namespace kb::uploader
