#include "agent/base/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kb {

Status ErrnoToStatus(int err, std::string const& what) {
  std::string msg = fmt::format("{}: {}", what, std::strerror(err));
  switch (err) {
    case ENOENT: return NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS: return PermissionDeniedError(msg + " (check the path's permissions)");
    case EEXIST: return AlreadyExistsError(msg);
    case ENOSPC:
    case EDQUOT: return ResourceExhaustedError(msg + " (free disk space)");
    default: return UnavailableError(msg);
  }
}

StatusOr<std::string> ReadFileToString(std::filesystem::path const& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path.string());
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return ErrnoToStatus(e, path.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

namespace {
Status WriteAll(int fd, char const* p, std::size_t n, std::string const& what) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, what);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return OkStatus();
}
}  // namespace

Status SyncDir(std::filesystem::path const& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, dir.string());
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return ErrnoToStatus(e, dir.string());
  return OkStatus();
}

Status EnsureDir(std::filesystem::path const& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), dir.string());
  return OkStatus();
}

Status PublishTempFile(int fd, Status written, std::filesystem::path const& tmp,
                       std::filesystem::path const& path) {
  Status st = std::move(written);
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, tmp.string());
  // Renamed while still open: a writer's flock (OpenLockedTempFile) holds until it is in place.
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = ErrnoToStatus(errno, path.string());
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDir(path.parent_path());
}

Status WriteFileAtomically(std::filesystem::path const& path, std::string_view data) {
  auto tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  KB_ASSIGN_OR_RETURN(int fd, OpenLockedTempFile(tmp, O_WRONLY));
  return PublishTempFile(fd, WriteAll(fd, data.data(), data.size(), tmp.string()), tmp, path);
}

StatusOr<std::unique_ptr<AtomicFileSink>> AtomicFileSink::Create(std::filesystem::path path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return AlreadyExistsError(fmt::format("{}: already exists", path.string()));
  }
  auto tmp = path.parent_path() / ("." + path.filename().string() + ".part");
  KB_ASSIGN_OR_RETURN(int fd, OpenLockedTempFile(tmp, O_WRONLY));
  return std::unique_ptr<AtomicFileSink>(new AtomicFileSink(std::move(path), std::move(tmp), fd));
}

StatusOr<int> OpenLockedTempFile(std::filesystem::path const& tmp, int flags) {
  int fd = ::open(tmp.c_str(), flags | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoToStatus(errno, tmp.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return AbortedError(tmp.string() + ": another process is writing it");
    }
    return ErrnoToStatus(err, tmp.string());
  }
  // Truncated only once locked: never under a live writer.
  if (::ftruncate(fd, 0) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, tmp.string());
  }
  return fd;
}

bool TempFileHasWriter(std::filesystem::path const& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool const locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops the lock if it was taken here
  return locked;
}

AtomicFileSink::~AtomicFileSink() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) ::unlink(tmp_.c_str());
}

Status AtomicFileSink::Write(ByteSpan chunk) {
  if (!error_.ok()) return error_;
  error_ = WriteAll(fd_, reinterpret_cast<char const*>(chunk.data()), chunk.size(), tmp_.string());
  return error_;
}

Status AtomicFileSink::Finish() {
  if (!error_.ok()) return error_;
  if (::fsync(fd_) != 0) return error_ = ErrnoToStatus(errno, tmp_.string());
  // Renamed while still open: the flock holds until the file is in place.
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return error_ = ErrnoToStatus(errno, path_.string());
  }
  ::close(fd_);
  fd_ = -1;
  done_ = true;
  return SyncDir(path_.parent_path());
}

}  // namespace kb
