#include "uploader/internal/file_store_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "agent/base/json.h"

namespace kb::uploader::internal {

Status WriteAllFd(int fd, std::string_view data, std::string const& name) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, name);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return OkStatus();
}

StatusOr<CopyDigests> CopyRange(std::filesystem::path const& from, std::uint64_t offset,
                                std::uint64_t length, int to_fd, std::string const& to_name,
                                std::uint64_t max_bytes_per_second, Clock& clock) {
  int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, from.string());
  std::size_t const chunk = max_bytes_per_second != 0 ? (64u << 10) : (1u << 20);
  auto buf = std::make_unique<char[]>(chunk);
  Sha256 sha;
  Md5 md5;
  auto const start = clock.Monotonic();
  std::uint64_t done = 0;
  Status st;
  while (done < length) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, length - done));
    ssize_t n = ::pread(fd, buf.get(), want, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      st = n < 0 ? ErrnoToStatus(errno, from.string())
                 : DataLossError(fmt::format("{}: ends at byte {}, expected at least {}",
                                             from.string(), offset + done, offset + length));
      break;
    }
    std::string_view data(buf.get(), static_cast<std::size_t>(n));
    sha.Update(data);
    md5.Update(AsBytes(data));
    st = WriteAllFd(to_fd, data, to_name);
    if (!st.ok()) break;
    done += static_cast<std::uint64_t>(n);
    if (max_bytes_per_second != 0) {
      auto due = start + std::chrono::nanoseconds(
                             static_cast<std::int64_t>(done * 1e9 / max_bytes_per_second));
      auto now = clock.Monotonic();
      if (due > now) clock.SleepFor(due - now);
    }
  }
  ::close(fd);
  if (!st.ok()) return st;
  CopyDigests d;
  d.sha256_hex = sha.FinalHex();
  auto raw = md5.Final();
  d.md5_raw.assign(reinterpret_cast<char const*>(raw.data()), raw.size());
  d.md5_hex = HexEncode(d.md5_raw);
  return d;
}

Status AppendFileRange(std::filesystem::path const& from, std::uint64_t offset,
                       std::uint64_t length, int to_fd, std::string const& to_name) {
  int fd = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, from.string());
  auto short_source = [&](std::uint64_t at) {
    return DataLossError(fmt::format("{}: ends at byte {}, expected at least {}", from.string(),
                                     offset + at, offset + length));
  };
  Status st;
  std::uint64_t done = 0;
  bool in_kernel = true;
  std::unique_ptr<char[]> buf;
  while (st.ok() && done < length) {
    std::size_t const want =
        static_cast<std::size_t>(std::min<std::uint64_t>(length - done, 1u << 30));
    if (in_kernel) {
      loff_t off_in = static_cast<loff_t>(offset + done);
      ssize_t n = ::copy_file_range(fd, &off_in, to_fd, nullptr, want, 0);
      if (n > 0) {
        done += static_cast<std::uint64_t>(n);
      } else if (n == 0) {
        st = short_source(done);
      } else if (errno == EINTR) {
      } else if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
                 errno == EPERM) {
        in_kernel = false;  // not here: copy through user space
      } else {
        st = ErrnoToStatus(errno, to_name);
      }
      continue;
    }
    if (!buf) buf = std::make_unique<char[]>(1u << 20);
    ssize_t n = ::pread(fd, buf.get(), std::min<std::size_t>(want, 1u << 20),
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoToStatus(errno, from.string());
    } else if (n == 0) {
      st = short_source(done);
    } else {
      st = WriteAllFd(to_fd, std::string_view(buf.get(), static_cast<std::size_t>(n)), to_name);
      done += static_cast<std::uint64_t>(n);
    }
  }
  ::close(fd);
  return st;
}

std::string SidecarToJson(Sidecar const& s) {
  json::object meta;
  for (auto const& [k, v] : s.metadata) meta[k] = v;
  json::object o{{"etag", s.etag},
                 {"content_type", s.content_type},
                 {"metadata", std::move(meta)},
                 {"size", s.size},
                 {"mtime_ns", s.mtime_ns}};
  return json::serialize(o);
}

bool SidecarFromJson(std::string const& text, Sidecar& out) {
  auto v = ParseJson(text, "sidecar");
  if (!v.ok() || !v->is_object()) return false;
  json::object const& o = v->as_object();
  out.etag = JsonString(o, "etag");
  out.content_type = JsonString(o, "content_type");
  out.size = static_cast<std::uint64_t>(JsonInt(o, "size", -1));
  out.mtime_ns = JsonInt(o, "mtime_ns", -1);
  out.metadata.clear();
  if (auto const* m = o.if_contains("metadata"); m != nullptr && m->is_object()) {
    for (auto const& [k, val] : m->as_object()) {
      if (val.is_string()) out.metadata[std::string(k)] = std::string(val.as_string());
    }
  }
  return true;
}

Status StatFile(std::filesystem::path const& path, std::uint64_t& size, std::int64_t& mtime_ns) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, path.string());
  if (!S_ISREG(st.st_mode)) return NotFoundError(path.string() + ": not a regular file");
  size = static_cast<std::uint64_t>(st.st_size);
  mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return OkStatus();
}

std::string UniqueName(Clock& clock) {
  static std::atomic<std::uint64_t> counter{0};
  std::string seed = fmt::format("{}-{}-{}-{}", ::getpid(), counter.fetch_add(1),
                                 clock.Now().time_since_epoch().count(),
                                 clock.Monotonic().time_since_epoch().count());
  return Sha256Hex(seed).substr(0, 32);
}

}  // namespace kb::uploader::internal
