#include "kube/velero_tar_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace kb::kube {
namespace {

constexpr std::size_t kCoalesceBytes = 64u << 10;  // small source chunks are merged up to this
constexpr la_int64_t kTarBlockBytes = 512;

/// Compressed bytes from the download thread (one producer) to the reader (one consumer): a
/// FIFO of chunks holding at most `max_bytes` (one larger chunk is queued alone).
class ChunkQueue {
 public:
  explicit ChunkQueue(std::size_t max_bytes) : max_bytes_(std::max<std::size_t>(max_bytes, 1)) {}

  /// Producer: queues a copy of `chunk`, waiting while the queue is full. kCancelled once the
  /// consumer has stopped.
  Status Push(ByteSpan chunk) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] {
      return stopped_ || queue_.empty() || bytes_ + chunk.size() <= max_bytes_;
    });
    if (stopped_) return CancelledError("tarball download: the reader stopped");
    if (chunk.empty()) return OkStatus();
    auto const* data = reinterpret_cast<char const*>(chunk.data());
    if (!queue_.empty() && queue_.back().size() + chunk.size() <= kCoalesceBytes) {
      queue_.back().append(data, chunk.size());
    } else {
      queue_.emplace_back(data, chunk.size());
    }
    bytes_ += chunk.size();
    changed_.notify_all();
    return OkStatus();
  }

  /// Producer: the source returned `end` (OK: the stream is complete).
  void Close(Status end) {
    std::lock_guard lock(mu_);
    ended_ = true;
    end_ = std::move(end);
    changed_.notify_all();
  }

  /// Consumer: moves the next chunk (never empty) into `out` and returns true; false at the end
  /// of a complete stream; or the source's error once the chunks before it are consumed.
  StatusOr<bool> Pop(std::string& out) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return !queue_.empty() || ended_; });
    if (queue_.empty()) {
      if (!end_.ok()) return end_;
      return false;
    }
    out = std::move(queue_.front());
    queue_.pop_front();
    bytes_ -= out.size();
    changed_.notify_all();
    return true;
  }

  /// Consumer: stops reading; the queued bytes are dropped and Push returns kCancelled.
  void Stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    queue_.clear();
    bytes_ = 0;
    changed_.notify_all();
  }

 private:
  std::size_t const max_bytes_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;
  std::size_t bytes_ = 0;
  bool stopped_ = false;
  bool ended_ = false;
  Status end_;
};

/// The sink a TarballSource writes into.
class QueueSink final : public ChunkSink {
 public:
  explicit QueueSink(ChunkQueue& queue) : queue_(queue) {}
  Status Write(ByteSpan chunk) override {
    if (error_.ok()) error_ = queue_.Push(chunk);
    return error_;
  }
  Status Finish() override { return InternalError("a TarballSource must not call Finish"); }

 private:
  ChunkQueue& queue_;
  Status error_;
};

/// Runs `source` on a thread of its own into a queue; on destruction, stops the queue (the
/// source's next Write fails) and joins the thread.
class Download {
 public:
  Download(TarballSource const& source, std::size_t queue_bytes)
      : queue_(queue_bytes), thread_([this, &source] {
          QueueSink sink(queue_);
          queue_.Close(source(sink));
        }) {}
  ~Download() { queue_.Stop(); }  // then thread_, declared last, joins
  ChunkQueue& queue() { return queue_; }

 private:
  ChunkQueue queue_;
  std::jthread thread_;
};

/// libarchive converts PAX names (UTF-8) to the thread's locale and warns when it cannot, which
/// in the "C" locale is any non-ASCII name. Reads under C.UTF-8 (this thread only).
class Utf8Locale {
 public:
  Utf8Locale() : utf8_(newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t{})) {
    if (utf8_ != locale_t{}) caller_ = uselocale(utf8_);
  }
  ~Utf8Locale() {
    if (utf8_ == locale_t{}) return;
    uselocale(caller_);
    freelocale(utf8_);
  }
  /// Runs `f` in the caller's locale.
  Status InCallerLocale(std::function<Status()> const& f) {
    if (utf8_ == locale_t{}) return f();
    uselocale(caller_);
    Status st = f();
    uselocale(utf8_);
    return st;
  }

 private:
  locale_t utf8_;
  locale_t caller_ = LC_GLOBAL_LOCALE;
};

