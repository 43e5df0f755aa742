#pragma once
// An ObjectStore decorator for tests: counts calls per operation and injects failures
// (a part that fails, a Complete that succeeds but reports an error, a GET cut short).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "uploader/object_store.h"

namespace kb::testing {

/// Calls seen per operation (a snapshot).
struct StoreCounts {
  int put = 0, put_file = 0, begin_upload = 0, resume_upload = 0, upload_part = 0,
      list_parts = 0, complete = 0, abort = 0, list_uploads = 0, read = 0, stat = 0, list = 0,
      del = 0;
};

/// Wraps `inner` (not owned; must outlive this). Thread-safe.
class CountingObjectStore final : public uploader::ObjectStore {
 public:
  explicit CountingObjectStore(uploader::ObjectStore& inner) : inner_(inner) {}

  /// After `ok_parts` more successful UploadPart calls, every UploadPart fails with `status`
  /// without reaching the store (a "crash" when `status` is not transient). Negative: never.
  void FailUploadPartsAfter(int ok_parts, Status status);
  /// The next `times` UploadPart calls fail with `status` without reaching the store; later ones
  /// pass (a flaky network when `status` is transient).
  void FailNextUploadParts(int times, Status status);
  /// The next BeginUpload call fails with `status` without reaching the store.
  void FailNextBeginUpload(Status status);
  /// The next `times` Complete calls reach the store and succeed there, but report `status`
  /// (a response lost after the commit).
  void FailCompleteAfterCommit(int times, Status status);
  /// The next Complete call fails with `status` without reaching the store.
  void FailCompleteBeforeCommit(Status status);
  /// The next Read delivers at most `bytes` bytes, then fails with `status` (a dropped GET).
  void FailReadAfterBytes(std::uint64_t bytes, Status status);
  /// Clears the counts (not the injected failures).
  void ResetCounts();
  StoreCounts counts() const;

  std::string Describe() const override { return inner_.Describe(); }
  uploader::StoreCapabilities Capabilities() const override { return inner_.Capabilities(); }
  Status Put(std::string const& key, std::string_view data,
             uploader::PutOptions const& options) override;
  Status PutFile(std::string const& key, uploader::PartSource const& source,
                 uploader::PutOptions const& options) override;
  StatusOr<uploader::UploadPtr> BeginUpload(std::string const& key,
                                            uploader::PutOptions const& options) override;
  StatusOr<uploader::UploadPtr> ResumeUpload(std::string const& key,
                                             std::string const& upload_id) override;
  StatusOr<std::vector<uploader::PendingUpload>> ListUploads(std::string const& prefix) override;
  Status Read(std::string const& key, uploader::ByteRange range, ChunkSink& sink) override;
  StatusOr<uploader::ObjectInfo> Stat(std::string const& key) override;
  StatusOr<uploader::ListPage> List(std::string const& prefix, std::string const& delimiter,
                                    std::string const& page_token) override;
  Status Delete(std::string const& key) override;

 private:
  friend class CountingUpload;
  uploader::UploadPtr Wrap(uploader::UploadPtr upload);

  uploader::ObjectStore& inner_;
  struct Atomics {
    std::atomic<int> put{0}, put_file{0}, begin_upload{0}, resume_upload{0}, upload_part{0},
        list_parts{0}, complete{0}, abort{0}, list_uploads{0}, read{0}, stat{0}, list{0}, del{0};
  } n_;
  mutable std::mutex mu_;
  int parts_left_ = -1;  // successful parts before failing; -1: never
  Status part_error_;
  int part_fail_times_ = 0;
  Status part_fail_error_;
  Status begin_error_;
  int complete_after_left_ = 0;
  Status complete_after_error_;
  Status complete_before_error_;
  std::uint64_t read_cut_ = 0;
  Status read_error_;
};

}  // namespace kb::testing
