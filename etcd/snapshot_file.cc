#include "etcd/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <vector>

#include "agent/base/file_util.h"

namespace kb::etcd {
namespace {

Status NoTrailerError(std::uint64_t size) {
  return DataLossError(fmt::format(
      "no sha256 trailer (size {} is not a multiple of 512 plus 32)", size));
}

/// Discards everything (VerifySnapshotFile only needs the check).
class DiscardSink final : public ChunkSink {
 public:
  Status Write(ByteSpan) override { return OkStatus(); }
  Status Finish() override { return OkStatus(); }
};

}  // namespace

SnapshotVerifierSink::SnapshotVerifierSink(std::unique_ptr<ChunkSink> next)
    : next_(std::move(next)) {}

Status SnapshotVerifierSink::Write(ByteSpan chunk) {
  if (!error_.ok()) return error_;
  // Hash everything except the newest 32 bytes, which may be the trailer.
  if (chunk.size() >= kSnapshotTrailerBytes) {
    sha_.Update(AsBytes(tail_));
    hashed_ += tail_.size();
    ByteSpan body = chunk.first(chunk.size() - kSnapshotTrailerBytes);
    sha_.Update(body);
    hashed_ += body.size();
    ByteSpan last = chunk.last(kSnapshotTrailerBytes);
    tail_.assign(reinterpret_cast<char const*>(last.data()), last.size());
  } else {
    tail_.append(reinterpret_cast<char const*>(chunk.data()), chunk.size());
    if (tail_.size() > kSnapshotTrailerBytes) {
      std::size_t const extra = tail_.size() - kSnapshotTrailerBytes;
      sha_.Update(AsBytes(std::string_view(tail_).substr(0, extra)));
      hashed_ += extra;
      tail_.erase(0, extra);
    }
  }
  error_ = next_->Write(chunk);
  return error_;
}

Status SnapshotVerifierSink::Finish() {
  if (!error_.ok()) return error_;
  std::uint64_t const total = hashed_ + tail_.size();
  if (!HasSnapshotTrailerSize(total)) return error_ = NoTrailerError(total);
  std::string const got = sha_.FinalHex();
  std::string const expected = HexEncode(tail_);
  if (got != expected) {
    return error_ = DataLossError(
               fmt::format("snapshot hash mismatch: expected {}, got {}", expected, got));
  }
  db_bytes_ = hashed_;
  db_sha256_hex_ = got;
  error_ = next_->Finish();
  return error_;
}

StatusOr<SnapshotFileCheck> VerifySnapshotFile(std::filesystem::path const& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path.string());
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, path.string());
  auto const size = static_cast<std::uint64_t>(st.st_size);
  auto corrupt = [&](Status const& s) {
    return DataLossError(
        fmt::format("{}: {}; the file is corrupt, do not restore it", path.string(), s.message()));
  };
  if (!HasSnapshotTrailerSize(size)) {
    return DataLossError(fmt::format("{}: {}; it is truncated or not an etcd snapshot, do not "
                                     "restore it",
                                     path.string(), NoTrailerError(size).message()));
  }
  SnapshotVerifierSink verifier(std::make_unique<DiscardSink>());
  std::vector<char> buf(1 << 20);
  std::uint64_t read_total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, path.string());
    }
    if (n == 0) break;
    read_total += static_cast<std::uint64_t>(n);
    KB_RETURN_IF_ERROR(verifier.Write(
        ByteSpan(reinterpret_cast<std::byte const*>(buf.data()), static_cast<std::size_t>(n))));
  }
  if (read_total != size) {
    return UnavailableError(fmt::format("{}: read {} bytes of {}: the file changed while read",
                                        path.string(), read_total, size));
  }
  if (Status s = verifier.Finish(); !s.ok()) {
    if (s.code() == StatusCode::kDataLoss) return corrupt(s);
    return s.WithPrefix(path.string());
  }
  SnapshotFileCheck check;
  check.file_bytes = size;
  check.db_bytes = verifier.db_bytes();
  check.db_sha256_hex = verifier.db_sha256_hex();
  return check;
}

}  // namespace kb::etcd
