#include "uploader/file_object_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "agent/base/crypto.h"
#include "agent/base/file_util.h"
#include "uploader/internal/file_store_io.h"

namespace kb::uploader {

namespace fs = std::filesystem;
using internal::Sidecar;

namespace {

constexpr char kUploadsDir[] = ".uploads";
constexpr char kMetaDir[] = ".meta";

// Removes empty directories from `dir` up to (not including) `root`.
void RemoveEmptyParents(fs::path dir, fs::path const& root) {
  std::error_code ec;
  while (dir != root && dir.string().size() > root.string().size()) {
    if (!fs::is_empty(dir, ec) || ec || !fs::remove(dir, ec)) return;
    dir = dir.parent_path();
  }
}

}  // namespace

FileObjectStore::FileObjectStore(fs::path root, FileStoreOptions options)
    : root_(std::move(root)), options_(options),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Instance()) {}

StatusOr<std::unique_ptr<FileObjectStore>> FileObjectStore::Create(fs::path root,
                                                                   FileStoreOptions options) {
  if (!root.is_absolute()) {
    return InvalidArgumentError(fmt::format("{}: the store directory must be absolute",
                                            root.string()));
  }
  if (options.list_page_size < 1) return InvalidArgumentError("list_page_size must be >= 1");
  root = root.lexically_normal();
  if (root.string().size() > 1 && root.string().ends_with("/")) root = root.parent_path();
  KB_RETURN_IF_ERROR(EnsureDir(root));
  return std::unique_ptr<FileObjectStore>(new FileObjectStore(std::move(root), options));
}

std::string FileObjectStore::Describe() const { return "file://" + root_.string(); }

StoreCapabilities FileObjectStore::Capabilities() const { return StoreCapabilities{}; }

Status FileObjectStore::CheckKey(std::string const& key) const {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("key \"{}\" in {}: {}", key, Describe(), why));
  };
  if (key.empty()) return bad("empty");
  if (key.front() == '/' || key.back() == '/') return bad("starts or ends with \"/\"");
  if (key.find('\0') != std::string::npos) return bad("contains NUL");
  std::size_t pos = 0;
  bool first = true;
  while (pos <= key.size()) {
    std::size_t next = key.find('/', pos);
    if (next == std::string::npos) next = key.size();
    std::string_view seg(key.data() + pos, next - pos);
    if (seg.empty() || seg == "." || seg == "..") return bad("has an empty, \".\" or \"..\" part");
    if (first && (seg == kUploadsDir || seg == kMetaDir)) return bad("uses a reserved directory");
    first = false;
    pos = next + 1;
  }
  return OkStatus();
}

fs::path FileObjectStore::UploadDir(std::string const& upload_id) const {
  return root_ / kUploadsDir / upload_id;
}

StatusOr<fs::path> FileObjectStore::TempPath() {
  fs::path dir = root_ / kUploadsDir / ".tmp";
  KB_RETURN_IF_ERROR(EnsureDir(dir));
  return dir / internal::UniqueName(*clock_);
}

Status FileObjectStore::Publish(fs::path const& tmp, std::string const& key,
                                std::string const& etag, PutOptions const& options) {
  fs::path target = root_ / key;
  fs::path meta = root_ / kMetaDir / (key + ".json");
  Sidecar s{.etag = etag, .content_type = options.content_type, .metadata = options.metadata};
  Status st = internal::StatFile(tmp, s.size, s.mtime_ns);
  if (st.ok()) st = EnsureDir(meta.parent_path());
  if (st.ok()) st = WriteFileAtomically(meta, internal::SidecarToJson(s));
  if (st.ok()) st = EnsureDir(target.parent_path());
  if (st.ok() && ::rename(tmp.c_str(), target.c_str()) != 0) {
    st = ErrnoToStatus(errno, target.string());
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDir(target.parent_path());
}

Status FileObjectStore::Put(std::string const& key, std::string_view data,
                            PutOptions const& options) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  KB_ASSIGN_OR_RETURN(fs::path tmp, TempPath());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoToStatus(errno, tmp.string());
  Status st = internal::WriteAllFd(fd, data, tmp.string());
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, tmp.string());
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  Md5 md5;
  md5.Update(AsBytes(data));
  return Publish(tmp, key, md5.FinalHex(), options);
}

Status FileObjectStore::PutFile(std::string const& key, PartSource const& source,
                                PutOptions const& options) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  KB_ASSIGN_OR_RETURN(fs::path tmp, TempPath());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoToStatus(errno, tmp.string());
  auto digests = internal::CopyRange(source.path, source.offset, source.length, fd, tmp.string(),
                                     source.max_send_bytes_per_second, *clock_);
  Status st = digests.status();
  if (st.ok() && !source.sha256_hex.empty() && digests->sha256_hex != source.sha256_hex) {
    st = DataLossError(fmt::format("{}: bytes [{}, {}) have sha256 {}, expected {} (the file "
                                   "changed while it was sent)",
                                   source.path.string(), source.offset,
                                   source.offset + source.length, digests->sha256_hex,
                                   source.sha256_hex));
  }
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoToStatus(errno, tmp.string());
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return Publish(tmp, key, digests->md5_hex, options);
}

