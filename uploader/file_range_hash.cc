#include "uploader/file_range_hash.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"

namespace kb::uploader {

StatusOr<FileRangeDigests> HashFileRange(std::filesystem::path const& path, std::uint64_t offset,
                                         std::uint64_t length, bool with_md5) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path.string());
  constexpr std::size_t kChunk = 1 << 20;
  auto buf = std::make_unique<std::byte[]>(kChunk);
  Sha256 sha;
  Md5 md5;
  std::uint64_t done = 0;
  Status st;
  while (done < length) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, length - done));
    ssize_t n = ::pread(fd, buf.get(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoToStatus(errno, path.string());
      break;
    }
    if (n == 0) {
      st = DataLossError(fmt::format("{}: ends at byte {}, expected at least {}", path.string(),
                                     offset + done, offset + length));
      break;
    }
    ByteSpan chunk(buf.get(), static_cast<std::size_t>(n));
    sha.Update(chunk);
    if (with_md5) md5.Update(chunk);
    done += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  if (!st.ok()) return st;
  FileRangeDigests d;
  d.sha256_hex = sha.FinalHex();
  if (with_md5) d.md5_hex = md5.FinalHex();
  return d;
}

}  // namespace kb::uploader
