#pragma once
// Uploads a stream WHILE it is written to a local file (snapshot pipeline: … → zstd → here).
//
// Bytes go to the temp file ".<name>.part" beside `path`. Each time a part's worth is in the
// file, its {range, SHA-256 computed on the fly} goes to a bounded pool of `parallelism` workers
// that send it by reading the range back (page cache). Memory is O(chunk): no part is buffered.
// Backpressure: Write blocks while `parallelism` parts are queued behind the ones in flight.
//
// Finish(): sends the last part and waits for all parts; fsyncs the local file, renames it to
// `path` and fsyncs the directory; records the final file's identity in the journal; then
// completes the upload and deletes the journal. A stream below the multipart threshold is
// committed locally, then sent with one PutFile.
//
// Crash semantics (process killed):
//  - while writing: ".<name>.part" and a journal with "source": null remain. A journal without
//    a source never resumes and does not protect its upload: AbortStaleUploads (given the
//    journal's directory) aborts the upload once older than its age limit and deletes the
//    journal. The snapshot is incomplete anyway; the ".part" file is the caller's to remove.
//  - after the local rename (Finish sending/completing): the journal names the final file, so
//    UploadFile(store, key, path, same journal_path) resumes: the parts already sent are
//    reused, only missing ones are sent, then Complete.
// Destroyed without Finish: the upload is aborted, the journal and the temp file deleted.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/base/chunk_sink.h"
#include "agent/base/crypto.h"
#include "uploader/multipart_uploader.h"
#include "uploader/object_store.h"

namespace kb::uploader {

namespace internal {
class PartPool;
class PartSender;
}  // namespace internal

/// A ChunkSink that writes a local file and uploads it as `key` at the same time.
/// Not thread-safe (one producer); uses its own worker threads.
class PipelinedUploadSink final : public ChunkSink {
 public:
  /// Opens ".<name>.part" beside `path`. Nothing is sent until a part is complete (or Finish).
  /// `store` must outlive the sink. The part size is ChoosePartSize(options.size_hint, …); the
  /// journal goes to options.journal_path, else DefaultJournalPath(path).
  /// Errors: kAlreadyExists when `path` exists; errno statuses for the temp file;
  /// kInvalidArgument for options the store cannot take.
  static StatusOr<std::unique_ptr<PipelinedUploadSink>> Create(ObjectStore& store,
                                                               std::string key,
                                                               std::filesystem::path path,
                                                               UploadOptions options);
  ~PipelinedUploadSink() override;

  /// Appends `chunk` to the local file; hands complete parts to the workers (may block).
  /// Errors (sticky): disk errors; the first failed part's error (after its retries);
  /// kFailedPrecondition when the stream exceeds max_parts × part size (raise the part size or
  /// set size_hint). A part stopped by options.cancel is not an error here: the local file is
  /// written on to its end, no further part is sent, and Finish returns the kCancelled status.
  Status Write(ByteSpan chunk) override;
  /// Sends the rest, commits the local file, completes the upload (see the file comment).
  /// When sending fails after the local file is complete, the file is still committed and the
  /// journal kept (resume with UploadFile); the upload error is returned.
  Status Finish() override;

  /// What was uploaded; valid after Finish() returned OK.
  UploadResult const& result() const { return result_; }
  /// The temp file being written (".<name>.part").
  std::filesystem::path const& temp_path() const { return tmp_; }

 private:
  PipelinedUploadSink(ObjectStore& store, std::string key, std::filesystem::path path,
                      UploadOptions options);
  // A complete part: its range in the file and the SHA-256 of its bytes.
  struct ReadyPart {
    int number;
    std::uint64_t offset;
    std::uint64_t length;
    std::string sha256_hex;
  };
  Status StartMultipart();
  Status Submit(ReadyPart part);
  void CloseCurrentPart();
  Status FinishUpload();

  ObjectStore& store_;
  std::string key_;
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  std::filesystem::path journal_path_;
  UploadOptions options_;
  int fd_ = -1;
  std::uint64_t part_size_ = 0;
  std::uint64_t threshold_ = 0;
  int max_parts_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t part_start_ = 0;
  std::unique_ptr<Sha256> part_sha_;
  std::vector<ReadyPart> ready_;  // complete parts not yet handed to the pool (before multipart)
  int next_number_ = 1;
  UploadPtr upload_;
  std::unique_ptr<internal::PartSender> sender_;
  std::unique_ptr<internal::PartPool> pool_;
  bool committed_local_ = false;
  bool finished_ = false;
  Status error_;
  Status cancelled_;  // options.cancel stopped the upload: parts are no longer sent
  UploadResult result_;
};

}  // namespace kb::uploader