bool AllZero(std::span<char const> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

/// The '/'-separated segments of `path`, empty ones included.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = std::min(path.find('/', start), path.size());
    segments.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

/// "" for a regular file or directory with a safe relative path, else why it is refused.
std::string WhyRefused(struct archive_entry* e, std::string const& path) {
  if (path.empty()) return "empty path";
  if (path.front() == '/') return "absolute path";
  if (std::ranges::count(SplitPath(path), "..") > 0) return "\"..\" in path";
  if (archive_entry_hardlink(e) != nullptr) return "hard link";
  if (archive_entry_symlink(e) != nullptr) return "symbolic link";
  switch (archive_entry_filetype(e)) {
    case AE_IFREG: return archive_entry_sparse_count(e) > 0 ? "sparse file" : "";
    case AE_IFDIR: return "";
    case AE_IFLNK: return "symbolic link";
    case AE_IFCHR: return "character device";
    case AE_IFBLK: return "block device";
    case AE_IFIFO: return "fifo";
    case AE_IFSOCK: return "socket";
    default: return fmt::format("file type {:o}", archive_entry_filetype(e));
  }
}

/// Two libarchive readers: `gz_` (gzip filter, one or more members, raw format) decompresses
/// the downloaded bytes; `tar_` (tar format: ustar, PAX, GNU) reads what `gz_` yields. Unlike a
/// tar reader on top of the filter, `gz_` is read to the end of the last member, so a cut
/// after the tar's end-of-archive marker is seen too.
class TarballReader {
 public:
  TarballReader(ChunkQueue& queue, std::string_view what) : queue_(queue), what_(what) {}
  ~TarballReader() {
    if (tar_ != nullptr) archive_read_free(tar_);
    if (gz_ != nullptr) archive_read_free(gz_);
  }

  /// Recognizes gzip, then tar. Errors: the source's, kDataLoss.
  Status Open() {
    gz_ = archive_read_new();
    tar_ = archive_read_new();
    if (gz_ == nullptr || tar_ == nullptr) return InternalError("tarball: archive_read_new failed");
    if (archive_read_support_filter_gzip(gz_) != ARCHIVE_OK ||
        archive_read_support_format_raw(gz_) != ARCHIVE_OK ||
        archive_read_support_format_empty(gz_) != ARCHIVE_OK ||
        archive_read_support_format_tar(tar_) != ARCHIVE_OK) {
      return InternalError("tarball: libarchive lacks gzip or tar support");
    }
    // Opening bids for a format, which decompresses the first block already.
    if (archive_read_open(gz_, this, nullptr, &ReadCompressed, nullptr) != ARCHIVE_OK) {
      return GzipError(head_ == "\x1f\x8b" ? "truncated or corrupt gzip" : "not a gzip stream");
    }
    if (archive_filter_code(gz_, 0) != ARCHIVE_FILTER_GZIP) {
      return DataLossError(fmt::format("{}: not a gzip stream", what_));
    }
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(gz_, &entry);
    gz_eof_ = r == ARCHIVE_EOF;  // the "empty" format: nothing inside the gzip
    if (r != ARCHIVE_OK && !gz_eof_) return GzipError("truncated or corrupt gzip");
    if (archive_read_open(tar_, this, nullptr, &ReadTar, nullptr) != ARCHIVE_OK) {
      return TarError(tar_delivered_ == 0 ? "empty archive" : "not a tar archive");
    }
    return OkStatus();
  }

  /// The next regular file, or nullopt after the end-of-archive marker. Errors: the source's,
  /// kDataLoss.
  StatusOr<std::optional<TarEntry>> Next(std::uint64_t max_entry_bytes) {
    for (;;) {
      struct archive_entry* e = nullptr;
      int r = archive_read_next_header(tar_, &e);
      if (r == ARCHIVE_EOF) return std::nullopt;
      // ARCHIVE_WARN too: a malformed PAX record is ignored, a name that is not UTF-8 mangled.
      if (r != ARCHIVE_OK) {
        return TarError(fmt::format("bad tar header at byte {} (after {:?})",
                                    archive_read_header_position(tar_), path_));
      }
      char const* name = archive_entry_pathname(e);
      path_ = name != nullptr ? name : "";
      std::string why = WhyRefused(e, path_);
      if (!why.empty()) return Refuse(why + " refused");
      if (archive_entry_filetype(e) == AE_IFDIR) continue;
      KB_ASSIGN_OR_RETURN(std::string content, ReadData(e, max_entry_bytes));
      return TarEntry{path_, std::move(content)};
    }
  }

  /// After Next returned nullopt: the end-of-archive marker was really there (libarchive also
  /// stops silently where the data ends at a block boundary), only zeros follow it, the gzip
  /// stream ends properly, and no bytes follow it. Errors: the source's, kDataLoss.
  Status Finish() {
    la_int64_t const end = archive_filter_bytes(tar_, 0);
    if (end < archive_read_header_position(tar_) + kTarBlockBytes) {
      return DataLossError(fmt::format("{}: no end-of-archive marker after {:?} (tar cut at "
                                       "byte {})", what_, path_, end));
    }
    // What libarchive read past the marker in the current block (bytes of an earlier block left
    // in its buffer, under one tar block, are not seen), then the rest of the stream.
    auto const block_start = static_cast<la_int64_t>(tar_delivered_ - block_.size());
    auto const from = static_cast<std::size_t>(std::max(end, block_start) - block_start);
    bool zeros = from >= block_.size() || AllZero(block_.subspan(from));
    for (;;) {
      KB_ASSIGN_OR_RETURN(std::span<char const> rest, NextBlock());
      if (rest.empty()) break;
      zeros = zeros && AllZero(rest);
    }
    if (!zeros) return DataLossError(fmt::format("{}: data after the tar end-of-archive", what_));
    for (;;) {  // the download's end: anything left is not gzip
      StatusOr<bool> got = queue_.Pop(chunk_);
      if (!got.ok()) return std::move(got).status();
      if (!*got) break;
      gz_delivered_ += chunk_.size();
    }
    auto const consumed = static_cast<std::uint64_t>(archive_filter_bytes(gz_, -1));
    if (gz_delivered_ > consumed) {
      return DataLossError(fmt::format("{}: {} bytes after the end of the gzip stream", what_,
                                       gz_delivered_ - consumed));
    }
    return OkStatus();
  }

 private:
  static la_ssize_t ReadCompressed(struct archive* a, void* self, void const** buffer) {
    auto* r = static_cast<TarballReader*>(self);
    StatusOr<bool> got = r->queue_.Pop(r->chunk_);
    if (!got.ok()) {
      r->source_error_ = std::move(got).status();
      archive_set_error(a, EIO, "download failed");
      return -1;
    }
    if (!*got) return 0;
    if (r->head_.size() < 2) r->head_.append(r->chunk_, 0, 2 - r->head_.size());
    r->gz_delivered_ += r->chunk_.size();
    *buffer = r->chunk_.data();
    return static_cast<la_ssize_t>(r->chunk_.size());
  }

  static la_ssize_t ReadTar(struct archive* a, void* self, void const** buffer) {
    auto* r = static_cast<TarballReader*>(self);
    StatusOr<std::span<char const>> block = r->NextBlock();
    if (!block.ok()) {
      r->gzip_error_ = std::move(block).status();
      archive_set_error(a, EIO, "gzip failed");
      return -1;
    }
    r->block_ = *block;
    r->tar_delivered_ += block->size();
    *buffer = block->data();
    return static_cast<la_ssize_t>(block->size());
  }

  /// The next decompressed bytes, valid until the next call; empty at the end of the stream.
  StatusOr<std::span<char const>> NextBlock() {
    while (!gz_eof_) {
      void const* buffer = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(gz_, &buffer, &size, &offset);
      gz_eof_ = r == ARCHIVE_EOF;
      if (r != ARCHIVE_OK && !gz_eof_) return GzipError("truncated or corrupt gzip");
      if (size > 0) return std::span<char const>(static_cast<char const*>(buffer), size);
    }
    return std::span<char const>();
  }

  StatusOr<std::string> ReadData(struct archive_entry* e, std::uint64_t max_entry_bytes) {
    la_int64_t const declared = archive_entry_size(e);
    if (declared < 0 || static_cast<std::uint64_t>(declared) > max_entry_bytes) {
      return Refuse(fmt::format("{} bytes, over the limit of {}", declared, max_entry_bytes));
    }
    std::string content(static_cast<std::size_t>(declared), '\0');
    std::size_t got = 0;
    la_ssize_t n = 1;
    while (got < content.size() && n > 0) {
      n = archive_read_data(tar_, content.data() + got, content.size() - got);
      got += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    char probe = 0;
    if (n >= 0) n = archive_read_data(tar_, &probe, 1);  // must be the end of the entry
    if (n < 0) return TarError(fmt::format("data of {:?}", path_));
    if (got != content.size() || n > 0) {
      return Refuse(fmt::format("{}{} bytes of data, header says {}", got, n > 0 ? "+" : "",
                                declared));
    }
    return content;
  }

  Status Refuse(std::string_view why) const {
    return DataLossError(fmt::format("{}: tar entry {:?}: {}", what_, path_, why));
  }
  Status GzipError(std::string_view step) const {
    if (!source_error_.ok()) return source_error_;
    char const* msg = archive_error_string(gz_);
    return DataLossError(fmt::format("{}: {}: {}", what_, step, msg ? msg : "cut short"));
  }
  Status TarError(std::string_view step) const {
    if (!gzip_error_.ok()) return gzip_error_;  // the source's, or GzipError's
    char const* msg = archive_error_string(tar_);
    return DataLossError(fmt::format("{}: {}: {}", what_, step, msg ? msg : "cut short"));
  }

  ChunkQueue& queue_;
  std::string const what_;
  struct archive* gz_ = nullptr;
  struct archive* tar_ = nullptr;
  std::string chunk_;               // the compressed bytes gz_ reads now
  std::string head_;                // the first two: gzip's magic number or not
  std::uint64_t gz_delivered_ = 0;  // compressed bytes handed to gz_
  bool gz_eof_ = false;
  std::span<char const> block_;      // the decompressed bytes tar_ reads now
  std::uint64_t tar_delivered_ = 0;  // decompressed bytes handed to tar_
  Status source_error_;
  Status gzip_error_;
  std::string path_;  // the current or last entry's
};

}  // namespace

Status ReadVeleroTarball(TarballSource const& source, std::string_view what,
                         TarReadLimits const& limits,
                         std::function<Status(TarEntry&&)> const& on_entry) {
  Download download(source, limits.queue_bytes);  // destroyed last: stops, then joins
  Utf8Locale locale;
  TarballReader reader(download.queue(), what);
  KB_RETURN_IF_ERROR(reader.Open());
  for (;;) {
    KB_ASSIGN_OR_RETURN(std::optional<TarEntry> entry, reader.Next(limits.max_entry_bytes));
    if (!entry) break;
    KB_RETURN_IF_ERROR(locale.InCallerLocale([&] { return on_entry(std::move(*entry)); }));
  }
  return reader.Finish();
}

std::optional<ItemPath> ParseItemPath(std::string_view path) {
  std::vector<std::string_view> const seg = SplitPath(path);
  if (seg.size() < 4 || seg.size() > 6 || seg[0] != "resources") return std::nullopt;
  for (std::string_view s : seg) {
    if (s.empty() || s == "." || s == "..") return std::nullopt;
  }
  constexpr std::string_view kJson = ".json";
  std::string_view file = seg.back();
  if (!file.ends_with(kJson) || file.size() == kJson.size()) return std::nullopt;
  std::string_view version, ns;
  if (seg.size() == 4) {  // resources/<GR>/cluster/<name>.json
    if (seg[2] != "cluster") return std::nullopt;
  } else if (seg.size() == 5 && seg[2] == "namespaces") {  // .../namespaces/<ns>/<name>.json
    ns = seg[3];
  } else if (seg.size() == 5 && seg[3] == "cluster") {  // .../<version>/cluster/<name>.json
    version = seg[2];
  } else if (seg.size() == 6 && seg[3] == "namespaces") {  // .../<version>/namespaces/<ns>/...
    version = seg[2];
    ns = seg[4];
  } else {
    return std::nullopt;
  }
  if (version == "cluster" || version == "namespaces" || version == "-preferredversion") {
    return std::nullopt;
  }
  ItemPath item;
  item.group_resource = seg[1];
  item.version_dir = version;
  item.namespace_name = ns;
  item.name = file.substr(0, file.size() - kJson.size());
  item.cluster_scoped = ns.empty();
  return item;
}

}  // namespace kb::kube
