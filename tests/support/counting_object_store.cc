#include "tests/support/counting_object_store.h"

namespace kb::testing {

using uploader::PartInfo;
using uploader::PartSource;
using uploader::UploadPtr;

class CountingUpload final : public uploader::Upload {
 public:
  CountingUpload(CountingObjectStore& store, UploadPtr inner)
      : store_(store), inner_(std::move(inner)) {}
  std::string const& key() const override { return inner_->key(); }
  std::string const& upload_id() const override { return inner_->upload_id(); }

  StatusOr<PartInfo> UploadPart(int number, PartSource const& source) override {
    store_.n_.upload_part++;
    {
      std::lock_guard<std::mutex> lock(store_.mu_);
      if (store_.part_fail_times_ > 0) {
        --store_.part_fail_times_;
        return store_.part_fail_error_;
      }
      if (store_.parts_left_ == 0) return store_.part_error_;
      if (store_.parts_left_ > 0) --store_.parts_left_;
    }
    return inner_->UploadPart(number, source);
  }
  StatusOr<std::vector<PartInfo>> ListParts() override {
    store_.n_.list_parts++;
    return inner_->ListParts();
  }
  StatusOr<std::string> Complete(std::vector<PartInfo> const& parts) override {
    store_.n_.complete++;
    Status before, after;
    {
      std::lock_guard<std::mutex> lock(store_.mu_);
      before = std::exchange(store_.complete_before_error_, OkStatus());
      if (store_.complete_after_left_ > 0) {
        --store_.complete_after_left_;
        after = store_.complete_after_error_;
      }
    }
    if (!before.ok()) return before;
    auto r = inner_->Complete(parts);
    if (r.ok() && !after.ok()) return after;
    return r;
  }
  Status Abort() override {
    store_.n_.abort++;
    return inner_->Abort();
  }

 private:
  CountingObjectStore& store_;
  UploadPtr inner_;
};

namespace {

// Passes at most `limit` bytes on, then reports `error`.
class CutSink final : public ChunkSink {
 public:
  CutSink(ChunkSink& next, std::uint64_t limit, Status error)
      : next_(next), limit_(limit), error_(std::move(error)) {}
  Status Write(ByteSpan chunk) override {
    if (cut_) return error_;
    if (chunk.size() > limit_) {
      cut_ = true;
      if (limit_ > 0) KB_RETURN_IF_ERROR(next_.Write(chunk.first(limit_)));
      return error_;
    }
    limit_ -= chunk.size();
    return next_.Write(chunk);
  }
  Status Finish() override { return OkStatus(); }
  bool cut() const { return cut_; }

 private:
  ChunkSink& next_;
  std::uint64_t limit_;
  Status error_;
  bool cut_ = false;
};

}  // namespace

void CountingObjectStore::FailUploadPartsAfter(int ok_parts, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  parts_left_ = ok_parts;
  part_error_ = std::move(status);
}

void CountingObjectStore::FailNextUploadParts(int times, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  part_fail_times_ = times;
  part_fail_error_ = std::move(status);
}

void CountingObjectStore::FailNextBeginUpload(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  begin_error_ = std::move(status);
}

void CountingObjectStore::FailCompleteAfterCommit(int times, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  complete_after_left_ = times;
  complete_after_error_ = std::move(status);
}

void CountingObjectStore::FailCompleteBeforeCommit(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  complete_before_error_ = std::move(status);
}

void CountingObjectStore::FailReadAfterBytes(std::uint64_t bytes, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  read_cut_ = bytes;
  read_error_ = std::move(status);
}

void CountingObjectStore::ResetCounts() {
  for (auto* a : {&n_.put, &n_.put_file, &n_.begin_upload, &n_.resume_upload, &n_.upload_part,
                  &n_.list_parts, &n_.complete, &n_.abort, &n_.list_uploads, &n_.read, &n_.stat,
                  &n_.list, &n_.del}) {
    a->store(0);
  }
}

StoreCounts CountingObjectStore::counts() const {
  return StoreCounts{n_.put.load(),        n_.put_file.load(),   n_.begin_upload.load(),
                     n_.resume_upload.load(), n_.upload_part.load(), n_.list_parts.load(),
                     n_.complete.load(),   n_.abort.load(),      n_.list_uploads.load(),
                     n_.read.load(),       n_.stat.load(),       n_.list.load(),
                     n_.del.load()};
}

UploadPtr CountingObjectStore::Wrap(UploadPtr upload) {
  return UploadPtr(new CountingUpload(*this, std::move(upload)));
}

Status CountingObjectStore::Put(std::string const& key, std::string_view data,
                                uploader::PutOptions const& options) {
  n_.put++;
  return inner_.Put(key, data, options);
}

Status CountingObjectStore::PutFile(std::string const& key, PartSource const& source,
                                    uploader::PutOptions const& options) {
  n_.put_file++;
  return inner_.PutFile(key, source, options);
}

StatusOr<UploadPtr> CountingObjectStore::BeginUpload(std::string const& key,
                                                     uploader::PutOptions const& options) {
  n_.begin_upload++;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!begin_error_.ok()) return std::exchange(begin_error_, OkStatus());
  }
  KB_ASSIGN_OR_RETURN(UploadPtr u, inner_.BeginUpload(key, options));
  return Wrap(std::move(u));
}

StatusOr<UploadPtr> CountingObjectStore::ResumeUpload(std::string const& key,
                                                      std::string const& upload_id) {
  n_.resume_upload++;
  KB_ASSIGN_OR_RETURN(UploadPtr u, inner_.ResumeUpload(key, upload_id));
  return Wrap(std::move(u));
}

StatusOr<std::vector<uploader::PendingUpload>> CountingObjectStore::ListUploads(
    std::string const& prefix) {
  n_.list_uploads++;
  return inner_.ListUploads(prefix);
}

Status CountingObjectStore::Read(std::string const& key, uploader::ByteRange range,
                                 ChunkSink& sink) {
  n_.read++;
  Status error;
  std::uint64_t cut = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    error = std::exchange(read_error_, OkStatus());
    cut = read_cut_;
  }
  if (error.ok()) return inner_.Read(key, range, sink);
  CutSink cut_sink(sink, cut, error);
  Status st = inner_.Read(key, range, cut_sink);
  return cut_sink.cut() ? error : st;
}

StatusOr<uploader::ObjectInfo> CountingObjectStore::Stat(std::string const& key) {
  n_.stat++;
  return inner_.Stat(key);
}

StatusOr<uploader::ListPage> CountingObjectStore::List(std::string const& prefix,
                                                       std::string const& delimiter,
                                                       std::string const& page_token) {
  n_.list++;
  return inner_.List(prefix, delimiter, page_token);
}

Status CountingObjectStore::Delete(std::string const& key) {
  n_.del++;
  return inner_.Delete(key);
}

}  // namespace kb::testing
