#include "uploader/download.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "agent/base/log.h"

namespace kb::uploader {

namespace fs = std::filesystem;

StatusOr<std::string> ReadObjectToString(ObjectStore& store, std::string const& key) {
  CollectingSink sink;
  KB_RETURN_IF_ERROR(store.Read(key, {}, sink));
  return sink.data();
}

namespace {

// Counts and hashes what reaches the real sink, and remembers a sink failure (which must not be
// retried as if it were the network's).
class Forwarder final : public ChunkSink {
 public:
  Forwarder(ChunkSink& next, DownloadOptions const& options, std::uint64_t total)
      : next_(next), options_(options), total_(total) {}
  Status Write(ByteSpan chunk) override {
    Status st = next_.Write(chunk);
    if (!st.ok()) {
      sink_error_ = st;
      return st;
    }
    sha_.Update(chunk);
    delivered_ += chunk.size();
    if (options_.progress) options_.progress(delivered_, total_);
    return OkStatus();
  }
  Status Finish() override { return OkStatus(); }
  std::uint64_t delivered() const { return delivered_; }
  Status const& sink_error() const { return sink_error_; }
  std::string FinalHex() { return sha_.FinalHex(); }

 private:
  ChunkSink& next_;
  DownloadOptions const& options_;
  std::uint64_t total_;
  std::uint64_t delivered_ = 0;
  Sha256 sha_;
  Status sink_error_;
};

// Writes to an open file descriptor.
class FdSink final : public ChunkSink {
 public:
  FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Status Write(ByteSpan chunk) override {
    auto const* p = reinterpret_cast<char const*>(chunk.data());
    std::size_t left = chunk.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoToStatus(errno, name_);
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    return OkStatus();
  }
  Status Finish() override { return OkStatus(); }

 private:
  int fd_;
  std::string name_;
};

}  // namespace

StatusOr<std::uint64_t> DownloadToSink(ObjectStore& store, std::string const& key,
                                       ChunkSink& sink, DownloadOptions const& options) {
  Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::Instance();
  KB_ASSIGN_OR_RETURN(ObjectInfo info,
                      RetryLoop(options.retry, options.backoff, Idempotency::kIdempotent,
                                "HeadObject", clock, [&] { return store.Stat(key); }));
  Forwarder forward(sink, options, info.size);
  int attempts = 0;
  // Each attempt continues at the first byte not yet delivered, so repeating is safe.
  Status st = RetryLoop(
      options.retry, options.backoff, Idempotency::kIdempotent, "GetObject", clock,
      [&]() -> Status {
        std::uint64_t from = forward.delivered();
        if (from >= info.size && (info.size > 0 || attempts > 0)) return OkStatus();
        if (++attempts > 1) {
          KB_LOG(uploader, info, "download resumed key={} offset={}", key, from);
        }
        Status read = store.Read(key, ByteRange{from, 0}, forward);
        if (!forward.sink_error().ok()) {
          Status const& e = forward.sink_error();
          return IsTransient(e.code()) ? AbortedError("writing the download: " + e.message()) : e;
        }
        return read;
      });
  KB_RETURN_IF_ERROR(st);
  if (forward.delivered() != info.size) {
    return DataLossError(fmt::format("{}/{}: received {} bytes, the object has {} (it changed "
                                     "during the download?)",
                                     store.Describe(), key, forward.delivered(), info.size));
  }
  if (!options.expected_sha256_hex.empty()) {
    std::string got = forward.FinalHex();
    if (got != options.expected_sha256_hex) {
      return DataLossError(fmt::format("{}/{}: sha256 {} differs from the expected {}",
                                       store.Describe(), key, got, options.expected_sha256_hex));
    }
  }
  return forward.delivered();
}

Status DownloadToFile(ObjectStore& store, std::string const& key, fs::path const& path,
                      DownloadOptions const& options) {
  std::error_code ec;
  if (!options.overwrite && fs::exists(path, ec)) {
    return AlreadyExistsError(path.string() + ": already exists");
  }
  fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".part");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoToStatus(errno, tmp.string());
  FdSink file(fd, tmp.string());
  auto got = DownloadToSink(store, key, file, options);
  return PublishTempFile(fd, got.status(), tmp, path);
}

}  // namespace kb::uploader
