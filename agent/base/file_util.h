#pragma once
// File helpers on POSIX calls: atomic publish (STYLE.md §6), fsync, whole-file reads.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "agent/base/chunk_sink.h"
#include "agent/base/status.h"

namespace kb {

/// Reads the whole file at `path`. Errors: kNotFound, kPermissionDenied, kUnavailable (I/O).
StatusOr<std::string> ReadFileToString(std::filesystem::path const& path);

/// Writes `data` to `path` so that a crash leaves either the old file or the new one:
/// temp name ".<name>.tmp" beside it → fsync → rename → fsync the directory.
Status WriteFileAtomically(std::filesystem::path const& path, std::string_view data);

/// Publishes the temp file `tmp`, open as `fd` and written with outcome `written`: fsync, close,
/// rename to `path`, fsync of the directory. On any failure (`written` included) the temp file
/// is removed and the first error returned; `fd` is closed in every case.
Status PublishTempFile(int fd, Status written, std::filesystem::path const& tmp,
                       std::filesystem::path const& path);

/// fsyncs the directory `dir` so a rename inside it is durable.
Status SyncDir(std::filesystem::path const& dir);

/// Creates `dir` and its parents (mode 0750) if missing.
Status EnsureDir(std::filesystem::path const& dir);

/// Opens (creating or truncating) the temp file `tmp` for writing and takes an exclusive
/// flock(2) on it for as long as `fd` stays open, so TempFileHasWriter can tell a file still
/// being written from a killed writer's leftover. Returns the fd (O_CLOEXEC, mode 0640).
/// Errors: errno statuses naming `tmp`; kAborted when another process holds its lock.
StatusOr<int> OpenLockedTempFile(std::filesystem::path const& tmp, int flags);

/// True when a live process has `path` open through OpenLockedTempFile (it holds the flock);
/// false for a leftover of a killed writer, or when `path` cannot be opened.
bool TempFileHasWriter(std::filesystem::path const& path);

/// A sink that writes to `path` through a temp file ".<name>.part" beside it. Finish fsyncs,
/// renames to `path` and fsyncs the directory; destruction without Finish unlinks the temp file,
/// so a half-written file is never visible under its final name.
class AtomicFileSink final : public ChunkSink {
 public:
  /// Errors: kAlreadyExists when `path` exists, kPermissionDenied/kUnavailable on open failure.
  static StatusOr<std::unique_ptr<AtomicFileSink>> Create(std::filesystem::path path);
  ~AtomicFileSink() override;
  Status Write(ByteSpan chunk) override;
  Status Finish() override;
  std::filesystem::path const& temp_path() const { return tmp_; }

 private:
  AtomicFileSink(std::filesystem::path path, std::filesystem::path tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_;
  bool done_ = false;
  Status error_;
};

/// Maps errno from an operation on `what` to a Status whose message names `what`.
Status ErrnoToStatus(int err, std::string const& what);

}  // namespace kb
