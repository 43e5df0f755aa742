#pragma once
// The local journal of a multipart upload: what lets a killed upload resume and send only the
// missing parts. JSON, rewritten atomically (temp → fsync → rename → fsync dir) after the upload
// id is known (before part 1 is sent) and after every part.
//
// {"version":1, "location":"s3://b/p at http://…", "key":"…", "upload_id":"…",
//  "part_size":16777216,
//  "source":{"path":"/abs/file","size":N,"mtime_ns":N,"inode":N} | null,
//  "parts":[{"number":1,"size":N,"etag":"…","sha256":"…"}, …]}
//
// "source" is null while a PipelinedUploadSink is still writing the file; it is filled in when
// the file is final, and only then can UploadFile resume the upload.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/status.h"
#include "uploader/object_store.h"

namespace kb::uploader {

/// Current journal format version.
inline constexpr int kUploadJournalVersion = 1;

/// Identifies one version of a local file: a different size, mtime or inode means a different
/// file, whose parts must not be reused.
struct SourceIdentity {
  std::string path;  ///< absolute
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  ///< modification time, ns since the epoch
  std::uint64_t inode = 0;
  friend bool operator==(SourceIdentity const&, SourceIdentity const&) = default;
};

/// The identity of `path` now (made absolute). Errors: errno statuses naming the file.
StatusOr<SourceIdentity> IdentifyFile(std::filesystem::path const& path);

/// One upload's journal.
struct UploadJournal {
  int version = kUploadJournalVersion;
  std::string location;  ///< ObjectStore::Describe() of the store the upload belongs to
  std::string key;
  std::string upload_id;
  std::uint64_t part_size = 0;  ///< bytes; every part but the last has this size
  std::optional<SourceIdentity> source;  ///< nullopt while the file is still being written
  std::vector<PartInfo> parts;           ///< parts the store acknowledged, ascending
};

/// Serializes `journal` to JSON (parts sorted by number).
std::string JournalToJson(UploadJournal const& journal);

/// Parses a journal. `what` names the file in messages.
/// Errors: kDataLoss for malformed JSON or missing fields (the caller discards the journal);
/// kFailedPrecondition for a newer version.
StatusOr<UploadJournal> ParseJournal(std::string_view text, std::string const& what);

/// Reads the journal at `path`; nullopt when there is none. Errors: as ParseJournal, and errno
/// statuses other than ENOENT.
StatusOr<std::optional<UploadJournal>> ReadJournal(std::filesystem::path const& path);

/// Writes `journal` to `path` atomically and durably. Errors: errno statuses (kResourceExhausted
/// when the disk is full).
Status WriteJournal(std::filesystem::path const& path, UploadJournal const& journal);

/// Deletes the journal at `path` (OK when absent) and fsyncs its directory.
Status RemoveJournal(std::filesystem::path const& path);

/// The journal path used when UploadOptions::journal_path is empty: ".<name>.upload.json"
/// beside `source`.
std::filesystem::path DefaultJournalPath(std::filesystem::path const& source);

}  // namespace kb::uploader
