#pragma once
// ObjectStore on a local directory (file:///ABS/PATH locations): NFS mounts, USB disks, tests.
// Objects are files ROOT/KEY. Reserved, never listed: ROOT/.uploads/ (multipart uploads as
// .uploads/<upload id>/part-NNNNN files, temp files in .uploads/.tmp/) and ROOT/.meta/ (per
// object JSON sidecars holding the ETag, content type and metadata).
// Every publish is temp → fsync → rename → fsync dir (STYLE.md §6): a crash leaves the old object
// or the new one, never a partial one. ETags follow S3: MD5 hex for Put, md5-of-md5s "-N" for
// multipart.

#include <filesystem>
#include <memory>
#include <string>

#include "agent/base/clock.h"
#include "uploader/object_store.h"

namespace kb::uploader {

/// Tuning of a FileObjectStore.
struct FileStoreOptions {
  /// Entries per List page (tests use small pages). Default: 1000.
  int list_page_size = 1000;
  /// Time source for upload ids, initiated times and the send-rate cap. Default: nullptr = the
  /// system clock. Must outlive the store.
  Clock* clock = nullptr;
};

/// A directory holding objects. Thread-safe (parts of one upload may be written concurrently).
class FileObjectStore final : public ObjectStore {
 public:
  /// Opens (creating it, mode 0750, when missing) the directory `root`, which must be absolute.
  /// Errors: kInvalidArgument (relative path), errno statuses naming `root`.
  static StatusOr<std::unique_ptr<FileObjectStore>> Create(std::filesystem::path root,
                                                           FileStoreOptions options = {});

  std::string Describe() const override;
  /// Same limits as S3 (5 MiB minimum part), so a location behaves alike on either backend.
  StoreCapabilities Capabilities() const override;
  Status Put(std::string const& key, std::string_view data, PutOptions const& options) override;
  Status PutFile(std::string const& key, PartSource const& source,
                 PutOptions const& options) override;
  StatusOr<UploadPtr> BeginUpload(std::string const& key, PutOptions const& options) override;
  StatusOr<UploadPtr> ResumeUpload(std::string const& key, std::string const& upload_id) override;
  StatusOr<std::vector<PendingUpload>> ListUploads(std::string const& prefix) override;
  Status Read(std::string const& key, ByteRange range, ChunkSink& sink) override;
  StatusOr<ObjectInfo> Stat(std::string const& key) override;
  StatusOr<ListPage> List(std::string const& prefix, std::string const& delimiter,
                          std::string const& page_token) override;
  Status Delete(std::string const& key) override;

  /// The directory holding the objects (absolute, normalised).
  std::filesystem::path const& root() const { return root_; }

  // Used by the multipart upload (file_upload.cc).

  /// Errors: kInvalidArgument unless `key` is a relative path of non-empty segments, without
  /// "." or "..", outside the reserved .uploads/ and .meta/.
  Status CheckKey(std::string const& key) const;
  /// Directory of upload `upload_id`.
  std::filesystem::path UploadDir(std::string const& upload_id) const;
  /// A new unique temp path under ROOT/.uploads/.tmp/ (the directory is created).
  StatusOr<std::filesystem::path> TempPath();
  /// Publishes the fsynced temp file `tmp` as `key` with its ETag, content type and metadata:
  /// sidecar first, then rename, then fsync of the directory. On failure `tmp` is removed.
  Status Publish(std::filesystem::path const& tmp, std::string const& key,
                 std::string const& etag, PutOptions const& options);
  /// The store's time source (upload ids, initiated times, rate-cap sleeps).
  Clock& clock() { return *clock_; }

 private:
  FileObjectStore(std::filesystem::path root, FileStoreOptions options);
  std::filesystem::path root_;
  FileStoreOptions options_;
  Clock* clock_;
};

}  // namespace kb::uploader