Status FileObjectStore::Read(std::string const& key, ByteRange range, ChunkSink& sink) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  fs::path path = root_ / key;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, Describe() + "/" + key);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  off_t end = ::lseek(fd, 0, SEEK_END);
  if (end < 0) return ErrnoToStatus(errno, path.string());
  auto size = static_cast<std::uint64_t>(end);
  bool whole = range.offset == 0 && range.length == 0;
  if (!whole && range.offset >= size) {
    return OutOfRangeError(fmt::format("{}/{}: range starts at {} but the object has {} bytes",
                                       Describe(), key, range.offset, size));
  }
  std::uint64_t stop = range.length == 0 ? size : std::min(size, range.offset + range.length);
  constexpr std::size_t kChunk = 1 << 20;
  auto buf = std::make_unique<std::byte[]>(kChunk);
  for (std::uint64_t pos = range.offset; pos < stop;) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, stop - pos));
    ssize_t n = ::pread(fd, buf.get(), want, static_cast<off_t>(pos));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, path.string());
    if (n == 0) return DataLossError(path.string() + ": shrank while being read");
    KB_RETURN_IF_ERROR(sink.Write(ByteSpan(buf.get(), static_cast<std::size_t>(n))));
    pos += static_cast<std::uint64_t>(n);
  }
  return OkStatus();
}

StatusOr<ObjectInfo> FileObjectStore::Stat(std::string const& key) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  ObjectInfo info;
  info.key = key;
  std::int64_t mtime_ns = 0;
  Status st = internal::StatFile(root_ / key, info.size, mtime_ns);
  if (st.code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("{}/{}: no such object", Describe(), key));
  }
  KB_RETURN_IF_ERROR(st);
  info.last_modified = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(mtime_ns)));
  Sidecar s;
  auto text = ReadFileToString(root_ / kMetaDir / (key + ".json"));
  if (text.ok() && internal::SidecarFromJson(*text, s) && s.size == info.size &&
      s.mtime_ns == mtime_ns) {
    info.etag = s.etag;
    info.metadata = s.metadata;
  } else {
    // Placed by another tool: no sidecar. Size and mtime still change when the content does.
    info.etag = fmt::format("{:x}-{:x}", info.size, mtime_ns);
  }
  return info;
}

StatusOr<ListPage> FileObjectStore::List(std::string const& prefix, std::string const& delimiter,
                                         std::string const& page_token) {
  // Walk only the deepest directory the prefix names.
  fs::path start = root_;
  if (auto slash = prefix.rfind('/'); slash != std::string::npos) {
    start = root_ / prefix.substr(0, slash);
  }
  std::vector<std::string> keys;
  std::error_code ec;
  if (fs::is_directory(start, ec)) {
    fs::recursive_directory_iterator it(start, ec), end;
    if (ec) return ErrnoToStatus(ec.value(), start.string());
    for (; it != end; it.increment(ec)) {
      if (ec) return ErrnoToStatus(ec.value(), start.string());
      std::string rel = it->path().lexically_relative(root_).generic_string();
      if (it.depth() == 0 && start == root_ &&
          (rel == kUploadsDir || rel == kMetaDir)) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec) && rel.starts_with(prefix)) keys.push_back(std::move(rel));
    }
  }
  std::sort(keys.begin(), keys.end());
  // Names (keys and folded prefixes) come out in key order, so the last one emitted is the
  // page token: the next page starts after it.
  ListPage page;
  std::string last_name;
  int emitted = 0;
  for (std::string const& key : keys) {
    std::string name = key;
    bool folded = false;
    if (!delimiter.empty()) {
      auto pos = key.find(delimiter, prefix.size());
      if (pos != std::string::npos) {
        name = key.substr(0, pos + delimiter.size());
        folded = true;
      }
    }
    if (!page_token.empty() && name <= page_token) continue;
    if (folded && !page.common_prefixes.empty() && page.common_prefixes.back() == name) continue;
    if (emitted == options_.list_page_size) {
      page.next_page_token = last_name;  // the last name emitted, object or prefix
      break;
    }
    if (folded) {
      page.common_prefixes.push_back(name);
    } else {
      KB_ASSIGN_OR_RETURN(ObjectInfo info, Stat(key));
      page.objects.push_back(std::move(info));
    }
    last_name = name;
    ++emitted;
  }
  return page;
}

Status FileObjectStore::Delete(std::string const& key) {
  KB_RETURN_IF_ERROR(CheckKey(key));
  fs::path path = root_ / key;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoToStatus(errno, path.string());
  fs::path meta = root_ / kMetaDir / (key + ".json");
  ::unlink(meta.c_str());
  RemoveEmptyParents(path.parent_path(), root_);
  RemoveEmptyParents(meta.parent_path(), root_ / kMetaDir);
  return OkStatus();
}

}  // namespace kb::uploader
