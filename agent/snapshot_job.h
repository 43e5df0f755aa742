#pragma once
// One etcd snapshot, end to end: stream from etcd → verify etcd's sha256 trailer → zstd →
// local file and pipelined multipart upload at once → manifest last → prune old local copies.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/base/clock.h"
#include "agent/base/status.h"
#include "etcd/etcd_client.h"
#include "etcd/snapshot_manifest.h"
#include "uploader/location.h"
#include "uploader/multipart_uploader.h"

namespace kb::agent {

/// What to snapshot and where to put it.
struct SnapshotJobOptions {
  etcd::EtcdConnectOptions etcd;
  /// Backup location URL (file:///..., s3://...).
  std::string location;
  /// How to open it (credentials the config names). Default: the default chain.
  uploader::LocationOptions location_options;
  /// Where local copies live. Default: /var/lib/kbackup/snapshots.
  std::filesystem::path snapshot_dir = "/var/lib/kbackup/snapshots";
  /// Local copies kept (the newest); older ones are deleted only after a new one completed.
  /// Default: 5.
  int keep_local = 5;
  std::string cluster_name = "default";
  std::string node_name;
  /// zstd level 1..19. Default: 3.
  int compression_level = 3;
  /// zstd worker threads. Default: 2.
  int compression_workers = 2;
  /// Recorded as the manifest's expires_at. Default: none (kept until deleted).
  std::optional<std::chrono::seconds> ttl;
  uploader::UploadOptions upload;
  /// Multipart uploads under the snapshot prefix older than this that no journal can resume are
  /// aborted after a successful snapshot (leftovers of killed runs, here or on other nodes).
  /// Must exceed the longest snapshot. Default: 24 hours. (Local leftovers go at once:
  /// RemoveLeftoverFiles.)
  std::chrono::seconds stale_after = std::chrono::hours(24);
  /// Show progress on stderr (only when it is a TTY).
  bool progress = false;
  /// Upload to `location`. false: a local copy only (the agent on a node that is not the
  /// cluster's leader); `location` is then not used. Default: true.
  bool upload_enabled = true;
};

/// What one snapshot produced.
struct SnapshotJobResult {
  etcd::SnapshotManifest manifest;
  std::string location;  ///< the location URL
  std::string key;       ///< object key of the compressed snapshot
  std::filesystem::path local_path;
  uploader::UploadResult upload;
  std::vector<std::string> pruned_local;  ///< names of local copies deleted
  int stale_uploads_aborted = 0;          ///< leftover multipart uploads aborted
  std::vector<std::string> stale_files_removed;  ///< leftover local ".part" files deleted
  double seconds = 0;
};

/// Takes one snapshot. Nothing half-written is ever presented as a snapshot: the local file is
/// renamed into place only when complete, and the manifest (local and remote) is written last.
/// Errors: those of EtcdClient::Connect/Snapshot (kUnavailable, kUnauthenticated, kDataLoss on a
/// bad trailer), of the location (kNotFound bucket, kPermissionDenied), and of the local disk.
StatusOr<SnapshotJobResult> RunSnapshotJob(SnapshotJobOptions const& options, Clock& clock);

/// Removes what killed runs left in the snapshot dir `dir`: ".part"/".tmp" temp files no live
/// process is writing (OpenLockedTempFile's flock tells), and upload journals of snapshots that
/// never got their manifest nor their final file. Returns the paths removed. Never fails
/// (what cannot be removed stays, and is tried again next time). Run at the start of every
/// snapshot job and at the agent's start.
std::vector<std::string> RemoveLeftoverFiles(std::filesystem::path const& dir);

/// Re-sends a local snapshot `name` from `snapshot_dir` to `location`, resuming an interrupted
/// upload from its journal (only missing parts are sent), then uploads its manifest.
StatusOr<uploader::UploadResult> ResumeSnapshotUpload(std::filesystem::path const& snapshot_dir,
                                                      std::string const& name,
                                                      std::string const& location,
                                                      uploader::LocationOptions const& location_options,
                                                      uploader::UploadOptions options);

/// Journal path of the upload of snapshot `name` in `snapshot_dir`.
std::filesystem::path UploadJournalPath(std::filesystem::path const& snapshot_dir,
                                        std::string const& name);

/// The snapshot name an upload journal's file name (".<name>.upload.json") stands for; nullopt
/// for any other file name.
std::optional<std::string> SnapshotNameOfJournal(std::string const& file_name);

}  // namespace kb::agent
